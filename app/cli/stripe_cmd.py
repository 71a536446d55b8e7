"""``tillpoint stripe key|readers|check``: set up card payments on a Stripe Terminal reader.

The key goes to the OS keyring, never to settings or the command line's arguments (they show
in ``ps`` and shell history): ``stripe key`` reads it from standard input. Each step is checked
against Stripe before it is kept, so a mistyped key or reader is said at once, not at the first
customer's card.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Callable

from app.config.paths import Paths
from app.config.secrets import delete_secret, get_secret, set_secret
from app.config.settings import Settings
from app.domain.errors import InvalidInput, NotFound

SECRET = "stripe.secret_key"
KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    stripe = add("stripe", "set up card payments on a Stripe Terminal reader", cmd_stripe)
    stripe.add_argument("action", choices=["key", "readers", "check", "recover", "forget-key"],
                        help="key: store the secret (or restricted) key, read from standard "
                             "input; readers: list the account's readers (--use ID picks one); "
                             "check: can cards be taken now?; recover: ask Stripe how every card "
                             "payment a crash left open ended, and void those of sales never "
                             "recorded (the window does this at start-up); forget-key: remove "
                             "the key")
    stripe.add_argument("--use", metavar="READER_ID",
                        help="with `readers`: the reader this till takes cards on")
    stripe.add_argument("--json", action="store_true", help="with `readers`: print JSON")


def cmd_stripe(args: argparse.Namespace, paths: Paths) -> int:
    settings = Settings(paths.settings)
    if args.use and args.action != "readers":
        raise InvalidInput("--use goes with `tillpoint stripe readers`", field="use")
    if args.action == "key":
        return _store_key(settings)
    if args.action == "forget-key":
        delete_secret(SECRET)
        print("the Stripe key is removed from the keyring")
        return 0
    if args.action == "readers":
        return _readers(settings, args.use, args.json)
    if args.action == "recover":
        return _recover(settings, paths)
    return _check(settings)


def _recover(settings: Settings, paths: Paths) -> int:
    from app.cli.card_sale import card_payments
    from db.engine import LocalStore

    store = LocalStore.open(paths.store)
    try:
        payments = card_payments(store, settings)
        settled = payments.recover()
        owed = payments.taken_without_sale()
    finally:
        store.close()
    print(json.dumps({"settled": [{"attempt_id": a.attempt_id, "sale_id": a.sale_id,
                                   "amount": a.amount, "state": a.state.value,
                                   "message": a.message, "reference": a.reference}
                                  for a in settled],
                      "taken_without_sale": [{"attempt_id": a.attempt_id, "sale_id": a.sale_id,
                                              "amount": a.amount, "reference": a.reference}
                                             for a in owed]}, indent=2))
    return 1 if any(not a.state.final for a in settled) else 0


def _terminal(settings: Settings, api_key: str | None = None):  # noqa: ANN202 - StripeTerminal
    from app.payments.stripe_terminal import StripeTerminal

    if api_key is None:
        return StripeTerminal.from_settings(settings)
    base = StripeTerminal.from_settings(settings)
    return StripeTerminal(api_key, settings.get("stripe.reader_id"), base.api_base)


def _store_key(settings: Settings) -> int:
    if sys.stdin.isatty():
        key = getpass.getpass("Stripe secret or restricted key: ")
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise InvalidInput("no key was given on standard input", field="key")
    if not key.startswith(KEY_PREFIXES) or len(key) > 255 or any(c.isspace() for c in key):
        raise InvalidInput("this is not a Stripe secret or restricted key (sk_… or rk_…); "
                           "a publishable key (pk_…) cannot take payments", field="key")
    readers = _terminal(settings, key).readers()  # refused keys fail here, before keeping it
    set_secret(SECRET, key)
    print(f"the Stripe key is stored in the keyring ({key[:8]}…); the account has "
          f"{len(readers)} reader(s): `tillpoint stripe readers` lists them")
    return 0


def _readers(settings: Settings, use: str | None, as_json: bool) -> int:
    readers = _terminal(settings).readers()
    if use:
        chosen = next((r for r in readers if r.id == use), None)
        if chosen is None:
            known = ", ".join(r.id for r in readers) or "none"
            raise NotFound(f"no reader {use} on this Stripe account (readers: {known})",
                           field="use")
        settings.set("stripe.reader_id", use)
        print(f"card payments go to {chosen.label or chosen.id} ({chosen.id}, {chosen.status})")
        return 0
    current = settings.get("stripe.reader_id")
    if as_json:
        print(json.dumps([{"id": r.id, "label": r.label, "status": r.status,
                           "device_type": r.device_type, "selected": r.id == current}
                          for r in readers], indent=2))
        return 0
    if not readers:
        print("this Stripe account has no Terminal readers: register one in the Dashboard")
    for r in readers:
        mark = "*" if r.id == current else " "
        print(f"{mark} {r.id}  {r.label or '-'}  {r.status}  {r.device_type}")
    return 0


def _check(settings: Settings) -> int:
    if not get_secret(SECRET):
        print("card payments unavailable: no Stripe key (`tillpoint stripe key`, or "
              "TILLPOINT_STRIPE_SECRET_KEY)", file=sys.stderr)
        return 1
    available, reason = _terminal(settings).probe()
    if available:
        print(f"card payments ready on reader {settings.get('stripe.reader_id')}")
        return 0
    print(reason, file=sys.stderr)
    return 1
