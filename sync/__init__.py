"""The client side of sync (HTTP client, pull/push engine, conflicts): built by the sync issue.
It may import ``app`` and ``db``, never Qt or the server."""
