"""What the till screen shows: immutable snapshots the register services hand to the window.

Every figure is already computed and formatted here (money as text in the store's currency,
quantities as text), so a widget only places strings; it never prices, rounds or formats money.
Amounts are also given in minor units for tests and for the window's own logic (enabling Pay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StaffCard:
    """A member of staff on the sign-in screen."""

    id: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: str
    name: str
    email: str | None
    phone: str | None
    credit_balance: int  # minor units of store credit
    credit_text: str


@dataclass(frozen=True, slots=True)
class CartLineView:
    index: int  # position in the cart (0-based); what set_quantity/remove_line take
    variant_id: str
    sku: str
    name: str
    quantity_milli: int
    quantity_text: str  # "2", "0.455 kg"
    unit_price: int
    unit_price_text: str
    discount: int  # this line's line discount plus its shares of order discount and coupon
    discount_text: str  # "" when none
    total: int  # what the customer pays for the line, tax included
    total_text: str
    price_source: str  # catalogue | label | override
    sold_by_weight: bool


@dataclass(frozen=True, slots=True)
class TaxLineView:
    name: str
    rate_text: str  # "20 %"
    tax: int
    tax_text: str


@dataclass(frozen=True, slots=True)
class CartView:
    lines: tuple[CartLineView, ...]
    currency: str
    subtotal: int
    subtotal_text: str
    discount_total: int
    discount_text: str
    tax_total: int
    tax_text: str
    total: int
    total_text: str
    taxes: tuple[TaxLineView, ...] = ()
    coupon_code: str | None = None
    order_discount_text: str = ""  # "10 %" or "5.00" when an order discount is set
    customer: CustomerRef | None = None
    changed_index: int | None = None  # the line the last action touched (to select it)
    #: something the cashier should read about the cart (a coupon that no longer applies)
    notice: str | None = None
    item_count_text: str = "0 items"

    @property
    def empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True, slots=True)
class ItemHit:
    """A search or favourites result the cashier can add with one key or tap."""

    variant_id: str
    name: str
    sku: str
    barcode: str | None
    price: int
    price_text: str
    in_stock_text: str  # "12 in stock", "out of stock", "" when unknown
    sold_by_weight: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str  # the text searched for, so a late answer to an older keystroke is ignored
    hits: tuple[ItemHit, ...]
    corrected: str | None = None  # "Showing results for coffee" after a typo
    more: bool = False  # there are more matches than shown


@dataclass(frozen=True, slots=True)
class ParkedView:
    id: str
    label: str
    staff_name: str
    register_code: str
    created_at: datetime
    item_count_text: str
    total_text: str


@dataclass(frozen=True, slots=True)
class ShiftView:
    id: str
    register_code: str
    opened_at: datetime
    opened_by: str
    opening_float: int
    opening_float_text: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    staff: StaffCard
    shift: ShiftView | None  # the register's open shift, if any
    permissions: frozenset[str]
    cart: CartView | None = None  # a cart this person had parked when the till was switched


@dataclass(frozen=True, slots=True)
class TenderView:
    index: int
    method: str  # cash | card | credit
    label: str  # "Cash", "Card VISA •••• 4242", "Store credit"
    amount: int
    amount_text: str
    tendered_text: str  # cash handed over (may exceed the amount)
    removable: bool  # a captured card payment is not: it must be refunded
    #: a card "approved" by the cashier's word (standalone terminal): a manager may remove it
    #: (``remove_tender`` asks for the VOID approval)
    removable_by_manager: bool = False


@dataclass(frozen=True, slots=True)
class CardProgress:
    """A card payment in progress, as the cashier must see it."""

    attempt_id: str
    state: str  # an app.payments.base.AttemptState value
    message: str  # "Present card", "Declined: insufficient funds", "Reader offline"
    needs_cashier: bool  # a standalone terminal: the cashier confirms what it showed
    amount_text: str


@dataclass(frozen=True, slots=True)
class PaymentView:
    sale_id: str
    total: int
    total_text: str
    paid: int
    paid_text: str
    due: int
    due_text: str
    change: int
    change_text: str
    tenders: tuple[TenderView, ...]
    quick_cash: tuple[tuple[int, str], ...]  # suggested notes: (minor, text), exact first
    card: CardProgress | None = None
    card_available: bool = True
    card_unavailable_reason: str = ""  # "card payments unavailable: no connection to Stripe"
    #: something the cashier should tell the customer (the total changed since it was shown)
    notice: str | None = None

    @property
    def complete(self) -> bool:
        return self.due == 0 and self.card is None


@dataclass(frozen=True, slots=True)
class CardTakenView:
    """Card money taken for a sale that was never recorded: owed back to the customer."""

    attempt_id: str  # what refund_card_without_sale takes
    sale_id: str
    amount: int
    amount_text: str
    label: str  # "Card VISA •••• 4242"
    taken_at: datetime | None
    text: str  # "Card VISA •••• 4242 12.10 taken 2026-03-02 09:14 UTC: no sale was recorded"


@dataclass(frozen=True, slots=True)
class SaleResult:
    order_id: str
    number: str
    total_text: str
    change: int
    change_text: str
    paid: tuple[TenderView, ...]
    customer_email: str | None  # offered for an emailed receipt
    drawer_opened: bool = False
    receipt_code: str = ""  # what the receipt's barcode reads (app.sales.receipt_code)


@dataclass(frozen=True, slots=True)
class ReturnLineView:
    line_no: int
    name: str
    sku: str
    sold_text: str
    returnable_milli: int
    returnable_text: str
    unit_total_text: str  # what one unit refunds, after its discounts
    sold_by_weight: bool


@dataclass(frozen=True, slots=True)
class ReturnSaleView:
    order_id: str
    number: str
    created_at: datetime
    total_text: str
    tenders: tuple[str, ...]  # "Cash 10.00", "Card VISA •••• 4242 5.00"
    lines: tuple[ReturnLineView, ...]
    customer: CustomerRef | None
    scanned: bool  # found by scanning the receipt's barcode (else: a return without receipt)
    #: pass it to ``refund(request_id=)``: a second refund with it answers the first's result
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_id: str
    number: str
    amount: int
    amount_text: str
    to: tuple[str, ...]  # "Cash 3.50", "Card VISA •••• 4242 2.00 (pending)"


@dataclass(frozen=True, slots=True)
class ZTenderLine:
    method: str
    label: str
    sales: int
    refunds: int
    net: int
    net_text: str


@dataclass(frozen=True, slots=True)
class ZReport:
    """The end-of-shift report; every amount in minor units with its text beside it."""

    shift_id: str
    register_code: str
    opened_at: datetime
    closed_at: datetime | None
    opened_by: str
    closed_by: str | None
    currency: str
    sales_count: int
    gross_sales: int  # before discounts, tax included as priced
    discounts: int
    tax: int
    net_sales: int  # what customers paid for the sales (total of the orders)
    refunds_count: int
    refunds: int
    refunded_tax: int
    voids_count: int
    voids: int
    tenders: tuple[ZTenderLine, ...]
    taxes: tuple[TaxLineView, ...]
    opening_float: int
    cash_sales: int
    cash_refunds: int
    cash_in: int
    cash_out: int
    expected_cash: int
    counted_cash: int | None
    difference: int | None  # counted − expected: negative is a shortage
    text: dict[str, str] = field(default_factory=dict)  # every amount above, formatted
    #: the tax given back by this shift's refunds, by rate (each refunded line's tax split
    #: over its rates as the sale charged them), and the taxes owed net of it
    refunded_taxes: tuple[TaxLineView, ...] = ()
    net_taxes: tuple[TaxLineView, ...] = ()
    #: what price overrides gave away: catalogue price − price sold, × quantity (negative
    #: when overrides raised prices), over ``overrides_count`` lines
    overrides: int = 0
    overrides_count: int = 0
    #: card refunds recorded but not yet carried out by the card provider: still owed
    pending_card_refunds: int = 0
