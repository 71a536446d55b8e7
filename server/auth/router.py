"""Authentication routes (``/api/v1/auth``): thin — parse, name who may call, hand over to
``server.auth.sessions`` / ``server.auth.service``, shape the answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from app.domain.permissions import Permission
from server.auth import service, sessions
from server.auth.context import AuthContext
from server.auth.schemas import (LoginRequest, LogoutRequest, PasswordResetConfirm,
                                 PasswordResetRequest, RefreshRequest, RegisterRequest,
                                 TokenPair, VerifyEmailRequest)
from server.carts.merge import merge_guest_cart
from server.security.deps import Principal, client_ip, public, require
from server.users.service import public_user

router = APIRouter(prefix="/auth", tags=["auth"])


def _context(request: Request) -> AuthContext:
    state = request.app.state
    return AuthContext(mongo=state.mongo, settings=state.settings, jwt_key=state.jwt_key,
                       ip=client_ip(request), request_id=getattr(request.state, "request_id", None))


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterRequest, request: Request,
             _: Principal = Depends(public("customers sign themselves up"))) -> dict[str, Any]:
    """Create a customer account (unverified) and mail the verification link."""
    user = service.register(_context(request), email=body.email, password=body.password,
                            name=body.name)
    return public_user(user)


@router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT)
def verify_email(body: VerifyEmailRequest, request: Request,
                 _: Principal = Depends(public("the mailed token is the credential"))) -> Response:
    """Confirm the address with the token from the verification mail."""
    service.verify_email(_context(request), token=body.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/login")
def login(body: LoginRequest, request: Request,
          _: Principal = Depends(public("this is how a caller gets credentials"))) -> TokenPair:
    """Exchange e-mail and password for an access token and a refresh token."""
    ctx = _context(request)
    pair = sessions.login(ctx, email=body.email, password=body.password)
    if body.cart_id:  # a guest cart to merge into the customer's; never fails the login
        user = ctx.db.users.find_one({"email": body.email.strip().lower()})
        if user is not None:
            merge_guest_cart(ctx.db, ctx.settings, body.cart_id, user)
    return pair


@router.post("/refresh")
def refresh(body: RefreshRequest, request: Request,
            _: Principal = Depends(public("the refresh token is the credential"))) -> TokenPair:
    """Rotate: a new pair for a refresh token, which is used up."""
    return sessions.refresh(_context(request), refresh_token=body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, body: LogoutRequest | None = None,
           principal: Principal = Depends(require(Permission.OWN_ACCOUNT))) -> Response:
    """End this session: the access token, and the refresh token's family when it is sent."""
    sessions.logout(_context(request), principal,
                    refresh_token=body.refresh_token if body else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
def password_reset(body: PasswordResetRequest, request: Request,
                   _: Principal = Depends(public("people who forgot their password"))
                   ) -> dict[str, str]:
    """Mail a reset link if the account exists; the answer never says whether it does."""
    service.request_password_reset(_context(request), email=body.email)
    return {"status": "accepted",
            "message": "if an account uses this address, a reset link is on its way"}


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def password_reset_confirm(body: PasswordResetConfirm, request: Request,
                           _: Principal = Depends(public("the mailed token is the credential"))
                           ) -> Response:
    """Set a new password with the token from the reset mail; ends every session."""
    service.confirm_password_reset(_context(request), token=body.token, password=body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
def me(request: Request, principal: Principal = Depends(require(Permission.OWN_ACCOUNT))
       ) -> dict[str, Any]:
    """The caller's account."""
    return public_user(sessions.me(_context(request), principal))
