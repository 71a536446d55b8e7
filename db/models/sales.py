"""Orders with their lines, taxes and payments; refunds; coupons; parked carts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, SyncedMixin, utcnow


class Coupon(IdMixin, SyncedMixin, Base):
    __tablename__ = "coupons"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)  # upper case
    kind: Mapped[str] = mapped_column(String(10))  # percent (value in ppm) | amount (minor units)
    value: Mapped[int]
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    min_spend: Mapped[int] = mapped_column(default=0)
    usage_limit: Mapped[int | None]
    per_customer_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class CouponRedemption(IdMixin, Base):
    __tablename__ = "coupon_redemptions"

    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(IdMixin, SyncedMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("refunded_total <= paid_total", name="refunds_within_paid"),
    )

    number: Mapped[str] = mapped_column(String(40), unique=True)  # "S01-R02-000123"
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    register_id: Mapped[str | None] = mapped_column(ForeignKey("registers.id"))
    register_seq: Mapped[int | None]
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    shift_id: Mapped[str | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="till")  # till | online
    status: Mapped[str] = mapped_column(String(12))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool]
    subtotal: Mapped[int]
    line_discount_total: Mapped[int] = mapped_column(default=0)
    order_discount_total: Mapped[int] = mapped_column(default=0)
    coupon_discount_total: Mapped[int] = mapped_column(default=0)
    tax_total: Mapped[int]
    total: Mapped[int]
    paid_total: Mapped[int]
    change_given: Mapped[int] = mapped_column(default=0)
    refunded_total: Mapped[int] = mapped_column(default=0)
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    # "collect" (taken at the counter) or "ship" (sent to ``ship_to``: it gets a label)
    fulfilment: Mapped[str] = mapped_column(String(10), default="collect",
                                            server_default="collect")
    ship_to: Mapped[str] = mapped_column(String(700), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list["OrderLine"]] = relationship(order_by="OrderLine.line_no", lazy="selectin")
    payments: Mapped[list["Payment"]] = relationship(order_by="Payment.position", lazy="selectin")


Index("ix_orders_register_seq", Order.register_id, Order.register_seq, unique=True)
Index("ix_orders_created_at", Order.created_at)


class OrderLine(IdMixin, Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("refunded_quantity_milli <= quantity_milli", name="refund_qty_within_sold"),
        CheckConstraint("refunded_total <= total", name="refund_within_line_total"),
    )

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity_milli: Mapped[int]
    unit_price: Mapped[int]
    unit_cost: Mapped[int] = mapped_column(default=0)
    gross: Mapped[int]
    line_discount: Mapped[int] = mapped_column(default=0)
    order_discount: Mapped[int] = mapped_column(default=0)
    coupon_discount: Mapped[int] = mapped_column(default=0)
    tax: Mapped[int]
    total: Mapped[int]
    refunded_quantity_milli: Mapped[int] = mapped_column(default=0)
    refunded_total: Mapped[int] = mapped_column(default=0)
    refunded_tax: Mapped[int] = mapped_column(default=0)
    price_override_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    #: the catalogue's unit price when it was sold (an overridden price is measured against
    #: it on the Z-report); None on lines recorded before it was kept
    catalogue_price: Mapped[int | None]

    taxes: Mapped[list["OrderLineTax"]] = relationship(order_by="OrderLineTax.position", lazy="selectin")


class OrderLineTax(IdMixin, Base):
    __tablename__ = "order_line_taxes"

    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    rate_ppm: Mapped[int]
    taxable: Mapped[int]
    tax: Mapped[int]


class Payment(IdMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("refunded <= amount", name="refund_within_payment"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    method: Mapped[str] = mapped_column(String(10))  # cash | card | credit
    amount: Mapped[int]  # applied to the sale
    tendered: Mapped[int]  # handed over (cash may exceed amount: the rest was change)
    refunded: Mapped[int] = mapped_column(default=0)
    reference: Mapped[str | None] = mapped_column(String(100))  # e.g. Stripe PaymentIntent id
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Refund(IdMixin, Base):
    __tablename__ = "refunds"

    number: Mapped[str] = mapped_column(String(40), unique=True)  # "S01-R02-RF000007"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    register_id: Mapped[str | None] = mapped_column(ForeignKey("registers.id"))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    shift_id: Mapped[str | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    amount: Mapped[int]
    tax: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list["RefundLine"]] = relationship(lazy="selectin")
    payments: Mapped[list["RefundPayment"]] = relationship(lazy="selectin")


class RefundLine(IdMixin, Base):
    __tablename__ = "refund_lines"

    refund_id: Mapped[str] = mapped_column(ForeignKey("refunds.id"), index=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity_milli: Mapped[int]
    amount: Mapped[int]
    tax: Mapped[int]


class RefundPayment(IdMixin, Base):
    __tablename__ = "refund_payments"

    refund_id: Mapped[str] = mapped_column(ForeignKey("refunds.id"), index=True)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"))
    method: Mapped[str] = mapped_column(String(10))  # what the money went back as
    amount: Mapped[int]
    # "done", or "pending" for a card refund the payment provider carries out after the commit
    status: Mapped[str] = mapped_column(String(10), default="done")
    reference: Mapped[str | None] = mapped_column(String(100))


class ParkedCart(IdMixin, SyncedMixin, Base):
    """A cart put aside to serve someone else; resumable on any till of the store."""

    __tablename__ = "parked_carts"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    register_id: Mapped[str | None] = mapped_column(ForeignKey("registers.id"))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    label: Mapped[str] = mapped_column(String(100), default="")
    payload: Mapped[str] = mapped_column(Text)  # JSON of the cart's lines and discounts
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentAttempt(IdMixin, Base):
    """One try at taking a card (or other provider) payment for one tender line of a sale,
    written before and after every step with the provider, so a crash mid-payment is resolved
    on restart by asking the provider about *this* attempt, never by charging again."""

    __tablename__ = "payment_attempts"
    __table_args__ = (UniqueConstraint("sale_id", "tender_index", "attempt"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    sale_id: Mapped[str] = mapped_column(String(36), index=True)  # becomes the order's id
    tender_index: Mapped[int]
    attempt: Mapped[int]  # 1, 2, … for retries of the same tender line after a failure
    provider: Mapped[str] = mapped_column(String(20))  # terminal | stripe_terminal
    method: Mapped[str] = mapped_column(String(10), default="card")
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # created | processing | succeeded | failed | canceled | unknown (outcome not known yet)
    status: Mapped[str] = mapped_column(String(12), default="created")
    reference: Mapped[str | None] = mapped_column(String(100))  # e.g. the PaymentIntent id
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    error_code: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(String(300))  # what the cashier was shown
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
