"""CSV import: ``preview`` reads and checks every row without writing; ``run_import`` checks the
file again inside ONE write transaction (against the store as it is then, and refusing a file
changed since its preview) and writes it all, or nothing: a row with an error, a cancel or a
failure half-way leaves the store as it was.

Permissions: an import is a bulk change, so it needs ``settings:manage`` (owner, manager: the
page's) AND the kind's own (``catalog:write``, ``stock:write``, ``customers:write``), checked
for the preview and again inside the transaction that writes (a cashier may add a customer at
the till, never a file of them).

An import that changes something is one entry in the audit journal (the file's name and
SHA-256, the counts), not one per row: a file of 100,000 rows would otherwise be 100,000
entries. Each change travels to the server as the mutation the same edit by hand would queue
(``product.update``/``product.create``, ``stock.movement``, ``customer.upsert``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app import audit
from app.back_office.data import customers, products, stock
from app.back_office.data.plan import Cancelled, ImportRefused, Plan, Preview, Progress
from app.back_office.data.table import read_table
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from app.sales.identity import this_register
from app.staff import active_staff
from db.engine import LocalStore
from db.models import StaffUser


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    permission: Permission
    columns: tuple[str, ...]
    required: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "products": Kind("products", Permission.CATALOG_WRITE, products.COLUMNS, products.REQUIRED),
    "stock": Kind("stock", Permission.STOCK_WRITE, stock.COLUMNS, stock.REQUIRED),
    "customers": Kind("customers", Permission.CUSTOMERS_WRITE, customers.COLUMNS,
                      customers.REQUIRED),
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    preview: Preview
    written: int  # products, counts or customers written


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInput(f"{name!r} is not something to import ({', '.join(KINDS)})",
                           field="kind")
    return kind


def _staff(session: Session, staff_id: str, kind: Kind) -> StaffUser:
    active_staff(session, staff_id, Permission.SETTINGS_MANAGE)
    return active_staff(session, staff_id, kind.permission)


def _check(session: Session, kind: Kind, path: Path) -> tuple[Plan, str]:
    table = read_table(path, columns=kind.columns, required=kind.required)
    shop, _ = this_register(session)
    if kind.name == "stock":
        plan = stock.check(session, table, store=shop)
    elif kind.name == "customers":
        plan = customers.check(session, table)
    else:
        plan = products.check(session, table, currency=shop.currency)
    plan.errors[:0] = table.errors
    plan.rows += len({e.row for e in table.errors if e.row > 1})
    plan.counts["refused"] += len({e.row for e in table.errors if e.row > 1})
    return plan, table.sha256


def _file(path: Path | str) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", field="file")
    return path


def preview(store: LocalStore, kind_name: str, path: Path | str, *, staff_id: str) -> Preview:
    """What importing ``path`` would do, every row checked; nothing is written."""
    kind = kind_of(kind_name)
    path = _file(path)
    with store.read() as session:
        _staff(session, staff_id, kind)
        plan, digest = _check(session, kind, path)
    return plan.preview(str(path), digest)


def run_import(store: LocalStore, kind_name: str, path: Path | str, *, staff_id: str,
               expected_sha256: str | None = None, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> ImportResult:
    """Import ``path`` whole, or raise (``ImportRefused`` with every error, ``ImportCancelled``)
    having written nothing. ``expected_sha256``: the preview's, so the file imported is the
    one previewed. ``progress(done, total)`` and ``cancelled()`` are called between chunks."""
    kind = kind_of(kind_name)
    path = _file(path)
    with store.write() as session:
        staff = _staff(session, staff_id, kind)
        plan, digest = _check(session, kind, path)
        result = plan.preview(str(path), digest)
        if expected_sha256 is not None and digest != expected_sha256:
            raise RuleViolation("the file changed since it was previewed: preview it again",
                                field="file")
        if not result.ok:
            raise ImportRefused(result)
        written = _apply(session, kind, plan, staff.id, path, progress, cancelled)
        if not written:
            return ImportResult(result, 0)  # nothing changed: nothing to journal either
        audit.append(session, action=f"import.{kind.name}", entity="import", entity_id=None,
                     actor_id=staff.id,
                     details={"file": path.name, "sha256": digest, "rows": result.rows,
                              "created": result.create, "updated": result.update,
                              "unchanged": result.unchanged})
    return ImportResult(result, written)


def _apply(session: Session, kind: Kind, plan: Plan, staff_id: str, path: Path,
           progress: Progress | None, cancelled: Cancelled | None) -> int:
    if kind.name == "stock":
        shop, _ = this_register(session)
        return stock.apply(session, plan, store=shop, staff_id=staff_id,
                           reason=f"import {path.name}"[:200], progress=progress,
                           cancelled=cancelled)
    if kind.name == "customers":
        return customers.apply(session, plan, staff_id=staff_id, progress=progress,
                               cancelled=cancelled)
    return products.apply(session, plan, staff_id=staff_id, progress=progress,
                          cancelled=cancelled)
