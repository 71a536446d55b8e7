"""Which method and path runs which operation: the parts of Stripe's v1 API the fake speaks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import intents, readers
from . import params as p
from .state import Store, StripeError, missing

Operation = Callable[[Store, tuple[str, ...], dict[str, Any]], dict[str, Any]]

_ID = r"([A-Za-z0-9_]+)"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    run: Operation


def _route(method: str, path: str, run: Operation) -> Route:
    return Route(method, re.compile("^" + path.replace("{id}", _ID) + "$"), run)


def _retrieve_intent(store: Store, ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, {"client_secret"})
    return intents.get(store, ids[0])


def _retrieve_refund(store: Store, ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, set())
    return intents.get_refund(store, ids[0])


def _list_refunds(store: Store, _ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    """Newest first, optionally of one PaymentIntent or charge (Stripe's list shape)."""
    p.only(params, {"payment_intent", "charge", "limit", "starting_after", "ending_before",
                    "created"})
    limit = p.integer(params, "limit", minimum=1) or 10
    found = [r for r in reversed(list(store.refunds.values()))
             if params.get("payment_intent") in (None, r["payment_intent"])
             and params.get("charge") in (None, r["charge"])]
    return {"object": "list", "data": found[:limit], "has_more": len(found) > limit,
            "url": "/v1/refunds"}


def _retrieve_charge(store: Store, ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, set())
    charge = store.charges.get(ids[0])
    if charge is None:
        raise missing("charge", ids[0])
    return charge


def _list_events(store: Store, _ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, {"limit", "type", "starting_after", "ending_before", "created",
                    "delivery_success", "types"})
    limit = p.integer(params, "limit", minimum=1) or 10
    wanted = params.get("type")
    events = [e for e in reversed(store.events) if wanted in (None, e["type"])]
    return {"object": "list", "data": events[:limit], "has_more": len(events) > limit,
            "url": "/v1/events"}


def _retrieve_event(store: Store, ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, set())
    for event in store.events:
        if event["id"] == ids[0]:
            return event
    raise missing("event", ids[0])


def _retrieve_reader(store: Store, ids: tuple[str, ...], params: dict[str, Any]) -> dict:
    p.only(params, set())
    return readers.get(store, ids[0])


ROUTES = [
    _route("POST", "/v1/payment_intents", lambda s, _i, q: intents.create(s, q)),
    _route("GET", "/v1/payment_intents/{id}", _retrieve_intent),
    _route("POST", "/v1/payment_intents/{id}/capture", lambda s, i, q: intents.capture(s, i[0], q)),
    _route("POST", "/v1/payment_intents/{id}/cancel", lambda s, i, q: intents.cancel(s, i[0], q)),
    _route("POST", "/v1/refunds", lambda s, _i, q: intents.refund(s, q)),
    _route("GET", "/v1/refunds", _list_refunds),
    _route("GET", "/v1/refunds/{id}", _retrieve_refund),
    _route("GET", "/v1/charges/{id}", _retrieve_charge),
    _route("GET", "/v1/events", _list_events),
    _route("GET", "/v1/events/{id}", _retrieve_event),
    _route("GET", "/v1/terminal/readers", lambda s, _i, q: readers.listing(s, q)),
    _route("GET", "/v1/terminal/readers/{id}", _retrieve_reader),
    _route("POST", "/v1/terminal/readers/{id}/process_payment_intent",
           lambda s, i, q: readers.process(s, i[0], q)),
    _route("POST", "/v1/terminal/readers/{id}/cancel_action",
           lambda s, i, q: readers.cancel_action(s, i[0], q)),
    _route("POST", "/v1/test_helpers/terminal/readers/{id}/present_payment_method",
           lambda s, i, q: readers.present(s, i[0], q)),
]


def resolve(method: str, path: str) -> tuple[Operation, tuple[str, ...]]:
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route.run, match.groups()
    raise StripeError(404, "invalid_request_error",
                      f"Unrecognized request URL ({method}: {path}). Please see "
                      "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                      saved=False)
