"""Pushing the outbox in batches; an entry is deleted only after the server answered for it.

CONTRACT: ``push(store, client, *, batch_size=MAX_PUSH_MUTATIONS) -> PushResult``.

Entries go in ``seq`` order. Each gets its ``device_seq`` (from the local setting
``sync.next_device_seq``) in a committed transaction *before* it is first sent, so a retry
after a lost reply carries the same number and the server can tell a replay from a new change.
The SQLite write lock is taken only for that numbering and for recording a reply, never
across the HTTP call: the till keeps selling while a push is on the wire. A reply's results
are recorded (``sync.resolution.record_outcome``) and their entries deleted in one write
transaction; entries are found again by mutation id, since ``seq`` values can be reused once
deleted (or change under a restore).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.domain.sync_protocol import MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS, MutationKind, Status
from app.sales.identity import NEXT_DEVICE_SEQ_KEY, get_local, set_local
from db.engine import LocalStore
from db.models import OutboxEntry
from sync.client import encode_json
from sync.errors import ProtocolError, SyncError
from sync.resolution import VERSION_CHAINED, record_outcome

log = logging.getLogger(__name__)

#: bytes of ``{"mutations":[`` and ``]}`` around the envelopes of a batch
_WRAPPER_BYTES = len(encode_json({"mutations": []}))


class Pusher(Protocol):
    def push(self, mutations: list[dict[str, Any]]) -> dict[str, Any]: ...


@dataclass
class PushResult:
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    batches: int = 0
    #: entries kept back this time: larger than one push may be, or their result could not be
    #: recorded here (they stay in the outbox and say why in ``last_error``)
    held: int = 0

    def count(self, status: str, n: int = 1) -> None:
        name = "held" if status == "held" else Status(status).value
        setattr(self, name, getattr(self, name) + n)


@dataclass
class _Item:
    seq: int
    mutation_id: str
    envelope: dict[str, Any]
    size: int = field(default=0)
    problem: str | None = None  # why it can never be sent (held back instead)


def push(store: LocalStore, client: Pusher, *, batch_size: int = MAX_PUSH_MUTATIONS,
         into: PushResult | None = None) -> PushResult:
    """Push what the outbox held when this started. ``into`` is filled in as batches are
    answered, so a caller still knows what went through when a later batch raises."""
    if not 1 <= batch_size <= MAX_PUSH_MUTATIONS:
        raise ValueError(f"batch_size must be 1..{MAX_PUSH_MUTATIONS}")
    result = into if into is not None else PushResult()
    with store.read() as session:
        upto = session.scalar(select(func.max(OutboxEntry.seq))) or 0
    after = 0
    while True:
        items = _next_items(store, after=after, upto=upto, limit=batch_size)
        if not items:
            return result
        batch = _fill_batch(store, items, result)
        after = items[-1].seq if not batch else batch[-1].seq
        if not batch:
            continue
        _send_isolating(store, client, batch, result)


def _next_items(store: LocalStore, *, after: int, upto: int, limit: int) -> list[_Item]:
    query = (select(OutboxEntry).where(OutboxEntry.seq > after, OutboxEntry.seq <= upto)
             .order_by(OutboxEntry.seq).limit(limit))
    with store.read() as session:
        entries = list(session.scalars(query))
    if any(entry.device_seq is None for entry in entries):
        _number(store, [entry.seq for entry in entries])
        with store.read() as session:
            entries = list(session.scalars(query))
    return [_item(entry) for entry in entries if entry.device_seq is not None]


def _number(store: LocalStore, seqs: list[int]) -> None:
    """Give the unnumbered entries among ``seqs`` the next device sequence numbers, in order."""
    with store.write() as session:
        ceiling = session.scalar(select(func.max(OutboxEntry.device_seq))) or 0
        next_seq = max(int(get_local(session, NEXT_DEVICE_SEQ_KEY) or 1), ceiling + 1)
        entries = session.scalars(select(OutboxEntry)
                                  .where(OutboxEntry.seq.in_(seqs), OutboxEntry.device_seq.is_(None))
                                  .order_by(OutboxEntry.seq))
        for entry in entries:
            entry.device_seq = next_seq
            next_seq += 1
        set_local(session, NEXT_DEVICE_SEQ_KEY, str(next_seq))


def _staff_id(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("staff_id"), str):
        return payload["staff_id"]
    refund = payload.get("refund")  # refund.created carries the refund and its order
    if isinstance(refund, dict) and isinstance(refund.get("staff_id"), str):
        return refund["staff_id"]
    return None


def _item(entry: OutboxEntry) -> _Item:
    try:
        payload = json.loads(entry.payload)
        envelope = {"id": entry.mutation_id, "seq": entry.device_seq, "kind": entry.kind,
                    "entity_id": entry.entity_id, "payload": payload,
                    "created_at": entry.created_at.isoformat(), "staff_id": _staff_id(payload)}
        return _Item(entry.seq, entry.mutation_id, envelope, len(encode_json(envelope)))
    except (ValueError, UnicodeError) as exc:  # a damaged payload (e.g. a lone surrogate)
        return _Item(entry.seq, entry.mutation_id, {"kind": entry.kind,
                                                    "entity_id": entry.entity_id},
                     problem=f"its payload cannot be sent ({type(exc).__name__}: {exc})")


def _fill_batch(store: LocalStore, items: list[_Item], result: PushResult) -> list[_Item]:
    """The longest prefix of ``items`` that fits in one request's bytes. An entry too large to
    ever be sent is held back with the reason, so it does not block the ones behind it."""
    batch: list[_Item] = []
    size = _WRAPPER_BYTES
    for item in items:
        if item.problem is not None:
            if not batch:
                _hold(store, [item.mutation_id], item.problem)
                result.held += 1
                continue
            break
        alone = _WRAPPER_BYTES + item.size
        if alone > MAX_PUSH_BYTES:
            if not batch:
                _hold(store, [item.mutation_id], f"too large to send: {alone:,} bytes, the "
                      f"server takes at most {MAX_PUSH_BYTES:,} per push")
                result.held += 1
                continue
            break
        grown = size + item.size + (1 if batch else 0)
        if grown > MAX_PUSH_BYTES or _edits_again(item, batch):
            break
        batch.append(item)
        size = grown
    return batch


#: kinds that share one version chain per entity: a product's image counts in the base version
#: of its edits made after it, so either waits for the answer to the one before
_CHAIN_OF = {kind: kind for kind in VERSION_CHAINED} | {
    MutationKind.PRODUCT_IMAGE.value: MutationKind.PRODUCT_UPDATE.value}


def _edits_again(item: _Item, batch: list[_Item]) -> bool:
    """A second edit of one product (or status change of one order) waits for the next batch:
    its base version counts the first, so the server must not see it before this till knows
    whether the first was kept (``sync.resolution`` drops it when not)."""
    kind, entity_id = item.envelope["kind"], item.envelope["entity_id"]
    chain = _CHAIN_OF.get(kind)
    return chain is not None and any(
        _CHAIN_OF.get(earlier.envelope["kind"]) == chain
        and earlier.envelope["entity_id"] == entity_id for earlier in batch)


def _hold(store: LocalStore, mutation_ids: Iterable[str], reason: str) -> None:
    with store.write() as session:
        for entry in session.scalars(select(OutboxEntry)
                                     .where(OutboxEntry.mutation_id.in_(list(mutation_ids)))):
            entry.attempts += 1
            entry.last_error = reason[:1000]


def _send_isolating(store: LocalStore, client: Pusher, batch: list[_Item],
                    result: PushResult) -> None:
    """``_send``; when the server refuses the request as a whole (422: an entry its push
    schema rejects, which its rules never see), the batch is split in halves until the entry
    refused on its own is found and held back with the reason, so it cannot block the ones
    around it (found by tests/fault/sync/test_poison.py)."""
    try:
        _send(store, client, batch, result)
    except ProtocolError as exc:
        if exc.status != 422:
            raise
        if len(batch) == 1:  # _send kept it with the server's reason in last_error
            log.warning("outbox entry %s held back: %s", batch[0].mutation_id, exc)
            result.held += 1
            return
        half = len(batch) // 2
        _send_isolating(store, client, batch[:half], result)
        _send_isolating(store, client, batch[half:], result)


def _send(store: LocalStore, client: Pusher, batch: list[_Item], result: PushResult) -> None:
    try:
        reply = client.push([item.envelope for item in batch])
    except SyncError as exc:
        _hold(store, [item.mutation_id for item in batch], str(exc))
        raise
    result.sent += len(batch)
    result.batches += 1
    pairs = list(zip(batch, reply["results"]))
    try:
        with store.write() as session:
            tally = _record_all(session, pairs)
    except Exception:  # noqa: BLE001 - find the one that fails, keep the others
        log.warning("recording a push reply failed; recording its results one by one",
                    exc_info=True)
        with store.write() as session:
            tally = _record_each(session, pairs)
    for status, count in tally.items():
        result.count(status, count)


def _entries(session: Session, pairs: list[tuple[_Item, dict[str, Any]]]) -> dict[str, OutboxEntry]:
    ids = [item.mutation_id for item, _ in pairs]
    return {entry.mutation_id: entry for entry in
            session.scalars(select(OutboxEntry).where(OutboxEntry.mutation_id.in_(ids)))}


def _record_all(session: Session, pairs: list[tuple[_Item, dict[str, Any]]]) -> Counter[str]:
    """The usual case: every result recorded, then the entries deleted in one statement."""
    entries = _entries(session, pairs)
    tally: Counter[str] = Counter()
    for item, outcome in pairs:
        entry = entries.get(item.mutation_id)
        if entry is None:
            continue  # gone meanwhile (a restore): the server's record of the id covers it
        record_outcome(session, entry, outcome)
        tally[outcome["status"]] += 1
    session.execute(delete(OutboxEntry).where(OutboxEntry.mutation_id.in_(list(entries))),
                    execution_options={"synchronize_session": False})
    for entry in entries.values():
        session.expunge(entry)
    return tally


def _record_each(session: Session, pairs: list[tuple[_Item, dict[str, Any]]]) -> Counter[str]:
    """Each result in its own savepoint: one that cannot be recorded keeps its entry (saying
    why) and does not cost the others theirs."""
    entries = _entries(session, pairs)
    tally: Counter[str] = Counter()
    for item, outcome in pairs:
        entry = entries.get(item.mutation_id)
        if entry is None:
            continue
        try:
            with session.begin_nested():
                record_outcome(session, entry, outcome)
                session.delete(entry)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.exception("could not record the server's %r for outbox entry %s",
                          outcome.get("status"), item.mutation_id)
            entry.attempts += 1
            entry.last_error = f"the server answered {outcome.get('status')}, but it could not " \
                               f"be recorded here: {type(exc).__name__}: {exc}"[:1000]
            tally["held"] += 1
            continue
        tally[outcome["status"]] += 1
    return tally
