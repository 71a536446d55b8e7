"""Request bodies of the order routes: strict types, bounded sizes, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.money import MAX_MINOR
from server.carts.schemas import MAX_MILLI, MAX_PIECES, Text
from server.errors import ApiError
from server.users.schemas import Version

STRICT = ConfigDict(extra="forbid", strict=True)
Reason = Annotated[Text, Field(max_length=500)]
StatusName = Literal["pending", "confirmed", "processing", "shipped", "delivered", "cancelled",
                     "refunded"]
PaymentMethod = Literal["card", "cash", "bank_transfer", "paypal", "voucher", "other"]


class StatusChange(BaseModel):
    model_config = STRICT
    status: StatusName
    reason: Reason = ""
    version: Version
    tracking_number: Annotated[Text, Field(min_length=1, max_length=100)] | None = None


class PaymentCreate(BaseModel):
    model_config = STRICT
    method: PaymentMethod
    amount: Annotated[int, Field(ge=1, le=MAX_MINOR)]
    provider_ref: Annotated[Text, Field(min_length=1, max_length=200)] | None = None


class RefundLine(BaseModel):
    """``quantity`` in pieces, or ``quantity_milli`` for weighed items: exactly one."""

    model_config = STRICT
    index: Annotated[int, Field(ge=0, le=10_000)]
    quantity: Annotated[int, Field(ge=1, le=MAX_PIECES)] | None = None
    quantity_milli: Annotated[int, Field(ge=1, le=MAX_MILLI)] | None = None


class RefundCreate(BaseModel):
    model_config = STRICT
    lines: Annotated[list[RefundLine], Field(min_length=1, max_length=200)]
    reason: Annotated[Text, Field(min_length=1, max_length=500)]

    def wanted(self) -> list[tuple[int, int]]:
        """[(index, quantity_milli)]; 422 naming the line without exactly one quantity."""
        out = []
        for i, ln in enumerate(self.lines):
            if (ln.quantity is None) == (ln.quantity_milli is None):
                raise ApiError(422, "validation_error", f"lines[{i}].quantity: give exactly one "
                               "of quantity or quantity_milli", {"field": f"lines.{i}.quantity"})
            out.append((ln.index, ln.quantity_milli if ln.quantity is None
                        else ln.quantity * 1000))
        return out
