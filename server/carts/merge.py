"""Merging a guest cart into the customer's cart when they log in with its id: quantities
add up (within the cart's limits), the guest's coupon is kept if the customer's cart has none
and it is still valid for them, and the guest cart is marked ``merged`` (and owned, so its id
no longer opens it for anyone else)."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.carts import repository as repo
from server.carts.schemas import MAX_LINES, MAX_MILLI
from server.carts.service import ACTIVE, MERGED, mail_due, active_cart_of, lifetime
from server.carts.views import coupon_terms
from server.common.versioning import now_ms
from server.config import ServerSettings
from server.database import in_transaction
from server.errors import ApiError
from server.orders.store import online_store

log = logging.getLogger(__name__)
Doc = dict[str, Any]


def combine(target: list[Doc], guest: list[Doc]) -> list[Doc]:
    """The customer's lines with the guest's added: same variant adds up (capped), new ones
    appended while there is room."""
    lines = [dict(ln) for ln in target]
    by_variant = {ln["variant_id"]: ln for ln in lines}
    for ln in guest:
        mine = by_variant.get(ln["variant_id"])
        if mine is not None:
            mine["quantity_milli"] = min(MAX_MILLI, mine["quantity_milli"] + ln["quantity_milli"])
        elif len(lines) < MAX_LINES:
            lines.append(dict(ln))
            by_variant[ln["variant_id"]] = lines[-1]
    return lines


def merge_guest_cart(db: Database, settings: ServerSettings, cart_id: str,
                     user: Doc) -> str | None:
    """Merge guest cart ``cart_id`` into ``user``'s active cart; returns that cart's id, or
    ``None`` when there is nothing to merge (unknown id, not a guest cart, already merged):
    logging in never fails because of the cart."""
    try:
        return _merge(db, settings, cart_id, user)
    except ApiError as exc:  # e.g. no online store configured: the login still succeeds
        log.warning("guest cart %s not merged at login: %s", cart_id, exc.message)
        return None


def _merge(db: Database, settings: ServerSettings, cart_id: str, user: Doc) -> str | None:
    guest = repo.get(db, cart_id)
    if guest is None or guest.get("user_id") is not None or guest["status"] != ACTIVE:
        return None
    target = active_cart_of(db, user["_id"])
    keep_coupon = None
    if guest.get("coupon_code") and not target.get("coupon_code"):
        terms, _ = coupon_terms(db, guest["coupon_code"], user_id=user["_id"],
                                currency=online_store(db, settings)["currency"])
        keep_coupon = guest["coupon_code"] if terms is not None else None

    def work(session: ClientSession) -> str | None:
        g = repo.get(db, cart_id, session)
        t = repo.get(db, target["_id"], session)
        if g is None or g.get("user_id") is not None or g["status"] != ACTIVE or t is None \
                or t["status"] != ACTIVE:
            return None
        now = now_ms()
        fields = {"lines": combine(t["lines"], g["lines"]), "updated_at": now}
        if keep_coupon and not t.get("coupon_code"):
            fields["coupon_code"] = keep_coupon
        after = {**t, **fields}
        fields.update(expires_at=now + lifetime(after),
                      abandon_due_at=mail_due(after, settings, now))
        if not repo.update_if_version(db, t["_id"], t["version"], fields, session=session):
            return None
        db.carts.update_one({"_id": cart_id, "status": ACTIVE, "user_id": None},
                            {"$set": {"status": MERGED, "user_id": user["_id"],
                                      "merged_into": t["_id"], "abandon_due_at": None,
                                      "updated_at": now},
                             "$inc": {"version": 1}}, session=session)
        return t["_id"]

    merged = in_transaction(db, work)
    if merged is None:
        log.info("guest cart %s was not merged at login (changed meanwhile)", cart_id)
    return merged
