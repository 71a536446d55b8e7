"""Applying a till's pushed mutations (``POST /sync/push``, see ``app.domain.sync_protocol``).

A batch is ONE transaction holding every effect of its mutations and their records, so a
till that loses the reply and pushes again finds them all (``duplicate``) or none. The
transaction may run again (a transient conflict with another writer), so every id a write
needs is the till's own (orders, refunds, movements) or derived from the mutation's id.

Order of work inside the transaction: the device's document first (``$max`` of its last
seq), which makes two pushes of one device (two sync runs at once) conflict at once and run
one after the other; then the known mutation ids (one ``$in`` read); then each mutation in
``seq`` order through its kind's handler (``server.sync.handlers``), which validates fully
before it writes, so a refusal (``rejected``) leaves nothing behind and the batch goes on;
then the records. A mutation whose ``seq`` is not above the device's last one but whose id
is unknown (a till restored from a backup) is still applied, and recorded ``out_of_order``.

An unexpected exception in a handler (a bug, data the database refuses) aborts the batch,
which is then applied one mutation per transaction: that one is recorded ``rejected``
("internal error: <class>", logged with its traceback) and the others still apply.

Collections:
- ``sync_mutations``: ``{_id: mutation id, device_id, store_id, seq, kind, entity_id,
  status, reason, result: what a replay is answered (beside ``duplicate`` and
  ``original_status``), out_of_order, at}``. Kept RETENTION_DAYS (TTL on ``at``): longer
  than any till stays offline or keeps an unrestored backup, so a replay within that time
  is recognised. Orders, refunds and movements stay idempotent by their own ids after that;
  a customer or product edit replayed later than that would apply again.
- ``sync_devices``: ``{_id: device_id, store_id, last_seq: the highest seq seen,
  updated_at}``.
- ``sync_conflicts``: see ``server.sync.handlers.customers``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Callable, Sequence, TypeVar

from pymongo import ASCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from app.domain.sync_protocol import MutationKind, Status
from server.common.versioning import now_ms
from server.database import in_transaction
from server.errors import ApiError
from server.security.deps import Principal
from server.sync.handlers import GROUP_HANDLERS, HANDLERS
from server.sync.handlers.base import BatchState, Context, Doc, Outcome, Refused
from server.sync.schemas import Mutation

log = logging.getLogger(__name__)
T = TypeVar("T")
RETENTION_DAYS = 400
#: a batch that met a concurrent copy of itself committed since its snapshot runs again
#: (then finds its mutations known) instead of failing
DUPLICATE_RERUNS = 3
KINDS = ", ".join(k.value for k in MutationKind)


def ensure_indexes(db: Database) -> None:
    db.sync_mutations.create_index("at", expireAfterSeconds=RETENTION_DAYS * 86400)
    db.sync_mutations.create_index([("device_id", ASCENDING), ("seq", ASCENDING)])
    db.sync_conflicts.create_index([("entity", ASCENDING), ("entity_id", ASCENDING)])
    db.sync_conflicts.create_index("at")


class _Poisoned(Exception):
    """A handler failed in a way no rule foresaw: the batch must find which mutation."""

    def __init__(self, mutation: Mutation, cause: BaseException) -> None:
        super().__init__(f"{mutation.kind} {mutation.id}: {type(cause).__name__}")
        self.mutation, self.cause = mutation, cause


class _Duplicate(_Poisoned):
    """A handler met a key taken since the transaction's snapshot (a concurrent push of the
    same entity committed): run the batch again, when it will see it; a key that stays taken
    is the mutation's fault."""


def apply_batch(db: Database, *, principal: Principal, mutations: Sequence[Mutation],
                request_id: str | None) -> dict[str, Any]:
    """Apply a till's batch; one result per mutation, in the request's order."""
    if principal.kind != "device" or not principal.store_id:
        raise ApiError(403, "forbidden", "only a paired device pushes mutations")
    store = db.stores.find_one({"_id": principal.store_id})
    if store is None:
        raise ApiError(409, "store_gone", f"this device's store {principal.store_id} no longer "
                       "exists", {"store_id": principal.store_id})
    ordered = sorted(mutations, key=lambda m: m.seq)
    try:
        results = _run(db, principal, store, ordered, request_id)
    except _Poisoned as poisoned:
        log.warning("sync push: batch of %d from device %s aborted by %s; applying it one "
                    "mutation at a time", len(ordered), principal.id, poisoned)
        results = {}
        for mutation in ordered:
            results.update(_alone(db, principal, store, mutation, request_id))
    return {"results": [results[m.id] for m in mutations],
            "server_time": datetime.now(timezone.utc).isoformat()}


def _run(db: Database, principal: Principal, store: Doc, mutations: list[Mutation],
         request_id: str | None, poisoned: dict[str, str] | None = None) -> dict[str, Doc]:
    for attempt in range(DUPLICATE_RERUNS):
        try:
            return in_transaction(db, lambda s: _apply(db, s, principal, store, mutations,
                                                       request_id, poisoned or {}))
        except (_Duplicate, DuplicateKeyError) as exc:
            if attempt < DUPLICATE_RERUNS - 1:
                continue
            if isinstance(exc, _Duplicate):
                raise _Poisoned(exc.mutation, exc.cause) from exc.cause
            raise
    raise AssertionError("unreachable")


def _alone(db: Database, principal: Principal, store: Doc, mutation: Mutation,
           request_id: str | None) -> dict[str, Doc]:
    try:
        return _run(db, principal, store, [mutation], request_id)
    except _Poisoned as poisoned:
        log.error("sync push: %s %s from device %s failed; recorded as rejected", mutation.kind,
                  mutation.id, principal.id, exc_info=poisoned.cause)
        reason = f"internal error: {type(poisoned.cause).__name__}"
        return _run(db, principal, store, [mutation], request_id, {mutation.id: reason})


def _apply(db: Database, session: ClientSession, principal: Principal, store: Doc,
           mutations: list[Mutation], request_id: str | None,
           poisoned: dict[str, str]) -> dict[str, Doc]:
    now = now_ms()
    last_seq = _claim_device(db, session, principal, max(m.seq for m in mutations), now)
    known = {r["_id"]: r for r in db.sync_mutations.find(
        {"_id": {"$in": [m.id for m in mutations]}}, session=session)}
    batch = BatchState(store=store)
    results: dict[str, Doc] = {}
    records: list[Doc] = []
    run: list[Context] = []

    def finish(done: list[tuple[Context, Outcome]]) -> None:
        for ctx, outcome in done:
            mutation = ctx.mutation
            results[mutation.id] = {"id": mutation.id, "status": outcome.status.value,
                                    **outcome.extras()}
            records.append(_record(mutation, principal, outcome, mutation.seq <= last_seq, now))

    for mutation in mutations:
        if mutation.id in known:
            results[mutation.id] = _replay(known[mutation.id], principal)
            continue
        ctx = Context(db, session, principal, mutation, batch, request_id, now)
        if run and (mutation.kind != run[0].mutation.kind or mutation.id in poisoned):
            finish(_handle_run(run))
            run = []
        if mutation.id in poisoned:
            finish([(ctx, Outcome(Status.REJECTED, reason=poisoned[mutation.id]))])
        elif mutation.kind in GROUP_HANDLERS:
            run.append(ctx)
        else:
            finish([(ctx, _handle(ctx))])
    if run:
        finish(_handle_run(run))
    if records:
        db.sync_mutations.insert_many(records, ordered=False, session=session)
    _raise_register_counters(db, session, principal, mutations)
    return results


_REFUND_SEQ = re.compile(r"RF(\d{1,12})$")


def _raise_register_counters(db: Database, session: ClientSession, principal: Principal,
                             mutations: list[Mutation]) -> None:
    """Keep the highest order and refund numbers each register has used, so a till paired
    to the register later (a replacement) goes on from there and never hands a number out
    twice (``GET /devices/me`` answers ``next_order_seq`` / ``next_refund_seq``)."""
    orders = [m.payload.get("register_seq") for m in mutations
              if m.kind == MutationKind.ORDER_CREATED.value]
    refunds = []
    for m in mutations:
        if m.kind == MutationKind.REFUND_CREATED.value:
            refund = m.payload.get("refund")
            found = _REFUND_SEQ.search(str((refund or {}).get("number") or ""))
            if found:
                refunds.append(int(found.group(1)))
    highs = {name: max(v for v in values if isinstance(v, int) and not isinstance(v, bool))
             for name, values in (("order_seq_high", orders), ("refund_seq_high", refunds))
             if any(isinstance(v, int) and not isinstance(v, bool) for v in values)}
    if highs and principal.register_id:
        db.registers.update_one({"_id": principal.register_id}, {"$max": highs},
                                session=session)


def _claim_device(db: Database, session: ClientSession, principal: Principal, top: int,
                  now: datetime) -> int:
    """Raise the device's last seq to ``top``; returns what it was before."""
    before = db.sync_devices.find_one_and_update(
        {"_id": principal.id}, {"$max": {"last_seq": top},
                                "$set": {"store_id": principal.store_id, "updated_at": now}},
        upsert=True, return_document=ReturnDocument.BEFORE, session=session)
    return int((before or {}).get("last_seq", 0))


def _handle(ctx: Context) -> Outcome:
    handler = HANDLERS.get(ctx.mutation.kind)
    if handler is None:
        return Outcome(Status.REJECTED, reason=f"kind: {ctx.mutation.kind!r} is not a mutation "
                       f"kind ({KINDS})")
    try:
        return _guarded(ctx.mutation, lambda: handler(ctx))
    except Refused as refused:
        return Outcome(Status.REJECTED, reason=refused.reason)


def _handle_run(run: list[Context]) -> list[tuple[Context, Outcome]]:
    """A run of one kind through its group handler (which refuses mutations one by one);
    an unexpected failure names the run's first mutation: applied alone, each run is one."""
    handler = GROUP_HANDLERS[run[0].mutation.kind]
    return list(zip(run, _guarded(run[0].mutation, lambda: handler(run))))


def _guarded(mutation: Mutation, work: Callable[[], T]) -> T:
    try:
        return work()
    except Refused:
        raise
    except DuplicateKeyError as exc:
        raise _Duplicate(mutation, exc) from exc
    except Exception as exc:
        if _for_the_transaction(exc):
            raise
        raise _Poisoned(mutation, exc) from exc


def _for_the_transaction(exc: Exception) -> bool:
    """Errors that are the database's, not the mutation's: retried or answered as a failure
    of the whole push, never blamed on one mutation."""
    if isinstance(exc, ConnectionFailure):
        return True
    return isinstance(exc, PyMongoError) and (
        exc.has_error_label("TransientTransactionError")
        or exc.has_error_label("UnknownTransactionCommitResult"))


def _replay(record: Doc, principal: Principal) -> Doc:
    if record.get("device_id") != principal.id:
        return {"id": record["_id"], "status": Status.REJECTED.value,
                "reason": "id: already the id of another device's mutation"}
    return {"id": record["_id"], "status": Status.DUPLICATE.value,
            "original_status": record["status"], **(record.get("result") or {})}


def _record(mutation: Mutation, principal: Principal, outcome: Outcome, out_of_order: bool,
            now: datetime) -> Doc:
    return {"_id": mutation.id, "device_id": principal.id, "store_id": principal.store_id,
            "seq": mutation.seq, "kind": mutation.kind, "entity_id": mutation.entity_id,
            "status": outcome.status.value, "reason": outcome.reason,
            "result": outcome.extras(), "out_of_order": out_of_order, "at": now}
