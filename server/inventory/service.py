"""The stock ledger and its levels. CONTRACT used by orders, carts and (later) sync: the
signatures and behaviour below are relied on by other domains; the inventory owner implements
them and may add more, but changes none of these without updating every caller.

Stored shapes:
- ``stock_movements``: ``{_id: str (uuid4, or a caller's idempotency id), store_id,
  product_id, variant_id, kind, quantity_milli (signed: + into the store, - out),
  reason: str, reference: {type, id} | None, actor: str, at: datetime}`` with ``kind`` one of
  ``sale``, ``return``, ``receipt``, ``adjustment``, ``count``, ``transfer_out``,
  ``transfer_in``. Append-only: levels are derived from it, never overwritten.
- ``stock_levels``: ``{_id: "<store_id>:<variant_id>", store_id, product_id, variant_id,
  on_hand_milli, reserved_milli, low_stock_threshold_milli | None, version, updated_at}`` —
  ``on_hand`` is the sum of the variant's movements in the store, moved in the same transaction
  as each movement; ``available = on_hand - reserved``.
- ``stock_reservations``: ``{_id: "<order_id>:<variant_id>", order_id, store_id, product_id,
  variant_id, quantity_milli, created_at}``: stock held for an online order until it ships
  (fulfilled) or is cancelled (released).

Every level change appends a ``stock_level`` entry (its full view) to the store's feed
(``server.changes.log.store_feed``) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database


@dataclass(frozen=True, slots=True)
class StockLine:
    product_id: str
    variant_id: str
    quantity_milli: int  # > 0


def record_movement(db: Database, *, session: ClientSession, store_id: str, product_id: str,
                    variant_id: str, kind: str, quantity_milli: int, reason: str = "",
                    reference: dict[str, Any] | None = None, actor: str,
                    movement_id: str | None = None) -> dict[str, Any]:
    """Append one movement and move the level, in the caller's transaction. With
    ``movement_id`` the call is idempotent (a second call with the same id changes nothing and
    returns the first movement). May enqueue a low-stock mail when ``available`` falls to or
    below the threshold. Returns the movement."""
    raise NotImplementedError


def reserve(db: Database, *, session: ClientSession, store_id: str, order_id: str,
            lines: list[StockLine], actor: str) -> None:
    """Hold stock for an online order, in the caller's transaction: every line must have
    ``available >= quantity`` or nothing is reserved and ``ApiError(409, "out_of_stock",
    ..., {"lines": [{"variant_id", "requested_milli", "available_milli"}]})`` is raised.
    Idempotent per (order, variant)."""
    raise NotImplementedError


def release(db: Database, *, session: ClientSession, order_id: str, actor: str) -> None:
    """Give back what ``order_id`` holds (cancelled order); idempotent."""
    raise NotImplementedError


def fulfil(db: Database, *, session: ClientSession, order_id: str, actor: str) -> None:
    """Turn ``order_id``'s reservations into ``sale`` movements (order shipped): on hand and
    reserved both go down; idempotent."""
    raise NotImplementedError


def levels_for(db: Database, *, store_id: str, variant_ids: list[str],
               session: ClientSession | None = None) -> dict[str, dict[str, Any]]:
    """The stored level documents of ``variant_ids`` in a store (absent: never stocked)."""
    raise NotImplementedError
