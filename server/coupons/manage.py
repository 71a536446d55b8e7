"""Managing coupons for the back office (``/coupons``): create, list, read, edit with a
version check, deactivate, and list redemptions. Every write appends the coupon's view to the
``catalog`` feed (tills price with coupons offline) and is audited, in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from app.domain.coupons import normalise_code
from app.domain.errors import DomainError
from app.domain.money import check_currency, check_minor
from app.domain.rates import format_percent, parse_percent
from server import audit
from server.changes.log import CATALOG_FEED, Change, append
from server.common.paging import parse_sort
from server.common.versioning import not_found, now_ms, update_if_version
from server.coupons import repository as repo
from server.coupons.schemas import NULLABLE, CouponCreate, CouponUpdate
from server.database import in_transaction
from server.errors import ApiError

Doc = dict[str, Any]
SORTS = {"code": "code", "created_at": "created_at", "valid_to": "valid_to"}
_PREFIX_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field})


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def coupon_view(coupon: Doc) -> Doc:
    """The coupon as staff and tills see it: ``value`` in the shape it was given (percent as
    decimal text, amount in minor units), with the exact ``rate_ppm`` of a percent beside it."""
    percent = coupon["kind"] == "percent"
    return {"id": coupon["_id"], "code": coupon["code"], "kind": coupon["kind"],
            "value": format_percent(coupon["value"]) if percent else coupon["value"],
            "rate_ppm": coupon["value"] if percent else None,
            "currency": coupon.get("currency"), "valid_from": _iso(coupon.get("valid_from")),
            "valid_to": _iso(coupon.get("valid_to")), "min_spend": coupon.get("min_spend", 0),
            "usage_limit": coupon.get("usage_limit"),
            "per_customer_limit": coupon.get("per_customer_limit"),
            "active": coupon["active"], "used": coupon.get("used", 0),
            "description": coupon.get("description", ""), "version": coupon["version"],
            "created_at": _iso(coupon["created_at"]), "updated_at": _iso(coupon["updated_at"])}


def _value(kind: str, value: Any) -> int:
    """A percent as decimal text → ppm; an amount as whole minor units. Zero is refused: a
    coupon that takes nothing off is a mistake."""
    try:
        if kind == "percent":
            if not isinstance(value, str):
                raise invalid("value", 'a percent is decimal text, e.g. "10" or "12.5"')
            parsed = parse_percent(value, field="value")
        else:
            if isinstance(value, str):
                raise invalid("value", "an amount is a whole number of minor units, e.g. 500")
            parsed = check_minor(value, field="value")
    except DomainError as exc:
        raise invalid("value", exc.message) from None
    if parsed == 0:
        raise invalid("value", "must be more than zero")
    return parsed


def _checked(fields: Doc) -> Doc:
    """The cross-field rules of a whole coupon (a new one, or an edited one merged)."""
    if fields.get("currency") is not None:
        try:
            fields["currency"] = check_currency(fields["currency"], field="currency")
        except DomainError as exc:
            raise invalid("currency", exc.message) from None
    if fields["kind"] == "amount" and not fields.get("currency"):
        raise invalid("currency", "an amount coupon needs the currency of its amount")
    start, end = fields.get("valid_from"), fields.get("valid_to")
    if start is not None and end is not None and end <= start:
        raise invalid("valid_to", "must be after valid_from")
    return fields


def _write(db: Database, work_fn, *, actor: str, action: str, ip: str | None,
           request_id: str | None, details: Doc) -> Doc:
    """Run one coupon write with its change-log entry and audit entry in one transaction."""
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> Doc:
        coupon = work_fn(session)
        view = coupon_view(coupon)
        append(db, CATALOG_FEED, Change("coupon", coupon["_id"], version=coupon["version"],
                                        data=view), session=session)
        audit.record(db, actor=actor, action=action, target=coupon["_id"], ip=ip,
                     request_id=request_id, details=details, session=session, audit_id=audit_id)
        return view

    return in_transaction(db, work)


def create(db: Database, *, body: CouponCreate, actor: str, ip: str | None = None,
           request_id: str | None = None) -> Doc:
    """A new coupon; 409 when its (normalised) code exists."""
    try:
        code = normalise_code(body.code, field="code")
    except DomainError as exc:
        raise invalid("code", exc.message) from None
    fields = _checked({**body.model_dump(exclude={"code", "value"}),
                       "value": _value(body.kind, body.value)})
    now = now_ms()
    coupon = {"_id": str(uuid.uuid4()), "code": code, **fields, "used": 0, "version": 1,
              "created_at": now, "updated_at": now}

    def insert(session: ClientSession) -> Doc:
        repo.insert(db, coupon, session)  # the unique index refuses a second code
        return coupon

    try:
        return _write(db, insert, actor=actor, action="coupon.created", ip=ip,
                      request_id=request_id, details={"code": code})
    except DuplicateKeyError:
        raise ApiError(409, "coupon_code_taken", f"a coupon with code {code} already exists",
                       {"field": "code"}) from None


def require(db: Database, coupon_id: str) -> Doc:
    coupon = repo.by_id(db, coupon_id)
    if coupon is None:
        raise not_found("coupon", coupon_id)
    return coupon


def get(db: Database, *, coupon_id: str) -> Doc:
    return coupon_view(require(db, coupon_id))


def _code_prefix(code: str | None) -> str | None:
    if code is None:
        return None
    prefix = code.strip().upper()
    if not prefix or len(prefix) > 32 or not set(prefix) <= _PREFIX_CHARS:
        raise invalid("code", "a code (or its beginning) is letters, digits, - or _")
    return prefix


def list_coupons(db: Database, *, active: bool | None, code: str | None, sort: str | None,
                 page: int, per_page: int) -> Doc:
    """A page of coupons, by code unless ``sort`` says otherwise; ``code`` matches a prefix."""
    keys = parse_sort(sort, SORTS, "code") + [("_id", ASCENDING)]
    rows = repo.page(db, active=active, code_prefix=_code_prefix(code), sort=keys,
                     skip=(page - 1) * per_page, limit=per_page + 1)
    return {"items": [coupon_view(c) for c in rows[:per_page]], "page": page,
            "per_page": per_page, "has_more": len(rows) > per_page}


def _changes(body: CouponUpdate, current: Doc) -> Doc:
    given = {name: getattr(body, name) for name in body.model_fields_set if name != "version"}
    for name, value in given.items():
        if value is None and name not in NULLABLE:
            raise invalid(name, "cannot be null (leave it out to keep it)")
    if not given:
        raise invalid("version", "nothing to change")
    if "kind" in given and given["kind"] != current["kind"] and "value" not in given:
        raise invalid("value", "give the value along with a new kind")
    if "value" in given:
        given["value"] = _value(given.get("kind", current["kind"]), given["value"])
    merged = _checked({**current, **given})
    return {name: merged[name] for name in given}


def update(db: Database, *, coupon_id: str, body: CouponUpdate, actor: str,
           ip: str | None = None, request_id: str | None = None) -> Doc:
    """Apply the given fields if ``body.version`` is still current (409 otherwise)."""
    current = require(db, coupon_id)
    changes = _changes(body, current)

    def write(session: ClientSession) -> Doc:
        return update_if_version(db.coupons, coupon_id, body.version, {"$set": changes},
                                 kind="coupon", session=session)

    return _write(db, write, actor=actor, action="coupon.updated", ip=ip, request_id=request_id,
                  details={"from": {k: current.get(k) for k in changes}, "to": changes})


def deactivate(db: Database, *, coupon_id: str, actor: str, ip: str | None = None,
               request_id: str | None = None) -> Doc:
    """Deactivate (coupons are never deleted: redemptions refer to them); idempotent."""
    current = require(db, coupon_id)
    if not current["active"]:
        return coupon_view(current)

    def write(session: ClientSession) -> Doc:
        return update_if_version(db.coupons, coupon_id, current["version"],
                                 {"$set": {"active": False}}, kind="coupon", session=session)

    return _write(db, write, actor=actor, action="coupon.deactivated", ip=ip,
                  request_id=request_id, details={"code": current["code"]})


def redemptions(db: Database, *, coupon_id: str, page: int, per_page: int) -> Doc:
    """Who used a coupon, for which order, newest first."""
    require(db, coupon_id)
    rows = repo.redemptions_page(db, coupon_id, skip=(page - 1) * per_page, limit=per_page + 1)
    items = [{"id": r["_id"], "coupon_id": r["coupon_id"], "code": r["code"],
              "customer_id": r.get("customer_id"), "order_id": r["order_id"],
              "at": _iso(r["at"])} for r in rows[:per_page]]
    return {"items": items, "page": page, "per_page": per_page, "has_more": len(rows) > per_page}
