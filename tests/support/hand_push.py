"""One sync push round done by hand, as ``sync.push`` does it: the outbox read in order, sent
to the server in one request, each answer recorded and its entry removed — for tests that
drive the real push handlers without the sync engine's scheduling around them."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import select

from db.models import OutboxEntry
from sync.resolution import record_outcome

API = "/api/v1"


def push_outbox(client, store, headers,  # noqa: ANN001 - a TestClient, LocalStore, headers
                device_seq: Iterator[int]) -> tuple[list[dict], list[dict]]:
    """Push every outbox entry; returns (the mutations sent, the server's results).
    ``device_seq`` only ever grows across a test module, as a till's device sequence does."""
    with store.read() as s:
        entries = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        mutations = [{"id": e.mutation_id, "seq": n, "kind": e.kind, "entity_id": e.entity_id,
                      "payload": json.loads(e.payload), "created_at": e.created_at.isoformat(),
                      "staff_id": json.loads(e.payload).get("staff_id")}
                     for n, e in zip(device_seq, entries)]
    response = client.post(f"{API}/sync/push", headers=headers, json={"mutations": mutations})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    with store.write() as s:
        for result in results:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.mutation_id == result["id"]))
            record_outcome(s, entry, result)
            s.delete(entry)
    return mutations, results
