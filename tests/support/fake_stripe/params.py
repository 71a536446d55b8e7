"""Checks on request parameters, answered the way Stripe answers a bad one (400, the param).

Unknown parameters are refused as Stripe refuses them, so a client sending a misspelt or
made-up field finds out here and not on a real account.
"""

from __future__ import annotations

from typing import Any

from .state import StripeError, invalid


def only(params: dict[str, Any], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed | {"expand"}:
            raise invalid(f"Received unknown parameter: {name}", code="parameter_unknown",
                          param=name, saved=False)


def required(params: dict[str, Any], name: str) -> Any:
    if name not in params or params[name] == "":
        raise invalid(f"Missing required param: {name}.", code="parameter_missing",
                      param=name, saved=False)
    return params[name]


def integer(params: dict[str, Any], name: str, *, minimum: int = 0) -> int | None:
    """An integer param (form values are strings); None when absent."""
    if name not in params:
        return None
    raw = params[name]
    if not isinstance(raw, str) or not raw.lstrip("-").isdigit():
        raise invalid(f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name,
                      saved=False)
    value = int(raw)
    if value < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.",
                      code="parameter_invalid_integer", param=name, saved=False)
    return value


def choice(params: dict[str, Any], name: str, options: tuple[str, ...], default: str) -> str:
    value = params.get(name, default)
    if value not in options:
        raise invalid(f"Invalid {name}: must be one of {', '.join(options)}",
                      code="parameter_invalid_string", param=name, saved=False)
    return value


def string_list(params: dict[str, Any], name: str, default: list[str]) -> list[str]:
    value = params.get(name, default)
    if isinstance(value, str):
        raise invalid(f"Invalid array: {name}", code="parameter_invalid_array", param=name,
                      saved=False)
    return list(value)


def metadata(params: dict[str, Any], existing: dict[str, str] | None = None) -> dict[str, str]:
    result = dict(existing or {})
    raw = params.get("metadata", {})
    if raw == "":  # Stripe: an empty string unsets all metadata
        return {}
    if not isinstance(raw, dict):
        raise invalid("Invalid object", code="parameter_invalid_empty", param="metadata",
                      saved=False)
    for key, value in raw.items():
        if not isinstance(value, str):
            raise invalid("Invalid metadata value", param=f"metadata[{key}]", saved=False)
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    return result


def expand_paths(params: dict[str, Any]) -> list[str]:
    value = params.get("expand", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("Invalid array", code="parameter_invalid_array", param="expand",
                      saved=False)
    return value


def bad_key() -> StripeError:
    return StripeError(401, "invalid_request_error",
                       "Invalid API Key provided: a test key starts with sk_test_ or rk_test_.",
                       saved=False)
