"""Request bodies of the inventory routes: strict integers in thousandths, bounded text, no
unknown fields; ``kind`` picks the shape of a posted movement."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from app.domain.quantity import MAX_QUANTITY_MILLI
from server.users.schemas import STRICT, Id, Text, Version

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _not_zero(value: int) -> int:
    if value == 0:
        raise ValueError("must not be zero")
    return value


MovementId = Annotated[Text, Field(pattern=_UUID), AfterValidator(str.lower)]
Note = Annotated[Text, Field(max_length=500)]
Short = Annotated[Text, Field(max_length=200)]
Positive = Annotated[int, Field(strict=True, gt=0, le=MAX_QUANTITY_MILLI)]
NonNegative = Annotated[int, Field(strict=True, ge=0, le=MAX_QUANTITY_MILLI)]
Signed = Annotated[int, Field(strict=True, ge=-MAX_QUANTITY_MILLI, le=MAX_QUANTITY_MILLI),
                   AfterValidator(_not_zero)]
Reason = Literal["damage", "theft", "correction", "other"]


class _MovementBase(BaseModel):
    model_config = STRICT
    store_id: Id
    variant_id: Id
    movement_id: MovementId | None = None  # the client's id: a retry returns the first one
    note: Note = ""


class AdjustmentCreate(_MovementBase):
    """Stock found or lost outside a sale: signed, with a reason."""

    kind: Literal["adjustment"]
    quantity_milli: Signed
    reason: Reason


class ReceiptCreate(_MovementBase):
    """A delivery from a supplier."""

    kind: Literal["receipt"]
    quantity_milli: Positive
    supplier: Short = ""
    delivery_ref: Short = ""


class CountCreate(_MovementBase):
    """A stock count: what is on the shelf; the difference to the ledger is recorded."""

    kind: Literal["count"]
    counted_milli: NonNegative


class _UnknownKind(BaseModel):
    """What a body with a missing or unknown ``kind`` is checked against, so that the error
    names ``kind`` (its tag is ``body``, which the error shape leaves out of field names)."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["adjustment", "receipt", "count"]


_KINDS = {"adjustment", "receipt", "count"}


def _kind_of(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if isinstance(kind, str) and kind in _KINDS else "body"


MovementCreate = Annotated[Union[Annotated[AdjustmentCreate, Tag("adjustment")],
                                 Annotated[ReceiptCreate, Tag("receipt")],
                                 Annotated[CountCreate, Tag("count")],
                                 Annotated[_UnknownKind, Tag("body")]],
                           Discriminator(_kind_of)]


class TransferLine(BaseModel):
    model_config = STRICT
    variant_id: Id
    quantity_milli: Positive


class TransferCreate(BaseModel):
    """Stock leaving one store for another: both sides in one transaction."""

    model_config = STRICT
    from_store_id: Id
    to_store_id: Id
    lines: Annotated[list[TransferLine], Field(min_length=1, max_length=200)]
    note: Note = ""
    transfer_id: MovementId | None = None  # the client's id: a retry returns the first transfer


class LevelUpdate(BaseModel):
    """A level's own low-stock threshold (``null``: the product's)."""

    model_config = STRICT
    version: Version
    low_stock_threshold_milli: NonNegative | None
