"""Tillpoint's domain and services: everything a till does, with no Qt and no HTTP client."""

__version__ = "0.1.0"
