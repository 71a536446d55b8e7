"""The back office's store.update, tax_class.upsert (see ``base`` for the rules every handler keeps).

``HANDLERS`` maps each kind to its handler; ``server.sync.handlers`` merges it into the table
the push applies."""

from __future__ import annotations

from server.sync.handlers.base import Context, Outcome  # noqa: F401 - the handlers' types

HANDLERS: dict = {}
