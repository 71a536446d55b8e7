"""Orders: online orders created from a cart, till orders arriving by sync, the order state machine, refunds, confirmation and shipping mails: ``/orders``."""
