"""Outgoing e-mail: an outbox collection written in the caller's transaction, and a background
worker per server process that delivers it over SMTP (claims are atomic, so N workers never
send the same mail twice)."""
