"""One handler per mutation kind (see ``base`` for the rules every handler keeps)."""

from __future__ import annotations

from typing import Callable

from app.domain.sync_protocol import MutationKind
from server.sync.handlers import catalog_admin, people_admin, stock_admin, store_admin
from server.sync.handlers.base import Context, Outcome
from server.sync.handlers.customers import customer_upsert
from server.sync.handlers.order_status import order_status
from server.sync.handlers.parked_carts import cart_parked, cart_resumed
from server.sync.handlers.orders import order_created, orders_created
from server.sync.handlers.products import product_update
from server.sync.handlers.receipts import receipt_email
from server.sync.handlers.refunds import refund_created
from server.sync.handlers.shipped import order_shipped
from server.sync.handlers.stock import stock_movement

Handler = Callable[[Context], Outcome]
#: a run of consecutive mutations of one kind, applied together (one outcome each, in order)
GroupHandler = Callable[[list[Context]], list[Outcome]]

HANDLERS: dict[str, Handler] = {
    MutationKind.ORDER_CREATED.value: order_created,
    MutationKind.REFUND_CREATED.value: refund_created,
    MutationKind.ORDER_STATUS.value: order_status,
    MutationKind.STOCK_MOVEMENT.value: stock_movement,
    MutationKind.CUSTOMER_UPSERT.value: customer_upsert,
    MutationKind.PRODUCT_UPDATE.value: product_update,
    MutationKind.CART_PARKED.value: cart_parked,
    MutationKind.CART_RESUMED.value: cart_resumed,
    MutationKind.RECEIPT_EMAIL.value: receipt_email,
    MutationKind.ORDER_SHIPPED.value: order_shipped,
}
# the back office's kinds, one module per area
for _area in (catalog_admin, stock_admin, people_admin, store_admin):
    HANDLERS.update(_area.HANDLERS)

#: kinds whose runs are applied together: a till pushes mostly sales, and one at a time
#: cost a dozen round trips each (see ``server.orders.till_batch``)
GROUP_HANDLERS: dict[str, GroupHandler] = {
    MutationKind.ORDER_CREATED.value: orders_created,
}
