"""``python -m tests.support.fake_stripe --port 12111 --reader tmr_demo``: a fake Stripe to try
the till's card payments by hand (``TILLPOINT_STRIPE_API_BASE=http://127.0.0.1:12111``)."""

from __future__ import annotations

import argparse
import signal
import threading

from .fake import FakeStripe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fake_stripe",
                                     description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--reader", action="append", default=[], metavar="ID",
                        help="a simulated reader to add (repeatable; default tmr_demo)")
    parser.add_argument("--card", default="4242424242424242",
                        help="the card the customer taps by itself ('none': wait for the test "
                             "helper endpoint)")
    parser.add_argument("--delay", type=float, default=2.0,
                        help="seconds before the customer taps the card")
    args = parser.parse_args(argv)
    fake = FakeStripe(host=args.host, port=args.port)
    for reader_id in args.reader or ["tmr_demo"]:
        fake.add_reader(reader_id, label=f"Simulated {reader_id}")
        if args.card.lower() != "none":
            fake.set_reader(reader_id, auto_present=args.card, auto_delay_s=args.delay)
    print(f"fake Stripe on {fake.url} (any sk_test_… key); readers: "
          f"{', '.join(args.reader or ['tmr_demo'])}; Ctrl+C stops it", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    fake.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
