"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import DomainError, InvalidInput, InvalidTransition, NotFound

log = logging.getLogger(__name__)

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
                 415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited"}


class ApiError(Exception):
    """A known failure with its HTTP status, a stable machine code and a sentence for people."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _response(status: int, code: str, message: str, details: Any = None,
              headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character offset, not a field
            details.append({"field": "", "message": f"malformed JSON: {err.get('msg', '')}",
                            "type": "json_invalid"})
            continue
        details.append({"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                        "message": err.get("msg", ""), "type": err.get("type", "")})
    return details


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        fields = ", ".join(d["field"] or "body" for d in details[:5])
        return _response(422, "validation_error", f"invalid request: {fields}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _response(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, InvalidTransition) \
            else 422 if isinstance(exc, InvalidInput) else 409
        details: dict[str, Any] = {"field": exc.field}
        if isinstance(exc, InvalidTransition):
            details["allowed"] = list(exc.allowed)
        return _response(status, exc.code, str(exc), details)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        log.exception("unhandled error (request %s)", request_id)
        return _response(500, "internal_error", "something went wrong on the server; "
                         "it has been logged", {"request_id": request_id})
