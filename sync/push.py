"""Pushing the outbox in batches; an entry is deleted only after the server answered for it.

CONTRACT: ``push(store, client, *, batch_size=MAX_PUSH_MUTATIONS) -> PushResult``."""
