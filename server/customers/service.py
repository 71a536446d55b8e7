"""Customers. CONTRACT used by carts and orders (the customers owner implements it and may add
more, but changes none of these signatures without updating every caller).

Stored shape: ``customers``: ``{_id: str (uuid4), user_id: str | None (an online account),
email: str | None, name: str, phone: str, addresses: [{id, label, name, line1, line2, city,
postcode, region, country, phone}], marketing_opt_in: bool, notes: str, erased: bool,
version, created_at, updated_at}`` (plus ``name_key``, the lower-cased name the list's
prefix filter uses) — till-born customers have no ``user_id``. Every write
appends a ``customer`` entry to the ``customers`` feed of ``server.changes.log``. An email
is unique among customers (``customer_emails``: ``{_id: email, customer_id}``). The record of
an online account has ``_id = uuid5(user id)``, so two requests racing to create it write the
same document and conflict instead of making two.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server import audit
from server.changes.log import CUSTOMERS_FEED, Change, append
from server.common.paging import page_of
from server.common.versioning import not_found, now_ms, version_conflict
from server.customers import repository as repo
from server.customers.schemas import AddressCreate, AddressUpdate, CustomerCreate, CustomerUpdate
from server.database import in_transaction
from server.errors import ApiError
from server.security.deps import Principal
from server.users.service import normalise_email

Doc = dict[str, Any]
_ACCOUNTS = uuid.UUID("5d0c8f0e-7f4e-4c5e-9a51-7b1f0d6c2a10")  # namespace of uuid5(user id)
_FIELDS = ("email", "name", "phone", "marketing_opt_in", "notes")


def customer_id_for_user(user_id: str) -> str:
    return str(uuid.uuid5(_ACCOUNTS, user_id))


def customer_view(customer: Doc) -> Doc:
    """What staff (and the export) see of a customer; a tombstone shows only that it was."""
    if customer.get("erased"):
        return {"id": customer["_id"], "erased": True, "version": customer.get("version", 1)}
    return {"id": customer["_id"], "user_id": customer.get("user_id"),
            "email": customer.get("email"), "name": customer.get("name", ""),
            "phone": customer.get("phone", ""), "addresses": customer.get("addresses", []),
            "marketing_opt_in": bool(customer.get("marketing_opt_in")),
            "notes": customer.get("notes", ""), "address": customer.get("address", ""),
            "tax_number": customer.get("tax_number", ""), "erased": False,
            "version": customer.get("version", 1),
            "created_at": customer["created_at"].isoformat(),
            "updated_at": customer["updated_at"].isoformat()}


def publish(db: Database, customer: Doc, *, session: ClientSession) -> None:
    """Append the customer's current view to the ``customers`` feed."""
    append(db, CUSTOMERS_FEED, Change("customer", customer["_id"],
                                      version=customer.get("version", 1),
                                      data=customer_view(customer)), session=session)


def _new_doc(customer_id: str, *, user_id: str | None, email: str | None, name: str,
             phone: str = "", addresses: list[Doc] | None = None, marketing: bool = False,
             notes: str = "") -> Doc:
    now = now_ms()
    return {"_id": customer_id, "user_id": user_id, "email": email, "name": name,
            "name_key": name.lower(), "phone": phone, "addresses": addresses or [],
            "marketing_opt_in": marketing, "notes": notes, "erased": False, "version": 1,
            "created_at": now, "updated_at": now}


def new_till_customer(customer_id: str, *, name: str, email: str | None, phone: str,
                      address: str, notes: str, tax_number: str = "") -> Doc:
    """A customer first taken at a till (pushed by sync under the till's id): the stored
    shape above plus ``address``, the till's one free-text address (the structured
    ``addresses`` are the online shop's), and ``tax_number``, what the till's invoices are
    made out with."""
    doc = _new_doc(customer_id, user_id=None, email=email, name=name, phone=phone, notes=notes)
    doc["address"] = address
    doc["tax_number"] = tax_number
    return doc


def customer_for_user(db: Database, user: dict[str, Any], *,
                      session: ClientSession | None = None) -> dict[str, Any]:
    """The customer record of an online account (``user`` is its ``users`` document), created
    on first use (idempotent: one record per user, even when two requests race). The
    account's email goes on the record unless another customer already holds it."""
    customer_id = customer_id_for_user(user["_id"])
    found = repo.get(db, customer_id, session)
    if found is not None:
        return found

    def work(s: ClientSession) -> Doc:
        email = user.get("email")
        if not email or not repo.email_free(db, email, s):
            email = None
        doc = _new_doc(customer_id, user_id=user["_id"], email=email,
                       name=(user.get("name") or "").strip()[:200])
        if repo.upsert_new(db, doc, s):
            if email:
                repo.claim_email(db, email, customer_id, s)
            publish(db, doc, session=s)
        return repo.get(db, customer_id, s)

    if session is not None:
        return work(session)
    try:
        return in_transaction(db, work)
    except DuplicateKeyError:  # the racing request committed first
        return repo.get(db, customer_id)


# --- the /customers routes ------------------------------------------------------------------

def require(db: Database, customer_id: str, session: ClientSession | None = None) -> Doc:
    customer = repo.get(db, customer_id, session)
    if customer is None:
        raise not_found("customer", customer_id)
    return customer


def _live(customer: Doc) -> Doc:
    if customer.get("erased"):
        raise ApiError(409, "customer_erased", "the customer was erased (GDPR): nothing is "
                       "left to change", {"id": customer["_id"]})
    return customer


def _email(value: str | None) -> str | None:
    return None if value is None else normalise_email(value)


def _taken(email: str | None) -> ApiError:
    return ApiError(409, "email_taken", f"another customer has the email {email}",
                    {"field": "email"})


def _audited(db: Database, principal: Principal, action: str, customer_id: str,
             details: Doc, context: Doc) -> Callable[[ClientSession], None]:
    """An audit entry written once even if the transaction runs again; never personal data."""
    audit_id = str(uuid.uuid4())
    return lambda s: audit.record(db, actor=principal.actor, action=action, target=customer_id,
                                  details=details, session=s, audit_id=audit_id, **context)


def create(db: Database, *, body: CustomerCreate, principal: Principal, ip: str | None,
           request_id: str | None) -> Doc:
    """A customer (e.g. taken at the till or by phone); 409 when the email is taken."""
    email = _email(body.email)
    addresses = [{"id": str(uuid.uuid4()), **a.model_dump()} for a in body.addresses]
    doc = _new_doc(str(uuid.uuid4()), user_id=None, email=email, name=body.name,
                   phone=body.phone, addresses=addresses, marketing=body.marketing_opt_in,
                   notes=body.notes)
    record = _audited(db, principal, "customer.created", doc["_id"], {},
                      {"ip": ip, "request_id": request_id})

    def work(s: ClientSession) -> None:
        if email:
            repo.claim_email(db, email, doc["_id"], s)
        repo.insert(db, doc, s)
        publish(db, doc, session=s)
        record(s)

    try:
        in_transaction(db, work)
    except DuplicateKeyError:
        raise _taken(email) from None
    return customer_view(doc)


def get(db: Database, customer_id: str) -> Doc:
    return customer_view(require(db, customer_id))


def list_customers(db: Database, *, email: str | None, name: str | None, page: int,
                   per_page: int) -> Doc:
    """By exact email, or by name prefix (case-insensitive), a page at a time."""
    if email is not None:
        found = repo.by_email(db, _email(email) or "")
        rows = [found] if found is not None and (name is None or found.get(
            "name_key", "").startswith(name.lower())) else []
        rows = rows if page == 1 else []
        return {"items": [customer_view(c) for c in rows], "page": page, "per_page": per_page,
                "has_more": False}
    return page_of(repo.page(db, name_prefix=(name or "").lower()), page=page,
                   per_page=per_page, view=customer_view)


def _write(db: Database, customer_id: str, version: int, change: Callable[[Doc], Doc],
           *, record: Callable[[ClientSession], None]) -> Doc:
    """Apply ``change`` (current document -> fields to set) if ``version`` is current, keep
    the email claims in step, append to the feed and audit, in one transaction."""

    def work(s: ClientSession) -> Doc:
        current = _live(require(db, customer_id, s))
        if int(current.get("version", 1)) != version:
            raise version_conflict("customer", int(current.get("version", 1)))
        fields = change(current)
        if "name" in fields:
            fields["name_key"] = fields["name"].lower()
        if "email" in fields and fields["email"] != current.get("email"):
            if fields["email"]:
                repo.claim_email(db, fields["email"], customer_id, s)
            repo.release_email(db, current.get("email"), customer_id, s)
        fields["updated_at"] = now_ms()
        result = db.customers.update_one({"_id": customer_id, "version": version},
                                         {"$set": fields, "$inc": {"version": 1}}, session=s)
        if result.modified_count != 1:
            raise version_conflict("customer", version + 1)
        updated = require(db, customer_id, s)
        publish(db, updated, session=s)
        record(s)
        return updated

    try:
        return in_transaction(db, work)
    except DuplicateKeyError:
        raise _taken(None) from None


def update(db: Database, *, customer_id: str, body: CustomerUpdate, principal: Principal,
           ip: str | None, request_id: str | None) -> Doc:
    """Change the given fields; 409 when ``version`` is stale or the email is taken."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("name", "phone", "marketing_opt_in", "notes"):
        if key in changes and changes[key] is None:
            del changes[key]
    if "email" in changes:
        changes["email"] = _email(changes["email"])
    if not changes:
        raise ApiError(422, "validation_error", "nothing to change", {"field": None})
    record = _audited(db, principal, "customer.updated", customer_id,
                      {"fields": sorted(changes)}, {"ip": ip, "request_id": request_id})
    return customer_view(_write(db, customer_id, body.version, lambda _: dict(changes),
                                record=record))


def add_address(db: Database, *, customer_id: str, body: AddressCreate, principal: Principal,
                ip: str | None, request_id: str | None) -> Doc:
    """Add an address (at most 20); returns the customer."""
    address = {"id": str(uuid.uuid4()), **body.model_dump()}
    current = require(db, customer_id)

    def change(doc: Doc) -> Doc:
        if len(doc.get("addresses", [])) >= 20:
            raise ApiError(422, "validation_error", "addresses: at most 20 per customer",
                           {"field": "addresses"})
        return {"addresses": [*doc.get("addresses", []), address]}

    record = _audited(db, principal, "customer.address_added", customer_id,
                      {"address_id": address["id"]}, {"ip": ip, "request_id": request_id})
    return customer_view(_write(db, customer_id, int(current.get("version", 1)), change,
                                record=record))


def _address_change(customer_id: str, address_id: str,
                    edit: Callable[[Doc], Doc | None]) -> Callable[[Doc], Doc]:
    def change(doc: Doc) -> Doc:
        addresses, found = [], False
        for address in doc.get("addresses", []):
            if address["id"] == address_id:
                found = True
                address = edit(address)
                if address is None:
                    continue
            addresses.append(address)
        if not found:
            raise ApiError(404, "not_found", f"customer {customer_id} has no address "
                           f"{address_id}", {"id": address_id})
        return {"addresses": addresses}

    return change


def update_address(db: Database, *, customer_id: str, address_id: str, body: AddressUpdate,
                   principal: Principal, ip: str | None, request_id: str | None) -> Doc:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise ApiError(422, "validation_error", "nothing to change", {"field": None})
    current = require(db, customer_id)
    record = _audited(db, principal, "customer.address_updated", customer_id,
                      {"address_id": address_id, "fields": sorted(changes)},
                      {"ip": ip, "request_id": request_id})
    change = _address_change(customer_id, address_id, lambda a: {**a, **changes})
    return customer_view(_write(db, customer_id, int(current.get("version", 1)), change,
                                record=record))


def delete_address(db: Database, *, customer_id: str, address_id: str, principal: Principal,
                   ip: str | None, request_id: str | None) -> Doc:
    current = require(db, customer_id)
    record = _audited(db, principal, "customer.address_deleted", customer_id,
                      {"address_id": address_id}, {"ip": ip, "request_id": request_id})
    change = _address_change(customer_id, address_id, lambda a: None)
    return customer_view(_write(db, customer_id, int(current.get("version", 1)), change,
                                record=record))
