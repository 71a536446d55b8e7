"""Selling: the cart, checkout in one transaction, refunds, and this till's identity."""
