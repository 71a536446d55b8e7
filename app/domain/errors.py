"""Errors the domain raises for input that makes no sense: each names the field at fault."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an operation; the message is fit to show a person."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message


class InvalidInput(DomainError):
    """A value from outside (a price, quantity, barcode, code …) is malformed or out of range."""

    code = "invalid_input"


class NotFound(DomainError):
    """A referenced record (product, barcode, order, customer …) does not exist."""

    code = "not_found"


class RuleViolation(DomainError):
    """A well-formed request that the business rules forbid (over-refund, expired coupon …)."""

    code = "rule_violation"


class InvalidTransition(RuleViolation):
    """An order status change that the state machine does not allow."""

    code = "invalid_transition"

    def __init__(self, message: str, *, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message, field="status")
        self.allowed = allowed
