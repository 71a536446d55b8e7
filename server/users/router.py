"""Staff accounts: ``/users``. Managers and owners (USERS_MANAGE) manage them; the rules above
the permission table (only owners touch owners, nobody deactivates themselves) live in the
service. Customers are not listed or edited here: they sign up and manage themselves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission, Role
from server.security.deps import Principal, get_db, request_context, require
from server.users import service
from server.users.schemas import PinSet, UserCreate, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
MANAGE = require(Permission.USERS_MANAGE)


@router.get("")
def list_users(page: int = Query(1, ge=1, le=10_000), per_page: int = Query(50, ge=1, le=100),
               role: Role | None = None, db: Database = Depends(get_db),
               _: Principal = Depends(MANAGE)) -> dict[str, Any]:
    """Staff accounts by email, a page at a time (``has_more`` instead of a costly count)."""
    return service.list_staff(db, role=role, page=page, per_page=per_page)


@router.post("", status_code=201)
def create_user(body: UserCreate, request: Request, db: Database = Depends(get_db),
                principal: Principal = Depends(MANAGE)) -> dict[str, Any]:
    """A staff account, verified at once (the manager vouches for the address)."""
    return service.create_staff(db, body=body, principal=principal,
                                rounds=request.app.state.settings.bcrypt_rounds,
                                **request_context(request))


@router.get("/{user_id}")
def get_user(user_id: str, db: Database = Depends(get_db),
             _: Principal = Depends(MANAGE)) -> dict[str, Any]:
    return service.get_staff(db, user_id=user_id)


@router.patch("/{user_id}")
def update_user(user_id: str, body: UserUpdate, request: Request, db: Database = Depends(get_db),
                principal: Principal = Depends(MANAGE)) -> dict[str, Any]:
    """Change name, role, active or stores; 409 when ``version`` is stale."""
    return service.update_staff(db, user_id=user_id, body=body, principal=principal,
                                **request_context(request))


@router.delete("/{user_id}")
def deactivate_user(user_id: str, request: Request, db: Database = Depends(get_db),
                    principal: Principal = Depends(MANAGE)) -> dict[str, Any]:
    """Deactivate (accounts are never deleted); idempotent."""
    return service.deactivate_staff(db, user_id=user_id, principal=principal,
                                    **request_context(request))


@router.post("/{user_id}/pin")
def set_pin(user_id: str, body: PinSet, request: Request, db: Database = Depends(get_db),
            principal: Principal = Depends(MANAGE)) -> dict[str, Any]:
    """Set the till PIN (4–8 digits); only its PBKDF2 hash is kept, and synced to tills."""
    return service.set_pin(db, user_id=user_id, pin=body.pin, principal=principal,
                           **request_context(request))
