"""Coupons: code, percent or amount, validity window, minimum spend, usage limits overall and per customer, counted exactly under concurrent use: ``/coupons``."""
