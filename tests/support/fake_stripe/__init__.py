"""A local fake of the parts of Stripe's API that Tillpoint uses (PaymentIntents, refunds,
server-driven Terminal readers and their test helper), for the real ``stripe`` SDK to talk to.
See :class:`FakeStripe`; ``python -m tests.support.fake_stripe`` runs one standalone."""

from .cards import DECLINING, TEST_CARDS, TestCard
from .fake import FakeStripe
from .server import Recorded
from .state import StripeError
from .webhooks import delivery, signature_header

__all__ = ["DECLINING", "TEST_CARDS", "FakeStripe", "Recorded", "StripeError", "TestCard",
           "delivery", "signature_header"]
