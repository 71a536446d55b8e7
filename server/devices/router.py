"""Registers, pairing and device credentials (filled by the devices work)."""
from fastapi import APIRouter

router = APIRouter(tags=["devices"])
