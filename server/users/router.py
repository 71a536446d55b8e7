"""Staff users and stores (filled by the users work)."""
from fastapi import APIRouter

router = APIRouter(tags=["users"])
