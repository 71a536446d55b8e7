"""HTTP routes of this domain (thin: validation in schemas, rules in the service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
