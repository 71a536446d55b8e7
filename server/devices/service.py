"""Registers, pairing codes and device credentials.

A till pairs by exchanging a short one-time code (issued by a manager, or by the
``pairing-code`` command) for a device id and a random key; only digests of codes and keys are
stored. A register has at most one active device, because order numbers are gap-free per
register: pairing a new till to a register revokes the one it replaces.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server import audit
from server.database import in_transaction
from server.devices import repository as repo
from server.devices.schemas import RegisterCreate, parse_code
from server.devices.stores import now_ms, require_store, store_for_pairing
from server.errors import ApiError
from server.security.deps import Principal
from server.security.tokens import digest, new_secret

#: no 0/O, 1/I/L: a code is read off a screen and typed on a till
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10 ≈ 2**49.5: with a 15-minute life and a per-IP limit, unguessable
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


def _now() -> datetime:
    return now_ms()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def register_view(register: dict[str, Any]) -> dict[str, Any]:
    return {"id": register["_id"], "store_id": register["store_id"], "code": register["code"],
            "name": register.get("name", ""), "device_id": register.get("device_id"),
            "paired_at": _iso(register.get("paired_at")),
            "created_at": _iso(register.get("created_at"))}


def device_view(device: dict[str, Any]) -> dict[str, Any]:
    return {"id": device["_id"], "store_id": device["store_id"],
            "register_id": device["register_id"], "created_at": _iso(device.get("created_at")),
            "revoked_at": _iso(device.get("revoked_at")),
            "revoked_reason": device.get("revoked_reason")}


# registers ------------------------------------------------------------------------------------

def _insert_register(db: Database, store: dict[str, Any], code: str, name: str, *, actor: str,
                     ip: str | None, request_id: str | None) -> dict[str, Any]:
    register = {"_id": str(uuid.uuid4()), "store_id": store["_id"], "code": code,
                "name": name.strip(), "device_id": None, "paired_at": None, "created_at": _now()}
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> None:  # the register and its audit entry, or neither
        repo.insert_register(db, register, session)  # unique (store_id, code) refuses a duplicate
        audit.record(db, actor=actor, action="register.created", target=register["_id"], ip=ip,
                     request_id=request_id, details={"store": store["code"], "code": code},
                     session=session, audit_id=audit_id)

    in_transaction(db, work)
    return register


def create_register(db: Database, *, store_id: str, body: RegisterCreate, actor: str,
                    ip: str | None, request_id: str | None) -> dict[str, Any]:
    store = require_store(db, store_id)
    try:
        register = _insert_register(db, store, body.code, body.name, actor=actor, ip=ip,
                                    request_id=request_id)
    except DuplicateKeyError:
        raise ApiError(409, "register_code_taken", f"store {store['code']} already has a "
                       f"register {body.code}", {"field": "code"}) from None
    return register_view(register)


def list_registers(db: Database, *, store_id: str) -> dict[str, Any]:
    require_store(db, store_id)
    return {"items": [register_view(r) for r in repo.registers_of(db, store_id)]}


# pairing codes --------------------------------------------------------------------------------

def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    """What the digest is taken of: upper case, without the dashes and spaces people type."""
    return re.sub(r"[\s-]", "", code).upper()


def _issue(db: Database, store: dict[str, Any], register: dict[str, Any], *, minutes: int,
           actor: str, ip: str | None, request_id: str | None) -> dict[str, Any]:
    code, now = new_code(), _now()
    expires_at = now + timedelta(minutes=minutes)
    # The digest is the _id: the exchange is one indexed lookup, and the code itself is never
    # stored. The TTL index on expires_at removes it afterwards.
    issued = {"_id": digest(normalise_code(code)), "store_id": store["_id"],
              "register_id": register["_id"], "created_at": now, "expires_at": expires_at,
              "used_at": None, "device_id": None, "issued_by": actor}
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> None:  # the code and its audit entry, or neither
        repo.insert_pairing_code(db, issued, session)
        audit.record(db, actor=actor, action="pairing_code.issued", target=register["_id"],
                     ip=ip, request_id=request_id, details={"store": store["code"],
                                                            "register": register["code"],
                                                            "expires_at": expires_at.isoformat()},
                     session=session, audit_id=audit_id)

    in_transaction(db, work)
    return {"code": code, "expires_at": expires_at, "store_id": store["_id"],
            "store_code": store["code"], "register_id": register["_id"],
            "register_code": register["code"]}


def issue_code_for_register(db: Database, *, register_id: str, minutes: int, actor: str,
                            ip: str | None, request_id: str | None) -> dict[str, Any]:
    register = repo.get_register(db, register_id)
    if register is None:
        raise ApiError(404, "not_found", f"no register {register_id}", {"id": register_id})
    issued = _issue(db, require_store(db, register["store_id"]), register, minutes=minutes,
                    actor=actor, ip=ip, request_id=request_id)
    return {**issued, "expires_at": issued["expires_at"].isoformat()}


def issue_pairing_code(db: Database, *, store_code: str | None = None, register_code: str,
                       minutes: int, actor: str, ip: str | None) -> dict[str, Any]:
    """For the ``pairing-code`` command: the register is created if needed (and, on a fresh
    server, the default store); ``expires_at`` is an aware datetime."""
    try:
        code = parse_code(register_code)
    except ValueError as exc:
        raise ApiError(422, "validation_error", f"register: {exc}", {"field": "register"}) from None
    store = store_for_pairing(db, store_code, actor=actor, ip=ip)
    register = repo.register_by_code(db, store["_id"], code)
    if register is None:
        try:
            register = _insert_register(db, store, code, "", actor=actor, ip=ip, request_id=None)
        except DuplicateKeyError:  # created concurrently: use it
            register = repo.register_by_code(db, store["_id"], code)
    return _issue(db, store, register, minutes=minutes, actor=actor, ip=ip, request_id=None)


def _refusal(issued: dict[str, Any] | None) -> ApiError:
    if issued is None:
        return ApiError(400, "invalid_pairing_code", "this pairing code is not valid (mistyped, "
                        "or expired and removed): ask for a new one")
    if issued.get("used_at") is not None:
        return ApiError(409, "pairing_code_used", "this pairing code was already used: each code "
                        "pairs one till once; ask for a new one")
    return ApiError(400, "pairing_code_expired", "this pairing code has expired: ask for a new one")


def pair_device(db: Database, *, code: str, ip: str | None,
                request_id: str | None) -> dict[str, Any]:
    """Exchange a pairing code for a device credential. The key is returned only here."""
    typed = normalise_code(code)
    if not _CODE.fullmatch(typed):
        raise _refusal(None)
    code_digest = digest(typed)
    device_id, key, now = str(uuid.uuid4()), new_secret(32), _now()
    paired: dict[str, Any] = {}

    def work(session: ClientSession) -> None:
        claimed = repo.claim_pairing_code(db, code_digest, device_id, now, session)
        issued = repo.get_pairing_code(db, code_digest, session)
        if not claimed and (issued is None or issued.get("device_id") != device_id):
            raise _refusal(issued)
        register = repo.get_register(db, issued["register_id"], session)
        if register is None:
            raise ApiError(409, "register_gone", "the register this code was for no longer exists")
        paired.update(store_id=register["store_id"], register_id=register["_id"],
                      register_code=register["code"])
        if not claimed:
            return  # our own earlier commit, retried: the device already exists
        replaced = register.get("device_id")
        if replaced:
            repo.revoke_device(db, replaced, now, "replaced", session)
        # Writing the register serialises concurrent pairings of it (a write conflict makes
        # one transaction retry and see the other's device), so one device stays active.
        repo.attach_device(db, register["_id"], device_id, now, session)
        repo.insert_device(db, {"_id": device_id, "store_id": register["store_id"],
                                "register_id": register["_id"], "key_hash": digest(key),
                                "created_at": now, "revoked_at": None, "paired_from": ip},
                           session)
        audit.record(db, actor=f"device:{device_id}", action="device.paired", target=device_id,
                     ip=ip, request_id=request_id, session=session,
                     details={"register_id": register["_id"], "replaced": replaced})

    in_transaction(db, work)
    store = repo.get_store(db, paired["store_id"])
    return {"device_id": device_id, "device_key": key, **paired,
            "store_code": store["code"] if store else None}


# devices --------------------------------------------------------------------------------------

def list_devices(db: Database, *, include_revoked: bool, register_id: str | None, page: int,
                 per_page: int) -> dict[str, Any]:
    rows = repo.devices_page(db, include_revoked=include_revoked, register_id=register_id,
                             skip=(page - 1) * per_page, limit=per_page + 1)
    return {"items": [device_view(d) for d in rows[:per_page]], "page": page,
            "per_page": per_page, "has_more": len(rows) > per_page}


def revoke_device(db: Database, *, device_id: str, actor: str, ip: str | None,
                  request_id: str | None) -> dict[str, Any]:
    """Revoke a till's credential at once (every request checks it); idempotent."""
    device = repo.get_device(db, device_id)
    if device is None:
        raise ApiError(404, "not_found", f"no device {device_id}", {"id": device_id})
    if device.get("revoked_at") is None:
        now, audit_id = _now(), str(uuid.uuid4())

        def work(session: ClientSession) -> None:
            if repo.revoke_device(db, device_id, now, "revoked", session):
                repo.detach_device(db, device["register_id"], device_id, session)
                audit.record(db, actor=actor, action="device.revoked", target=device_id, ip=ip,
                             request_id=request_id, session=session, audit_id=audit_id)

        in_transaction(db, work)
    return device_view(repo.get_device(db, device_id))


def whoami(db: Database, *, principal: Principal) -> dict[str, Any]:
    """The calling till's own identity, so it can check its credential and numbering."""
    store = repo.get_store(db, principal.store_id or "")
    register = repo.get_register(db, principal.register_id or "")
    # The store's name, currency, tax mode and zone let a freshly paired till create its
    # local shop exactly as the server has it.
    return {"device_id": principal.id, "store_id": principal.store_id,
            "register_id": principal.register_id,
            "store_code": store["code"] if store else None,
            "register_code": register["code"] if register else None,
            "store_name": store["name"] if store else None,
            "currency": store["currency"] if store else None,
            "prices_include_tax": store["prices_include_tax"] if store else None,
            "timezone": store.get("timezone", "UTC") if store else None,
            "register_name": register.get("name", "") if register else None,
            # what a replacement till numbers from (the highest its predecessors pushed, + 1)
            "next_order_seq": int((register or {}).get("order_seq_high", 0)) + 1,
            "next_refund_seq": int((register or {}).get("refund_seq_high", 0)) + 1}
