"""Request and response bodies of the auth routes.

Every string is strict (a JSON object such as ``{"$gt": ""}`` is a 422 and never reaches
MongoDB as an operator), every length is bounded, and unknown fields are refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

Email = Annotated[str, StringConstraints(strict=True, min_length=3, max_length=254)]
#: generous for login (bcrypt reads 72 bytes; new passwords are checked by check_password)
Password = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256)]
Name = Annotated[str, StringConstraints(strict=True, max_length=200)]
#: our tokens are 43 url-safe characters; the bound only keeps junk out
Token = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128,
                                         pattern=r"^[A-Za-z0-9_-]+$")]
CartId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64,
                                          pattern=r"^[A-Za-z0-9_-]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Body):
    email: Email
    password: Password
    name: Name = ""


class VerifyEmailRequest(_Body):
    token: Token


class LoginRequest(_Body):
    email: Email
    password: Password
    cart_id: CartId | None = None  # a guest cart to merge into the customer's on login


class RefreshRequest(_Body):
    refresh_token: Token


class LogoutRequest(_Body):
    refresh_token: Token | None = None


class PasswordResetRequest(_Body):
    email: Email


class PasswordResetConfirm(_Body):
    token: Token
    password: Password


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int  # seconds until the access token expires
