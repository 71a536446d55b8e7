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
from app.config.secrets import delete_secret, set_secret
from app.config.settings import Settings
from app.domain.errors import InvalidInput, NotFound

SECRET = "stripe.secret_key"
KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    stripe = add("stripe", "set up card payments on a Stripe Terminal reader", cmd_stripe)
    stripe.add_argument("action",
                        choices=["key", "readers", "check", "recover", "refund-owed",
                                 "forget-key"],
                        help="key: store the secret (or restricted) key, read from standard "
                             "input; readers: list the account's readers (--use ID picks one); "
                             "check: can cards be taken now?; recover: ask Stripe how card "
                             "payments a crash left open ended and void those of sales never "
                             "recorded (the window does this at start-up); refund-owed: give "
                             "back card money taken without a sale (--attempt ID); forget-key: "
                             "remove the key")
    stripe.add_argument("--use", metavar="READER_ID",
                        help="with `readers`: the reader this till takes cards on")
    stripe.add_argument("--json", action="store_true", help="with `readers`: print JSON")
    stripe.add_argument("--all", action="store_true",
                        help="with `recover`: also payments followed in the last minute (only "
                             "when no window or command on this till is taking a card)")
    stripe.add_argument("--attempt", metavar="ATTEMPT_ID",
                        help="with `refund-owed`: the card payment to give back (from "
                             "`tillpoint stripe recover`)")
    stripe.add_argument("--staff", metavar="EMAIL",
                        help="with `refund-owed`: the manager who answers for it (default: the "
                             "first manager)")


def cmd_stripe(args: argparse.Namespace, paths: Paths) -> int:
    settings = Settings(paths.settings)
    for option, action in (("use", "readers"), ("all", "recover"), ("attempt", "refund-owed"),
                           ("staff", "refund-owed")):
        if getattr(args, option) and args.action != action:
            raise InvalidInput(f"--{option} goes with `tillpoint stripe {action}`",
                               field=option)
    if args.action == "key":
        return _store_key(settings)
    if args.action == "forget-key":
        delete_secret(SECRET)
        print("the Stripe key is removed from the keyring")
        return 0
    if args.action == "readers":
        return _readers(settings, args.use, args.json)
    if args.action == "recover":
        return _recover(settings, paths, everything=args.all)
    if args.action == "refund-owed":
        return _refund_owed(settings, paths, args.attempt, args.staff)
    return _check(settings)


def _recover(settings: Settings, paths: Paths, *, everything: bool) -> int:
    """Exit 0 when nothing is left open or owed; 1 when an attempt is still undecided (Stripe
    out of reach) or card money taken without a sale waits for `refund-owed`."""
    from app.cli.card_sale import card_payments
    from app.payments.attempts import LIVE_WINDOW
    from db.engine import LocalStore

    store = LocalStore.open(paths.store)
    try:
        payments = card_payments(store, settings)
        settled = payments.recover(idle_for=None if everything else LIVE_WINDOW)
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
    if owed:
        print(f"tillpoint: {len(owed)} card payment(s) took money for a sale never recorded: "
              "give each back with `tillpoint stripe refund-owed --attempt ID`", file=sys.stderr)
    return 1 if owed or any(not a.state.final for a in settled) else 0


def _refund_owed(settings: Settings, paths: Paths, attempt_id: str | None,
                 email: str | None) -> int:
    from app.cli.card_sale import card_payments
    from app.cli.sale_cmd import staff_member
    from app.domain.permissions import Permission
    from db.base import utcnow
    from db.engine import LocalStore

    if not attempt_id:
        raise InvalidInput("which card payment? --attempt ID (`tillpoint stripe recover` "
                           "lists them)", field="attempt")
    store = LocalStore.open(paths.store)
    try:
        with store.read() as session:
            staff_id = staff_member(session, email, Permission.VOID, ("manager", "owner")).id
        payments = card_payments(store, settings)
        if not any(a.attempt_id == attempt_id for a in payments.taken_without_sale()):
            raise NotFound(f"no card money taken without a sale under {attempt_id}",
                           field="attempt")
        done = payments.refund_without_sale(attempt_id, staff_id=staff_id, approved_by=staff_id,
                                            now=utcnow())
    finally:
        store.close()
    print(json.dumps({"attempt_id": done.attempt_id, "sale_id": done.sale_id,
                      "amount": done.amount, "refunded": True, "message": done.message},
                     indent=2))
    return 0


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
    available, reason = _terminal(settings).probe()
    if available:
        print(f"card payments ready on reader {settings.get('stripe.reader_id')}")
        return 0
    print(reason, file=sys.stderr)
    return 1
