"""Passwords, tokens, principals and permissions, rate limits, signed webhooks, API keys."""
