"""Card payments on the central server: Stripe's webhook keeps each till sale's card payment
in step with what Stripe reports (captured, declined, canceled, refunded)."""
