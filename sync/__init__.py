"""The client side of sync. It may import ``app`` and ``db``, never Qt or the server.

- ``client``      HTTP on ``requests``: timeouts, retries with backoff and jitter, errors in
                  ``errors``; ``pair_device`` exchanges a pairing code.
- ``credentials`` the device key in the OS keyring (``TILLPOINT_DEVICE_KEY`` for headless tills).
- ``pairing``     ``tillpoint pair``: the server's store and register become this till's.
- ``push``        outbox → ``POST /sync/push`` in batches; ``resolution`` records each result.
- ``pull``        ``GET /sync/changes`` pages → local tables (``apply``), page and cursor in one
                  SQLite transaction; a 410 takes a fresh snapshot.
- ``engine``      one round (push, pull, push) under a lock file, its state in ``sync_state``.
- ``status``      what the window and ``tillpoint sync --status`` show.
- ``commands``    the ``pair`` and ``sync`` commands of ``tillpoint``.
"""
