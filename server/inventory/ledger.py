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


def change_levels(db: Database, *, session: ClientSession, store_id: str,
                  moves: list[tuple[str, str, int]],
                  levels: dict[str, Doc] | None = None) -> list[LevelChange]:
    """``change_level`` of ``on_hand`` for many (product_id, variant_id, quantity) moves of
    one store in three round trips (the levels, the products' thresholds, one bulk write)
    instead of three per move: for a till's pushed batch. Moves apply in order, each with its
    low-stock crossing (and mail); each level's version moves once per move, and each level
    gets one ``change``, its state after the last move. ``levels``: the stored levels of
    the moved variants (by variant id), when the caller read them in this transaction."""
    if levels is None:
        levels = {lv["variant_id"]: lv for lv in repo.levels_by_ids(
            db, sorted({repo.level_id(store_id, v) for _, v, _ in moves}), session)}
    stored = {lv["_id"]: lv for lv in levels.values()}
    facts = repo.products_stock_facts(db, [p for p, _, _ in moves], session)
    now = now_ms()
    after: dict[str, Doc] = {}
    moved: dict[str, int] = {}
    counted: dict[str, int] = {}
    mails: list[Doc] = []
    for product_id, variant_id, quantity in moves:
        lid = repo.level_id(store_id, variant_id)
        before = after.get(lid) or stored.get(lid) or {
            "_id": lid, "store_id": store_id, "variant_id": variant_id, "on_hand_milli": 0,
            "reserved_milli": 0, "low_stock_threshold_milli": None, "version": 0,
            "created_at": now}
        level = {**before, "product_id": product_id, "updated_at": now,
                 "on_hand_milli": int(before["on_hand_milli"]) + quantity,
                 "version": int(before["version"]) + 1}
        own = level.get("low_stock_threshold_milli")
        threshold = own if own is not None else (facts.get(product_id) or {}).get(
            "low_stock_threshold_milli")
        was = int(before["on_hand_milli"]) - int(before["reserved_milli"])
        available = level["on_hand_milli"] - int(level["reserved_milli"])
        low, alerted, send = low_stock_state(
            available, int(threshold) if threshold is not None else None, fell=available < was,
            alerted=bool(before.get("low_stock_alerted")))
        level.update(low_stock=low, low_stock_alerted=alerted)
        if send:
            mails.append(level)
        after[lid] = level
        moved[lid] = moved.get(lid, 0) + quantity
        counted[lid] = counted.get(lid, 0) + 1
    repo.move_levels(db, [(level, moved[lid], counted[lid]) for lid, level in after.items()],
                     now=now, session=session)
    queue_low_stock_mails(db, store_id, mails, session=session)
    return [LevelChange(level, Change("stock_level", lid, version=level["version"],
                                      data=level_view(level))) for lid, level in after.items()]


def publish(db: Database, store_id: str, changes: list[LevelChange], *,
            session: ClientSession) -> None:
    """Append the level entries to the store's feed (one counter update for them all)."""
    append_many(db, store_feed(store_id), [c.change for c in changes], session=session)


def queue_low_stock_mail(db: Database, level: Doc, *, session: ClientSession) -> None:
    """One mail per recipient per crossing: the id carries the level's version, so a retried
    transaction queues the same mails and a later crossing new ones."""
    queue_low_stock_mails(db, level["store_id"], [level], session=session)


def queue_low_stock_mails(db: Database, store_id: str, levels: list[Doc], *,
                          session: ClientSession) -> None:
    """``queue_low_stock_mail`` for several levels of one store, reading the store, the
    variants and the recipients once for them all."""
    if not levels:
        return
    store = db.stores.find_one({"_id": store_id}, {"name": 1, "code": 1, "currency": 1},
                               session=session)
    found = sellable_variants(db, [lv["variant_id"] for lv in levels],
                              currency=(store or {}).get("currency", "EUR"), session=session)
    managers = repo.store_managers(db, store_id, session)
    for level in levels:
        _low_stock_mail(db, level, store, found.get(level["variant_id"]), managers,
                        session=session)


def _low_stock_mail(db: Database, level: Doc, store: Doc | None, item: Any,
                    managers: list[Doc], *, session: ClientSession) -> None:
    store_name = f"{store['code']} {store['name']}" if store else level["store_id"]
    name = f"{item.name} ({item.sku})" if item else level["variant_id"]
    available = level["on_hand_milli"] - level["reserved_milli"]
    subject = f"Low stock: {name} at {store_name}"
    text = (f"{name} is running low at {store_name}: {format_quantity(available)} available "
            f"({format_quantity(level['on_hand_milli'])} on hand, "
            f"{format_quantity(level['reserved_milli'])} reserved for online orders).\n"
            "Reorder or transfer stock from another store.\n")
    for user in managers:
        enqueue(db, to=user["email"], subject=subject, text=text, kind="low_stock",
                session=session,
                mail_id=f"low-stock:{level['_id']}:{level['version']}:{user['_id']}")
