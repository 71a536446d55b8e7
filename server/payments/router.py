"""``POST /webhooks/stripe``: Stripe's events about card payments. No credentials but the
signature: the raw body is checked against ``Stripe-Signature`` with the endpoint's secret
(``TILLPOINT_STRIPE_WEBHOOK_SECRET``) before anything in it is read.

Left out of the OpenAPI document: only Stripe calls it, and it answers 503 by design while no
secret is configured (the fuzzing of documented routes allows no 5xx)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pymongo.database import Database
from starlette.concurrency import run_in_threadpool

from server.errors import ApiError
from server.payments import events, service
from server.security.deps import Principal, get_db, public
from server.security.webhooks import SignatureError, verify

router = APIRouter(tags=["payments"])
STRIPE = public("Stripe calls it: the Stripe-Signature over the raw body is the credential")


@router.post("/webhooks/stripe", include_in_schema=False)
async def stripe_webhook(request: Request, db: Database = Depends(get_db),
                         _: Principal = Depends(STRIPE)) -> dict[str, Any]:
    settings = request.app.state.settings
    if not settings.stripe_webhook_secret:
        raise ApiError(503, "webhook_not_configured",
                       "Stripe webhooks are not set up on this server: set "
                       "TILLPOINT_STRIPE_WEBHOOK_SECRET to the endpoint's signing secret "
                       "(whsec_…); until then no event is accepted")
    body = await request.body()  # the exact bytes Stripe signed
    try:
        verify(settings.stripe_webhook_secret, body, request.headers.get("stripe-signature", ""),
               tolerance_s=settings.stripe_webhook_tolerance_s)
    except SignatureError as exc:
        raise ApiError(400, "bad_signature", f"Stripe-Signature: {exc.reason}",
                       {"field": "Stripe-Signature"}) from None
    try:
        event = events.parse(body)
    except events.EventError as exc:
        raise ApiError(400, "bad_event", f"not a Stripe event: {exc}",
                       {"field": exc.field}) from None
    if event.fact is None:
        return {"received": True, "ignored": True, "type": event.type}
    # pymongo blocks: off the event loop (the route is async to await the raw body)
    outcome = await run_in_threadpool(service.record_event, db, event)
    return outcome.body()
