"""The one place a stock level moves: the materialised level, its low-stock state and mail,
and the ``stock_level`` entry of the store's feed, all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.quantity import format_quantity
from server.catalog.lookup import sellable_variants
from server.changes.log import Change, append_many, store_feed
from server.common.versioning import now_ms
from server.inventory import repository as repo
from server.mail.outbox import enqueue

Doc = dict[str, Any]


def level_view(level: Doc) -> Doc:
    """The stock level entity as the store's feed carries it."""
    updated = level.get("updated_at")
    return {"id": level["_id"], "store_id": level["store_id"], "product_id": level["product_id"],
            "variant_id": level["variant_id"], "on_hand_milli": int(level["on_hand_milli"]),
            "reserved_milli": int(level["reserved_milli"]),
            "low_stock_threshold_milli": level.get("low_stock_threshold_milli"),
            "version": int(level["version"]),
            "updated_at": updated.isoformat() if updated else None}


def staff_level_view(level: Doc) -> Doc:
    """The feed's view plus what the back office filters on."""
    view = level_view(level)
    view["available_milli"] = view["on_hand_milli"] - view["reserved_milli"]
    view["low_stock"] = bool(level.get("low_stock"))
    return view


def effective_threshold(db: Database, level: Doc, session: ClientSession | None) -> int | None:
    """The level's own threshold, else its product's (``None``: no alerts)."""
    own = level.get("low_stock_threshold_milli")
    if own is not None:
        return int(own)
    product = repo.product_stock_facts(db, level["product_id"], session)
    value = (product or {}).get("low_stock_threshold_milli")
    return int(value) if value is not None else None


def low_stock_state(available: int, threshold: int | None, *, fell: bool,
                    alerted: bool) -> tuple[bool, bool, bool]:
    """``(low, alerted_after, send_mail)``: a mail goes out when available *falls* to or
    below the threshold and none went out since it was last above it."""
    low = threshold is not None and available <= threshold
    send = low and fell and not alerted
    return low, (alerted or send) if low else False, send


@dataclass
class LevelChange:
    """What one level change produced: the level as written and its feed entry."""

    level: Doc
    change: Change


def change_level(db: Database, *, session: ClientSession, store_id: str, product_id: str,
                 variant_id: str, on_hand: int = 0, reserved: int = 0) -> LevelChange:
    """Move a level by ``on_hand``/``reserved`` (either signed); queues the low-stock mail on
    a falling crossing. The caller appends ``change`` to the feed (``publish``)."""
    before = repo.get_level(db, store_id, variant_id, session)
    now = now_ms()
    if before is None:
        before = {"_id": repo.level_id(store_id, variant_id), "store_id": store_id,
                  "variant_id": variant_id, "on_hand_milli": 0, "reserved_milli": 0,
                  "low_stock_threshold_milli": None, "version": 0, "created_at": now}
    after = {**before, "product_id": product_id, "updated_at": now,
             "on_hand_milli": int(before["on_hand_milli"]) + on_hand,
             "reserved_milli": int(before["reserved_milli"]) + reserved,
             "version": int(before["version"]) + 1}
    was = int(before["on_hand_milli"]) - int(before["reserved_milli"])
    now_available = after["on_hand_milli"] - after["reserved_milli"]
    low, alerted, send = low_stock_state(
        now_available, effective_threshold(db, after, session), fell=now_available < was,
        alerted=bool(before.get("low_stock_alerted")))
    after.update(low_stock=low, low_stock_alerted=alerted)
    repo.move_level(db, store_id=store_id, product_id=product_id, variant_id=variant_id,
                    on_hand=on_hand, reserved=reserved,
                    flags={"low_stock": low, "low_stock_alerted": alerted}, now=now,
                    session=session)
    if send:
        queue_low_stock_mail(db, after, session=session)
    return LevelChange(after, Change("stock_level", after["_id"], version=after["version"],
                                     data=level_view(after)))


def publish(db: Database, store_id: str, changes: list[LevelChange], *,
            session: ClientSession) -> None:
    """Append the level entries to the store's feed (one counter update for them all)."""
    append_many(db, store_feed(store_id), [c.change for c in changes], session=session)


def queue_low_stock_mail(db: Database, level: Doc, *, session: ClientSession) -> None:
    """One mail per recipient per crossing: the id carries the level's version, so a retried
    transaction queues the same mails and a later crossing new ones."""
    store = db.stores.find_one({"_id": level["store_id"]}, {"name": 1, "code": 1,
                                                            "currency": 1}, session=session)
    store_name = f"{store['code']} {store['name']}" if store else level["store_id"]
    found = sellable_variants(db, [level["variant_id"]],
                              currency=(store or {}).get("currency", "EUR"), session=session)
    item = found.get(level["variant_id"])
    name = f"{item.name} ({item.sku})" if item else level["variant_id"]
    available = level["on_hand_milli"] - level["reserved_milli"]
    subject = f"Low stock: {name} at {store_name}"
    text = (f"{name} is running low at {store_name}: {format_quantity(available)} available "
            f"({format_quantity(level['on_hand_milli'])} on hand, "
            f"{format_quantity(level['reserved_milli'])} reserved for online orders).\n"
            "Reorder or transfer stock from another store.\n")
    for user in repo.store_managers(db, level["store_id"], session):
        enqueue(db, to=user["email"], subject=subject, text=text, kind="low_stock",
                session=session,
                mail_id=f"low-stock:{level['_id']}:{level['version']}:{user['_id']}")
