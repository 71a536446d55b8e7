"""One Stripe account and one reader as the till sees them: the SDK client, the reads the
provider makes, and what the last calls taught about the link — so :meth:`available` can say
"no connection to Stripe" or "card reader offline" at once, without the network.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from app.config.secrets import SecretStoreUnavailable, get_secret
from app.config.settings import Settings, check_api_base
from app.domain.errors import InvalidInput
from app.payments.base import ProviderUnavailable
from app.payments.stripe_client import Failure, StripeFailure, call_replayed, make_client

log = logging.getLogger(__name__)

NO_KEY = ("card payments unavailable: no Stripe key (`tillpoint stripe key`, or "
          "TILLPOINT_STRIPE_SECRET_KEY)")
NO_KEYRING = ("card payments unavailable: the Stripe key cannot be read, no keyring here "
              "(set TILLPOINT_STRIPE_SECRET_KEY on a headless till)")
NO_READER = "card payments unavailable: no card reader chosen (stripe.reader_id)"
READER_OFFLINE = "card reader offline"


@dataclass(frozen=True, slots=True)
class ReaderInfo:
    id: str
    label: str
    status: str  # "online" / "offline"
    device_type: str


class StripeLink:
    def __init__(self, api_key: str, reader_id: str, api_base: str | None = None, *,
                 connect_timeout_s: float = 3, read_timeout_s: float = 20,
                 setup_problem: str | None = None) -> None:
        self.reader_id = (reader_id or "").strip()
        self.api_base = api_base or None
        self._key_problem = setup_problem or (None if api_key else NO_KEY)
        self._client = (None if self._key_problem else
                        make_client(api_key, api_base, connect_timeout_s, read_timeout_s))
        self._link: str | None = None  # the last call could not reach Stripe / key refused
        self._reader_state: str | None = None  # the reader was last seen offline / missing

    @classmethod
    def from_settings(cls, settings: Settings):  # noqa: ANN206 - an instance of cls
        """Never raises for what is missing: :meth:`available` says what it is."""
        problem = None
        try:
            key = get_secret("stripe.secret_key") or ""
        except SecretStoreUnavailable:
            key, problem = "", NO_KEYRING
        base = settings.get("stripe.api_base") or None
        override = os.environ.get("TILLPOINT_STRIPE_API_BASE", "").strip()
        if override:
            try:
                base = check_api_base(override, field="TILLPOINT_STRIPE_API_BASE")
            except InvalidInput as exc:  # said where the cashier looks, not as a traceback
                problem = problem or f"card payments unavailable: {exc}"
        return cls(key, settings.get("stripe.reader_id"), base, setup_problem=problem)

    def available(self) -> tuple[bool, str]:
        """The last known state, without asking the network."""
        problem = self._setup_problem(need_reader=True)
        reason = problem or self._link or self._reader_state
        return (False, reason) if reason else (True, "")

    def probe(self) -> tuple[bool, str]:
        """One quick look at the reader, which refreshes :meth:`available`."""
        if not self._setup_problem(need_reader=True):
            try:
                self._get_reader()
            except StripeFailure as failure:
                log.info("stripe probe: %s", failure)
        return self.available()

    def readers(self) -> list[ReaderInfo]:
        """The account's readers, for choosing ``stripe.reader_id``."""
        self._require(need_reader=False)
        try:
            listing = self._call(self._client.v1.terminal.readers.list, params={"limit": 100})
        except StripeFailure as failure:
            raise ProviderUnavailable(failure.words) from failure
        return [ReaderInfo(r["id"], r.get("label") or "", r.get("status") or "unknown",
                           r.get("device_type") or "") for r in listing.get("data") or []]

    # -- reads -------------------------------------------------------------------------------
    def _retrieve(self, pi_id: str) -> dict[str, Any]:
        return self._call(self._client.v1.payment_intents.retrieve, pi_id,
                          params={"expand": ["latest_charge"]})

    def _get_reader(self) -> dict[str, Any]:
        if not self.reader_id:
            raise StripeFailure(Failure.MISSING, NO_READER, sent=False)
        try:
            reader = self._call(self._client.v1.terminal.readers.retrieve, self.reader_id)
        except StripeFailure as failure:
            if failure.kind is Failure.MISSING:
                self._reader_state = self._reader_missing()
            raise
        self._note_reader(reader)
        return reader

    def _note_reader(self, reader: dict[str, Any]) -> None:
        if reader.get("deleted"):
            self._reader_state = self._reader_missing()
        else:
            self._reader_state = READER_OFFLINE if reader.get("status") == "offline" else None

    def _reader_missing(self) -> str:
        return f"card reader {self.reader_id} not found on this Stripe account"

    # -- every call, and what it teaches about the link --------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self._call_replayed(fn, *args, **kwargs)[0]

    def _call_replayed(self, fn: Any, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], bool]:
        try:
            result = call_replayed(fn, *args, **kwargs)
        except StripeFailure as failure:
            self._link = failure.words if failure.kind in (Failure.CONNECTION,
                                                           Failure.AUTH) else None
            if failure.kind is Failure.READER_OFFLINE:
                self._reader_state = READER_OFFLINE
            raise
        self._link = None
        return result

    def _setup_problem(self, *, need_reader: bool) -> str | None:
        if self._key_problem:
            return self._key_problem
        return NO_READER if need_reader and not self.reader_id else None

    def _require(self, *, need_reader: bool) -> None:
        problem = self._setup_problem(need_reader=need_reader)
        if problem:
            raise ProviderUnavailable(problem, field="pay")
