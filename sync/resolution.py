"""What a push result means for the local store.

CONTRACT (called by ``sync.push`` for every result, in the transaction that deletes the
outbox entry): ``record_outcome(session, entry: OutboxEntry, result: dict) -> None``.
- ``applied`` / ``duplicate``: the stock movements the mutation carried are marked ``synced``.
- ``conflict``: the server's ``current`` view replaces the local row; a ``SyncIssue`` of kind
  ``conflict`` says what the server kept and what was sent.
- ``rejected``: a ``SyncIssue`` of kind ``rejected`` with the reason; carried movements are
  marked ``synced`` too (the server will never count them, so the next pulled level drops them).
- ``overridden`` in a result (customers): a ``SyncIssue`` of kind ``overridden`` per field.
"""
