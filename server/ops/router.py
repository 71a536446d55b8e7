"""Health, readiness and metrics, outside /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from server import metrics
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


SCRAPERS = public("scraped by Prometheus on the internal network")


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(_: Principal = Depends(SCRAPERS)) -> Response:
    """Prometheus exposition text: requests, latency, 5xx and database time (all workers)."""
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
