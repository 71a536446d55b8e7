"""``FakeStripe``: a local Stripe for tests and manual tries, on 127.0.0.1 in a daemon thread.

Point the real SDK at it::

    fake = FakeStripe()
    fake.add_reader("tmr_till1", label="Till 1")
    client = stripe.StripeClient("sk_test_fake", base_addresses={"api": fake.url})
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from . import readers
from .server import _UNSET, Recorded, StripeFront, make_http_server
from .state import Store


class FakeStripe:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 api_key: str = "sk_test_fake") -> None:
        self._front = StripeFront(api_key)
        self._server = make_http_server(self._front, host, port)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.api_key = api_key
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-stripe", daemon=True)
        self._thread.start()

    # -- readers ------------------------------------------------------------------------------
    def add_reader(self, reader_id: str, *, label: str = "", online: bool = True,
                   device_type: str = "simulated_wisepos_e") -> dict[str, Any]:
        with self._lock:
            reader = readers.add(self._store, reader_id, label or reader_id, online=online,
                                 device_type=device_type)
            return copy.deepcopy(reader)

    def set_reader(self, reader_id: str, *, online: bool | None = None,
                   auto_present: str | None = _UNSET, auto_delay_s: float = 0.2,
                   label: str | None = None) -> None:
        """Change a reader: ``online``; ``auto_present`` a card number the "customer" taps
        ``auto_delay_s`` after each ``process_payment_intent`` (None: wait for present_card)."""
        with self._lock:
            reader = readers.get(self._store, reader_id)
            if online is not None:
                reader["status"] = "online" if online else "offline"
            if label is not None:
                reader["label"] = label
            if auto_present is None:
                self._store.auto_present.pop(reader_id, None)
            elif auto_present is not _UNSET:
                self._store.auto_present[reader_id] = (auto_present, auto_delay_s)

    def present_card(self, reader_id: str, number: str = "4242424242424242") -> dict[str, Any]:
        """The customer taps ``number`` (same as the ``present_payment_method`` test helper);
        raises :class:`StripeError` when the reader has nothing in progress."""
        with self._lock:
            self._store.current_request = {"id": None, "idempotency_key": None}
            reader = readers.present(self._store, reader_id, {"card_present": {"number": number}})
            return copy.deepcopy(reader)

    # -- faults -------------------------------------------------------------------------------
    def fail_next(self, method: str, path_prefix: str, mode: str = "drop_before",
                  times: int = 1) -> None:
        """The next ``times`` requests to ``method`` + a path starting with ``path_prefix``
        fail: ``drop_before`` (closed, not applied), ``drop_after`` (applied, then closed
        without a reply), ``slow_after:<s>`` (applied, answered s seconds late), ``http_500``
        (Stripe's api_error, not applied)."""
        self._front.fail_next(method, path_prefix, mode, times)

    def go_offline(self) -> None:
        """No internet: every request is dropped before it is applied."""
        self._front.set_offline(True)

    def go_online(self) -> None:
        self._front.set_offline(False)

    # -- what happened -----------------------------------------------------------------------
    @property
    def payment_intents(self) -> dict[str, dict[str, Any]]:
        return self._snapshot(self._store.payment_intents)

    @property
    def charges(self) -> dict[str, dict[str, Any]]:
        return self._snapshot(self._store.charges)

    @property
    def refunds(self) -> dict[str, dict[str, Any]]:
        return self._snapshot(self._store.refunds)

    @property
    def readers(self) -> dict[str, dict[str, Any]]:
        return self._snapshot(self._store.readers)

    @property
    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._store.events)

    @property
    def requests(self) -> list[Recorded]:
        return self._front.requests()

    def captured(self) -> list[dict[str, Any]]:
        """PaymentIntents whose money is taken (status ``succeeded``)."""
        return [pi for pi in self.payment_intents.values() if pi["status"] == "succeeded"]

    def requests_to(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests
                if r.method == method.upper() and r.path.startswith(path_prefix)]

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]

    # -- life ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: objects, readers, events, requests, faults, saved keys."""
        self._front.clear()

    def close(self) -> None:
        self._front.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeStripe":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def _store(self) -> Store:
        return self._front.store

    @property
    def _lock(self) -> threading.RLock:
        return self._front.store.lock

    def _snapshot(self, table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(table)
