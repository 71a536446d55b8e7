"""Each pulled entity → the local tables (one function per ``Entity``), idempotent and
order-tolerant: an entry naming something not here yet goes to ``sync_deferred``."""
