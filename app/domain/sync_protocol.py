"""The sync protocol between tills and the central server: the names, limits and the cursor
codec both sides use (pure: the server and the client's ``sync`` package both import it).

Pull — ``GET /api/v1/sync/changes?cursor=&limit=`` (device credential)
    A device sees the feeds in :func:`device_feeds`: the shared catalogue, the staff (with PIN
    hashes), the customers, and its own store (stock levels, orders, parked carts). The answer is
    ``{"changes": [{feed, seq, entity, entity_id, op, version, data}], "cursor": str,
    "has_more": bool, "server_time": iso}``: entries of one feed in ``seq`` order, feeds in
    the order of :func:`device_feeds`, a later feed only once the earlier ones were read to
    their head (so a page never holds a stock level before the catalogue it was read with).
    An empty cursor means "from the beginning": the change log keeps the latest entry of every
    entity (compaction drops only superseded entries and old tombstones), so replaying it from
    the start *is* the snapshot. ``op`` is ``upsert`` (``data`` is the full current view) or
    ``delete`` (``data`` null). ``limit`` is 1..MAX_PULL_LIMIT, default DEFAULT_PULL_LIMIT.
    410 ``cursor_gone`` with ``details.reason`` in :class:`GoneReason` and ``details.feed``:
    the client drops its cursor and takes a fresh snapshot.

Push — ``POST /api/v1/sync/push`` (device credential)
    ``{"mutations": [{"id": uuid, "seq": int >= 1, "kind": MutationKind, "entity_id": str,
    "payload": {...}, "created_at": iso, "staff_id": str | null}]}``: at most
    MAX_PUSH_MUTATIONS mutations and MAX_PUSH_BYTES of body, ``seq`` strictly increasing (the
    till's own order of events). Answer ``{"results": [{"id", "status", "reason"?,
    "current"?, "overridden"?}], "server_time"}``, one result per mutation in the same order.
    ``duplicate`` means the id was applied before (``original_status`` says how). A batch is
    applied in one transaction with the records of its mutation ids; a mutation the rules
    refuse is recorded ``rejected`` and does not stop the ones behind it.

Payloads per kind (money in integer minor units, quantities in milli-units):
    ``order.created``   the till's order (``app.sales.serialize.order_to_dict``) plus
                        ``stock_movements: [{id, variant_id, kind, quantity_milli}]`` — the
                        movements the till wrote, posted on the server under the same ids.
    ``refund.created``  ``{"refund": refund_to_dict, "order": order_to_dict,
                        "stock_movements": [...]}``.
    ``order.status``    ``{"order_id", "number", "from", "to", "version", "reason"}``; the
                        server checks ``version - 1`` against its own (server-wins).
    ``stock.movement``  ``{"id", "store_id", "variant_id", "kind", "quantity_milli",
                        "reason", "staff_id", "at"}`` (receipt, adjustment, count, transfer).
    ``customer.upsert`` ``{"id", "fields": {name, email, phone, address, notes},
                        "base": {field: value before the edit} | null (created here)}``:
                        last writer wins per field, an overwritten concurrent edit is kept
                        for review and reported in ``overridden``.
    ``product.update``  ``{"id", "base_version", "fields": {name, description, brand, tags,
                        archived, low_stock_threshold_milli}, "variants": [{id, price, cost,
                        archived}]}``: server wins; a stale ``base_version`` answers
                        ``conflict`` with ``current`` (the product as the server has it).
    ``cart.parked``     ``{"id", "store_id", "register_id", "staff_id", "label", "cart":
                        Cart.to_json() as an object, "created_at"}``: stored in the store's
                        ``parked_carts`` and sent down the store feed as ``parked_cart``, so
                        any till of the store can resume it; refused once it was resumed.
    ``cart.resumed``    ``{"id", "register_id", "staff_id", "label", "at"}``: the cart was
                        taken at a till; the feed says ``delete``. One taken first elsewhere
                        is ``rejected`` ("already resumed on register R02 at …").
    ``receipt.email``   ``{"order_id", "number", "email"}``: the server renders the order's
                        receipt as plain text and queues the mail (id = the mutation's id);
                        an order it does not have is ``rejected``.
    ``order.shipped``   ``{"order_id", "number", "from", "version", "shipment_id",
                        "carrier", "service", "tracking_number", "parcels",
                        "weight_grams", "shipped_at"}``: a till sale to ship (born
                        ``processing``) had its label printed; the server moves it to
                        ``shipped`` with the tracking number (the till's own sale: no version
                        check; the same tracking number again is ``applied``, another one or
                        a move the state machine refuses is ``rejected``).
"""

from __future__ import annotations

import base64
import binascii
import json
from enum import StrEnum

from app.domain.errors import InvalidInput

PROTOCOL_VERSION = 1
MAX_PUSH_MUTATIONS = 100
MAX_PUSH_BYTES = 1_000_000
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 5000

CATALOG_FEED = "catalog"
STAFF_FEED = "staff"
CUSTOMERS_FEED = "customers"
UPSERT = "upsert"
DELETE = "delete"


def store_feed(store_id: str) -> str:
    return f"store:{store_id}"


def device_feeds(store_id: str) -> tuple[str, ...]:
    """What a till of ``store_id`` pulls, in the order a page serves them."""
    return (CATALOG_FEED, STAFF_FEED, CUSTOMERS_FEED, store_feed(store_id))


class Entity(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"
    TAX_CLASS = "tax_class"
    COUPON = "coupon"
    STAFF_USER = "staff_user"
    CUSTOMER = "customer"
    STOCK_LEVEL = "stock_level"
    ORDER = "order"
    PARKED_CART = "parked_cart"


class MutationKind(StrEnum):
    ORDER_CREATED = "order.created"
    REFUND_CREATED = "refund.created"
    ORDER_STATUS = "order.status"
    STOCK_MOVEMENT = "stock.movement"
    CUSTOMER_UPSERT = "customer.upsert"
    PRODUCT_UPDATE = "product.update"
    CART_PARKED = "cart.parked"
    CART_RESUMED = "cart.resumed"
    RECEIPT_EMAIL = "receipt.email"
    ORDER_SHIPPED = "order.shipped"
    # the back office's (issue 10); each kind's handler lives in the server module named
    PRODUCT_CREATE = "product.create"  # server/sync/handlers/catalog_admin.py
    CATEGORY_UPSERT = "category.upsert"  # catalog_admin
    PRODUCT_IMAGE = "product.image"  # catalog_admin
    STOCK_TRANSFER = "stock.transfer"  # stock_admin
    STAFF_CREATE = "staff.create"  # people_admin
    STAFF_UPDATE = "staff.update"  # people_admin
    CUSTOMER_ERASE = "customer.erase"  # people_admin
    STORE_UPDATE = "store.update"  # store_admin
    TAX_CLASS_UPSERT = "tax_class.upsert"  # store_admin


class Status(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class GoneReason(StrEnum):
    EPOCH_CHANGED = "epoch_changed"  # the feed was rebuilt: its numbers mean something else now
    CURSOR_EXPIRED = "cursor_expired"  # older than the tombstones the server still keeps
    CURSOR_AHEAD = "cursor_ahead"  # beyond the feed's head: the server was restored from a backup


#: One feed's position: (epoch the numbers belong to, or None before the first read; last seq seen)
Position = tuple[str | None, int]


def encode_cursor(positions: dict[str, Position],
                  floors: dict[str, int] | None = None) -> str:
    """The opaque cursor: URL-safe base64 of canonical JSON (clients must not look inside).
    ``floors``: each feed's compaction floor when the server issued the cursor (only those
    above 0 are written), which tells it later whether the feed dropped deletes since."""
    body: dict[str, object] = {
        "v": PROTOCOL_VERSION,
        "f": {feed: [epoch, seq] for feed, (epoch, seq) in sorted(positions.items())}}
    kept = {feed: floor for feed, floor in (floors or {}).items() if floor}
    if kept:
        body["b"] = kept
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_body(text: str) -> dict:
    if len(text) > 4096:
        raise InvalidInput("is too long to be a cursor", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("is not a sync cursor", field="cursor") from None
    if not isinstance(body, dict) or body.get("v") != PROTOCOL_VERSION \
            or not isinstance(body.get("f"), dict):
        raise InvalidInput("is not a sync cursor of this protocol version", field="cursor")
    return body


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def decode_cursor(text: str | None) -> dict[str, Position]:
    """Positions from a cursor (``{}`` for an empty one); ``InvalidInput`` for anything that
    is not a cursor this protocol made."""
    if not text:
        return {}
    positions: dict[str, Position] = {}
    for feed, value in _cursor_body(text)["f"].items():
        if not (isinstance(feed, str) and isinstance(value, list) and len(value) == 2
                and (value[0] is None or isinstance(value[0], str)) and _count(value[1])):
            raise InvalidInput(f"has a malformed position for {feed!r}", field="cursor")
        positions[feed] = (value[0], value[1])
    return positions


def cursor_floors(text: str | None) -> dict[str, int]:
    """The floors a cursor was issued with (see ``encode_cursor``; ``{}`` when none)."""
    if not text:
        return {}
    floors = _cursor_body(text).get("b", {})
    if not isinstance(floors, dict) or not all(
            isinstance(feed, str) and _count(floor) for feed, floor in floors.items()):
        raise InvalidInput("has malformed floors", field="cursor")
    return dict(floors)
