"""Undoing, on the till, a back-office change the server refused (``sync.resolution`` calls
these from ``record_outcome``): a member of staff made or changed here (``staff.create``,
``staff.update``), a tax class (``tax_class.upsert``), a category (``category.upsert``) and a
product made here (``product.create``). Each returns False when nothing could
be put back, True when it was undone, or a text saying how it was undone. A refused change
must leave the till as the server has it: an account the server never made cannot sign in
here, and no sale is taxed at rates the server did not accept."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.sync_protocol import MutationKind
from db.base import new_id
from db.models import (Barcode, Category, OutboxEntry, Product, ProductImage, StaffUser,
                       StockLevel, StockMovement, SyncIssue, TaxClass, TaxRate, Variant)

Data = dict[str, Any]


def _payload(entry: OutboxEntry) -> Data:
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def apply_staff(session: Session, staff_id: str, current: Data) -> bool:
    """The server's account (``server.users.staff_feed.till_view`` less its PIN hash, which a
    conflict leaves as it was: only a role or active change can conflict)."""
    member = session.get(StaffUser, staff_id)
    role, active, version = current.get("role"), current.get("active"), current.get("version")
    if member is None or not isinstance(role, str) or not isinstance(active, bool):
        return False
    member.role, member.active = role, active
    if isinstance(version, int) and not isinstance(version, bool):
        member.version = version
    return True


def undo_staff_create(session: Session, entry: OutboxEntry) -> str | bool:
    """The server has no such account: the one made here must not sign in at this till (nor
    in its back office), so it is deactivated and its PIN cleared. It is kept, not deleted:
    the audit and any shift already name it."""
    member = session.get(StaffUser, entry.entity_id)
    if member is None:
        return False
    member.active, member.pin_hash = False, None
    return "the account was deactivated here and its PIN cleared"


def undo_staff_update(session: Session, entry: OutboxEntry, payload: Data) -> str | bool:
    """Put back the role, active flag and PIN hash the change replaced (``base``, and
    ``replaced_pin_hash`` for a PIN), each unless it was changed again since. A field a later
    queued change sets again is left to that change, which now replaces what the server has:
    its ``base`` is rewritten to this one's, so its own refusal puts the server's value back.
    A PIN reset queued before the old hash travelled with it cannot be put back: the refused
    PIN is cleared instead, so whoever chose it cannot sign in with it here."""
    member, changes = session.get(StaffUser, entry.entity_id), payload.get("changes")
    if member is None or not isinstance(changes, dict):
        return False
    if session.scalar(select(SyncIssue.id).where(
            SyncIssue.entity_id == entry.entity_id, SyncIssue.kind == "rejected",
            SyncIssue.mutation_kind == MutationKind.STAFF_CREATE.value).limit(1)):
        # the server never made the account (it is off here since): nothing to put back, and
        # a change queued behind the refused create (in its batch, say) must not revive it
        return "the account was never made on the server and stays deactivated here"
    later = [(e, _payload(e)) for e in session.scalars(select(OutboxEntry).where(
        OutboxEntry.kind == entry.kind, OutboxEntry.entity_id == entry.entity_id,
        OutboxEntry.seq > entry.seq).order_by(OutboxEntry.seq))]
    undone, cleared = False, False
    for field in [f for f in _STAFF_FIELDS if f in changes]:
        known, was = _replaced(payload, field)
        heir = next(((e, p) for e, p in later if field in (p.get("changes") or {})), None)
        if heir is not None:
            _hand_down(*heir, field, known, was)
        elif getattr(member, field) == changes[field] and (known or field == "pin_hash"):
            setattr(member, field, was)
            cleared, undone = cleared or not known, True
    if cleared:
        return "it was undone here; the new PIN was cleared, so a manager must set it again"
    return undone


_STAFF_FIELDS = ("role", "active", "pin_hash")


def _replaced(payload: Data, field: str) -> tuple[bool, Any]:
    """(whether the change says what ``field`` was before it, that value)."""
    if field == "pin_hash":
        return "replaced_pin_hash" in payload, payload.get("replaced_pin_hash")
    base = payload.get("base") if isinstance(payload.get("base"), dict) else {}
    return field in base, base.get(field)


def _hand_down(heir: OutboxEntry, heir_payload: Data, field: str, known: bool, was: Any) -> None:
    """The later change of ``field`` now replaces the server's value, not the refused one."""
    if field == "pin_hash":
        if known:
            heir_payload["replaced_pin_hash"] = was
        else:  # the server's hash is not known here: its refusal clears the PIN instead
            heir_payload.pop("replaced_pin_hash", None)
    elif known:
        heir_payload["base"] = {**(heir_payload.get("base") or {}), field: was}
    heir.payload = json.dumps(heir_payload)


def undo_tax_class_change(session: Session, tax_class_id: str, payload: Data) -> str | bool:
    """Put back the name, rates and version the refused change replaced (``before``), unless
    the class changed again since (a pull): the till must not tax sales at rates the server
    never accepted. A class born here goes again if nothing uses it yet."""
    tax_class, base_version = session.get(TaxClass, tax_class_id), payload.get("base_version")
    if tax_class is None or not isinstance(base_version, int) or isinstance(base_version, bool):
        return False
    sent = payload.get("rates") if isinstance(payload.get("rates"), list) else []
    sent_rates = [[r.get("name"), r.get("rate_ppm")] for r in sent if isinstance(r, dict)]
    if tax_class.version != base_version + 1 or tax_class.name != payload.get("name") \
            or [[r.name, r.rate_ppm] for r in tax_class.rates] != sent_rates:
        return False
    if base_version == 0:
        used = session.scalar(select(Product.id).where(Product.tax_class_id == tax_class_id)
                              .limit(1))
        tax_class.version = 0  # still unknown to the server: its next change creates it
        if used is not None:
            return "the tax class stays on this till only (products here use it)"
        for rate in list(tax_class.rates):
            session.delete(rate)
        session.delete(tax_class)
        return "the tax class was removed here"
    before = payload.get("before") if isinstance(payload.get("before"), dict) else {}
    rates = _rates(before.get("rates"))
    if rates is None or not isinstance(before.get("name"), str) \
            or session.scalar(select(TaxClass.id).where(TaxClass.name == before["name"],
                                                        TaxClass.id != tax_class_id)):
        tax_class.version = base_version  # the server's, so the next edit is not a conflict
        return False
    for rate in list(tax_class.rates):
        session.delete(rate)
    session.flush()
    tax_class.name, tax_class.version = before["name"], base_version
    for position, (name, ppm) in enumerate(rates):
        session.add(TaxRate(id=new_id(), tax_class_id=tax_class_id, name=name, rate_ppm=ppm,
                            position=position))
    session.flush()
    session.expire(tax_class, ["rates"])
    return True


def _rates(rates: object) -> list[tuple[str, int]] | None:
    """``[[name, ppm], …]`` as ``app.back_office.settings.taxes`` sends ``before``; else None."""
    if not isinstance(rates, list) or not all(
            isinstance(r, list) and len(r) == 2 and isinstance(r[0], str)
            and isinstance(r[1], int) and not isinstance(r[1], bool) for r in rates):
        return None
    return [(name, ppm) for name, ppm in rates]


def undo_category_change(session: Session, entry: OutboxEntry, payload: Data,
                         later: list[Data]) -> str | bool:
    """Put back the name, parent and position a refused ``category.upsert`` replaced
    (``before``), unless the category changed again since (a pull): the changes queued behind
    it counted it and are dropped with it, so the category is checked against the last of them.
    A category born here goes again if no product and no subcategory uses it."""
    category = session.get(Category, entry.entity_id)
    if category is None:
        return False
    last = later[-1] if later else payload
    if (category.name, category.parent_id, category.position) != \
            (last.get("name"), last.get("parent_id"), last.get("position")):
        return False
    if payload.get("base_version") is None:
        used = session.scalar(select(Product.id).where(Product.category_id == category.id)
                              .limit(1)) or session.scalar(
            select(Category.id).where(Category.parent_id == category.id).limit(1))
        if used is not None:
            return "the category stays on this till only (products or subcategories use it)"
        session.delete(category)
        session.flush()
        return "the category was removed here"
    before = payload.get("before") if isinstance(payload.get("before"), dict) else None
    if before is None or not isinstance(before.get("name"), str) \
            or not isinstance(before.get("position"), int) \
            or (before.get("parent_id") is not None and (
                not isinstance(before["parent_id"], str)
                or session.get(Category, before["parent_id"]) is None)):
        return False  # an entry queued before ``before`` travelled: the next pull settles it
    category.name, category.parent_id = before["name"], before["parent_id"]
    category.position = before["position"]
    session.flush()
    return True


def withdraw_refused_product(session: Session, product_id: str) -> str | bool:
    """The server never made the product: it must not stay on sale here. With nothing that
    refers to it (no sale, no stock movement, no delivery or count line …) it is deleted with
    its variants, barcodes, images and empty stock levels; otherwise it is archived (the till
    sells no archived variant) so the records that name it still read."""
    product = session.get(Product, product_id)
    if product is None:
        return False
    variant_ids = list(session.scalars(select(Variant.id).where(Variant.product_id == product_id)))
    moved = session.scalar(select(StockMovement.id).where(
        StockMovement.variant_id.in_(variant_ids)).limit(1))
    if moved is None:
        try:
            with session.begin_nested():
                # the foreign keys (on in every local store) find any other reference
                session.execute(delete(Barcode).where(Barcode.variant_id.in_(variant_ids)))
                session.execute(delete(StockLevel).where(StockLevel.variant_id.in_(variant_ids),
                                                         StockLevel.quantity_milli == 0))
                session.execute(delete(ProductImage).where(ProductImage.product_id == product_id))
                session.execute(delete(Variant).where(Variant.id.in_(variant_ids)))
                session.execute(delete(Product).where(Product.id == product_id))
            return "the product was removed here"
        except IntegrityError:
            pass  # something refers to it: archived below
    product.archived = True
    for variant in session.scalars(select(Variant).where(Variant.product_id == product_id)):
        variant.archived = True
    session.flush()
    return "the product was archived here (records here refer to it)"
