"""Taking money the till does not hold itself (cards).

- ``base``      the interface every provider implements (start, status, cancel, refund) and its
                rules;
- ``attempts``  :class:`~app.payments.attempts.CardPayments`, which writes each attempt to
                ``payment_attempts`` before and after every provider call and resolves what a
                crash left open (``recover``);
- ``terminal``  the standalone card terminal (the cashier keys the amount and confirms what it
                showed) and :func:`~app.payments.terminal.provider_for`, which picks the
                provider ``payments.card_provider`` names.

Cash and store credit need no provider: the till settles them itself (app.domain.tenders).
"""
