"""The push request as the API validates it (the payload of each mutation is checked by its
kind's handler, which turns a bad one into a ``rejected`` result rather than a 422 for all)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.domain.sync_protocol import MAX_PUSH_MUTATIONS


class Mutation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=36, max_length=36)
    seq: int = Field(ge=1, le=2**62)
    kind: str = Field(min_length=1, max_length=40)
    entity_id: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]
    created_at: str = Field(min_length=1, max_length=40)
    staff_id: str | None = Field(default=None, max_length=64)

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("is not a UUID") from None


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mutations: list[Mutation] = Field(min_length=1, max_length=MAX_PUSH_MUTATIONS)

    @model_validator(mode="after")
    def _in_order(self) -> "PushRequest":
        seqs = [m.seq for m in self.mutations]
        if any(b <= a for a, b in zip(seqs, seqs[1:])):
            raise ValueError("mutations: seq must be strictly increasing within a batch")
        if len({m.id for m in self.mutations}) != len(self.mutations):
            raise ValueError("mutations: the same id appears twice in one batch")
        return self
