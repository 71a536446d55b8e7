"""Authentication routes (filled by the auth work)."""
from fastapi import APIRouter

router = APIRouter(prefix="/auth", tags=["auth"])
