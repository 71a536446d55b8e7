"""What can go wrong talking to the server, in words a cashier's screen can show.

Owned by the client-core part; every other sync module catches these, never ``requests``'s."""

from __future__ import annotations


class SyncError(Exception):
    """Base: ``str(exc)`` is a one-line message for people. ``status`` and ``code`` are the
    server's HTTP status and error code when it answered (None when it never did)."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Offline(SyncError):
    """The server could not be reached (refused, reset, timed out) after the retries."""


class ServerError(SyncError):
    """The server answered 5xx (or an unreadable reply) after the retries."""


class CredentialRejected(SyncError):
    """401/403: this till's credential was revoked or never existed; pair it again."""

    retryable = False


class ProtocolError(SyncError):
    """A 4xx other than the ones above: a bug or a version mismatch; not retried."""

    retryable = False


class CursorGone(SyncError):
    """410: the server cannot continue from this cursor; take a fresh snapshot."""

    def __init__(self, message: str, *, reason: str, feed: str | None) -> None:
        super().__init__(message, status=410, code="cursor_gone")
        self.reason = reason
        self.feed = feed


class NotPaired(SyncError):
    """This till has no server yet (``tillpoint pair``)."""

    retryable = False


class SyncBusy(SyncError):
    """Another sync round of this till is running (the window and a terminal at once)."""


class PairingRefused(SyncError):
    """The server refused the pairing code (mistyped, expired or already used)."""

    retryable = False
