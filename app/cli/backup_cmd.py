"""``tillpoint backup [--out FILE]`` and ``tillpoint restore FILE [--discard-unsynced]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from app.backup import backup, default_backup_file, restore
from app.config.paths import Paths
from app.config.settings import Settings


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    cmd = add("backup", "copy the local store to a file while the till runs", cmd_backup)
    cmd.add_argument("--out", type=Path, metavar="FILE",
                     help="where to write it (default: a dated file in the backup folder)")

    cmd = add("restore", "replace the local store with a backup (the current one is kept "
                         "aside); refuses while unsynced sales would be lost", cmd_restore)
    cmd.add_argument("file", type=Path, metavar="FILE")
    cmd.add_argument("--discard-unsynced", action="store_true",
                     help="restore even though changes the server has not received would be "
                          "lost (they stay in the copy kept aside)")


def _backup_folder(paths: Paths) -> Path:
    settings = Settings(paths.settings)
    chosen = settings.get("backup.dir")
    return Path(chosen).expanduser() if chosen else paths.backups


def cmd_backup(args: argparse.Namespace, paths: Paths) -> int:
    out = args.out or default_backup_file(_backup_folder(paths))
    report = backup(paths.store, out)
    print(json.dumps({"file": str(report.file), "bytes": report.bytes,
                      "seconds": report.seconds}))
    return 0


def cmd_restore(args: argparse.Namespace, paths: Paths) -> int:
    report = restore(paths.store, args.file, discard_unsynced=args.discard_unsynced)
    if report.discarded:
        lost = ", ".join(f"{count} {kind}" for kind, count in report.discarded.items())
        print(f"tillpoint: discarded {sum(report.discarded.values())} unsynced change(s) "
              f"({lost}); the store as it was is in {report.kept_aside}", file=sys.stderr)
    print(json.dumps({"restored": str(report.file), "kept_aside": str(report.kept_aside),
                      "discarded": report.discarded,
                      "counters": {code: {"next_order": orders, "next_refund": refunds}
                                   for code, (orders, refunds) in report.counters.items()},
                      "seconds": report.seconds}))
    return 0
