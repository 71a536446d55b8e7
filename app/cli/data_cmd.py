"""``tillpoint export products|stock|customers FILE.csv`` and
``tillpoint import products|stock|customers FILE.csv --staff EMAIL [--dry-run]``.

An import checks every row first. With errors it exits 1, prints the first
``SHOWN_ERRORS`` on standard error (``row N, column: why``) and a count of the rest, and imports
nothing; ``--dry-run`` prints what it would do (the preview, as JSON) and writes nothing either
way. Progress goes to standard error, the result as JSON to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from app import exports
from app.back_office.data import service
from app.back_office.data.plan import SHOWN_ERRORS, ImportRefused, Preview
from app.config.paths import Paths
from app.domain.errors import NotFound
from db.engine import LocalStore
from db.models import StaffUser

KINDS = exports.EXPORTS


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    export = add("export", "write products, stock levels or customers to CSV", cmd_export)
    export.add_argument("what", choices=KINDS)
    export.add_argument("file", type=Path, metavar="FILE.csv")

    imp = add("import", "read products, stock counts or customers from CSV: every row is "
                        "checked first, and nothing is imported unless all are right", cmd_import)
    imp.add_argument("what", choices=KINDS)
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--staff", required=True, metavar="EMAIL",
                     help="who imports it (an owner or manager)")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and say what it would do; write nothing")


def cmd_export(args: argparse.Namespace, paths: Paths) -> int:
    store = LocalStore.open(paths.store)
    try:
        count = exports.export(store, args.what, args.file)
    finally:
        store.close()
    print(json.dumps({"file": str(args.file.resolve()), "rows": count}))
    return 0


def _staff_id(store: LocalStore, email: str) -> str:
    with store.read() as session:
        staff_id = session.scalar(select(StaffUser.id).where(
            StaffUser.email == email.strip().lower(), StaffUser.active.is_(True)))
    if staff_id is None:
        raise NotFound(f"no active member of staff {email}", field="staff")
    return staff_id


def _summary(preview: Preview) -> dict:
    return {"file": preview.file, "kind": preview.kind, "rows": preview.rows,
            "create": preview.create, "update": preview.update,
            "unchanged": preview.unchanged, "refused": preview.refused,
            "errors": len(preview.errors)}


def _print_errors(preview: Preview) -> None:
    for error in preview.errors[:SHOWN_ERRORS]:
        print(f"tillpoint: {error}", file=sys.stderr)
    rest = len(preview.errors) - SHOWN_ERRORS
    if rest > 0:
        print(f"tillpoint: … and {rest} more error(s)", file=sys.stderr)
    print(f"tillpoint: {len(preview.errors)} error(s) in {preview.file}: nothing imported",
          file=sys.stderr)


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r  imported {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_import(args: argparse.Namespace, paths: Paths) -> int:
    store = LocalStore.open(paths.store)
    try:
        staff_id = _staff_id(store, args.staff)
        if args.dry_run:
            preview = service.preview(store, args.what, args.file, staff_id=staff_id)
            if not preview.ok:
                _print_errors(preview)
            print(json.dumps({**_summary(preview), "dry_run": True}))
            return 0 if preview.ok else 1
        try:
            result = service.run_import(store, args.what, args.file, staff_id=staff_id,
                                        progress=_progress if sys.stderr.isatty() else None)
        except ImportRefused as refused:
            _print_errors(refused.preview)
            return 1
    finally:
        store.close()
    print(json.dumps({**_summary(result.preview), "written": result.written}))
    return 0
