"""Sync for tills: the change feed a device pulls (``feed``) and the mutations it pushes
(``push``, with one handler per mutation kind in ``handlers``). The protocol's names, limits
and cursor live in ``app.domain.sync_protocol``, shared with the client."""
