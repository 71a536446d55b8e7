"""Delivering one outbox mail over SMTP with the standard library (plain text, UTF-8)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from server.config import ServerSettings

TIMEOUT_SECONDS = 10


def build_message(settings: ServerSettings, mail: dict[str, Any]) -> EmailMessage:
    """The RFC 5322 message for an outbox document."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail["to"]
    message["Subject"] = mail["subject"]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.mail_from)[1].partition("@")[2] or "tillpoint.local"
    # The outbox id in the Message-ID lets a mail that was sent twice (a lease that ran out
    # mid-send) be recognised as the same message by the receiving side.
    message["Message-ID"] = make_msgid(idstring=str(mail["_id"]), domain=domain)
    message.set_content(mail["text"])
    return message


def send(settings: ServerSettings, mail: dict[str, Any]) -> None:
    """Send ``mail`` or raise ``smtplib.SMTPException`` / ``OSError`` (the worker retries)."""
    message = build_message(settings, mail)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message, from_addr=parseaddr(settings.mail_from)[1],
                          to_addrs=[mail["to"]])
