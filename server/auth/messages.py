"""The texts of the mails authentication sends (plain text; the link carries the token)."""

from __future__ import annotations

from urllib.parse import quote


def _greeting(name: str) -> str:
    return f"Hello {name}," if name else "Hello,"


def verification_mail(*, name: str, public_url: str, token: str, hours: int) -> tuple[str, str]:
    """(subject, text) of the mail that confirms a new customer's address."""
    link = f"{public_url.rstrip('/')}/verify-email?token={quote(token)}"
    text = (f"{_greeting(name)}\n\n"
            f"please confirm your e-mail address for your Tillpoint account by opening this "
            f"link within {hours} hours:\n\n{link}\n\n"
            f"If you did not create an account, you can ignore this mail.\n")
    return "Confirm your e-mail address", text


def password_reset_mail(*, name: str, public_url: str, token: str, minutes: int) -> tuple[str, str]:
    """(subject, text) of the mail that lets a user choose a new password."""
    link = f"{public_url.rstrip('/')}/reset-password?token={quote(token)}"
    text = (f"{_greeting(name)}\n\n"
            f"someone (we hope you) asked to reset the password of your Tillpoint account. "
            f"Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
            f"If you did not ask for this, ignore this mail: your password stays as it is.\n")
    return "Reset your password", text
