"""Request bodies of the staff-user routes: strict types, no unknown fields, bounded lengths."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain.permissions import Role

STRICT = ConfigDict(extra="forbid", strict=True)
MAX_VERSION = 2**31  # versions are int64 in MongoDB: bound them so a wild number is a 422, not a 500


def _encodable(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"): they are valid Python strings but not UTF-8,
    # and MongoDB would refuse them with an error that looks like a bug.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid Unicode") from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]
Id = Annotated[Text, Field(min_length=1, max_length=64)]
Name = Annotated[Text, Field(max_length=200)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
StoreIds = Annotated[list[Id], Field(max_length=200)]
# FastAPI validates the already-decoded JSON, where a role is a str, not a Role: lax for enums only.
RoleName = Annotated[Role, Field(strict=False)]


class UserCreate(BaseModel):
    """A staff account; the password policy and email syntax are checked by the service."""

    model_config = STRICT
    email: Annotated[Text, Field(min_length=3, max_length=254)]
    password: Annotated[Text, Field(min_length=1, max_length=200)]
    role: RoleName
    name: Name = ""
    store_ids: StoreIds = []


class UserUpdate(BaseModel):
    """Fields left out (or null) stay as they are; ``version`` is the one the edit was based on."""

    model_config = STRICT
    version: Version
    name: Name | None = None
    role: RoleName | None = None
    active: bool | None = None
    store_ids: StoreIds | None = None


class PinSet(BaseModel):
    model_config = STRICT
    pin: Annotated[Text, Field(min_length=1, max_length=16)]
