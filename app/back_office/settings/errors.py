"""A form's refusal: several fields at once, each with its reason."""

from __future__ import annotations

from app.domain.errors import InvalidInput


class FieldErrors(InvalidInput):
    """Several fields refused at once: ``errors`` maps each to its reason (the first is also
    the ``InvalidInput``'s field and message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, reason = next(iter(errors.items()))
        super().__init__(reason, field=field)
        self.errors = errors
