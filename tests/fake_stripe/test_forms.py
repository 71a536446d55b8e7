"""Stripe's form encoding decoded the way Stripe reads it; the standalone fake starts."""

from __future__ import annotations

import subprocess
import sys

import stripe

from tests.support.fake_stripe.forms import decode


def test_nested_hashes_and_both_spellings_of_arrays() -> None:
    assert decode("a=1&m[k]=v&m[j]=w&e[]=x&e[]=y&i[0]=p&i[1]=q&d[0][f]=1&d[1][f]=2") == {
        "a": "1", "m": {"k": "v", "j": "w"}, "e": ["x", "y"], "i": ["p", "q"],
        "d": [{"f": "1"}, {"f": "2"}]}
    assert decode("expand[0]=latest_charge") == decode("expand[]=latest_charge")
    assert decode("metadata[note]=") == {"metadata": {"note": ""}}


def test_runs_standalone_for_trying_the_till() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_stripe", "--port", "0", "--reader",
         "tmr_demo", "--delay", "0.05"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        client = stripe.StripeClient("sk_test_demo", base_addresses={"api": url})
        assert [r.id for r in client.v1.terminal.readers.list().data] == ["tmr_demo"]
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_webhook_deliveries_verify_with_the_sdk(client, reader, fake_stripe) -> None:
    from tests.support.fake_stripe import delivery

    intent = client.v1.payment_intents.create({"amount": 300, "currency": "gbp",
                                               "payment_method_types": ["card_present"]})
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    (event,) = fake_stripe.events_of("payment_intent.succeeded")
    body, headers = delivery(event, "whsec_test")
    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_test")
    assert verified.type == "payment_intent.succeeded" and verified.data.object.id == intent.id
    stale, old_headers = delivery(event, "whsec_test", timestamp=1)
    try:
        stripe.Webhook.construct_event(stale, old_headers["Stripe-Signature"], "whsec_test")
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a signature from 1970 was accepted")
