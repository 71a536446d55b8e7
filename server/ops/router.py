"""Health, readiness and metrics, outside /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from server.security.deps import Principal, public

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(_: Principal = Depends(public("load balancers probe it"))) -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request, _: Principal = Depends(public("load balancers probe it"))) -> JSONResponse:
    """The database answers."""
    if request.app.state.mongo.ping():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"error": {"code": "not_ready", "message": "the database does not answer",
                                   "details": None}}, status_code=503)
