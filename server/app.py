"""The FastAPI application: ``create_app()`` wires configuration, the database, middleware,
error handling and every domain's router. Nothing another worker needs lives in memory here."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from server import domains, errors, logs, metrics
from server.auth.router import router as auth_router
from server.carts.abandoned import background_starter as cart_worker
from server.config import ServerSettings
from server.database import Mongo, ensure_indexes
from server.devices.router import router as devices_router
from server.mail.worker import background_starter as email_worker
from server.embedded import die_with_parent
from server.middleware import RequestContext
from server.ops.router import router as ops_router
from server.search.follower import background_starter as search_worker
from server.security.tokens import signing_key
from server.users.router import router as users_router

log = logging.getLogger(__name__)
API = "/api/v1"


def create_app(settings: ServerSettings, mongo: Mongo) -> FastAPI:
    """The app for one worker. ``mongo`` is already connected (to the configured MongoDB or
    to the embedded database the launcher started)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers = [start() for start in app.state.background]
        try:
            yield
        finally:
            for stop in workers:
                stop()

    app = FastAPI(title="Tillpoint central API", version="1", lifespan=lifespan,
                  openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None)
    ensure_indexes(mongo.db)
    app.state.settings = settings
    app.state.mongo = mongo
    app.state.jwt_key = signing_key(mongo.db, settings.jwt_secret)
    app.state.background = []  # callables that start a worker and return its stop function
    if settings.email_worker:
        app.state.background.append(email_worker(mongo.db, settings))
    if settings.search_worker:
        app.state.background.append(search_worker(mongo.db, settings))
    if settings.cart_worker:
        app.state.background.append(cart_worker(mongo.db, settings))
    errors.install(app)
    for router in (auth_router, users_router, devices_router, *domains.routers()):
        app.include_router(router, prefix=API)
    app.include_router(ops_router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID",
                                          "X-API-Key", "If-None-Match"],
                           expose_headers=["X-Request-ID", "ETag"])
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes,
                       hsts=settings.trust_proxy_tls, observe=metrics.observe_request)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the launcher passes everything through the environment."""
    if os.environ.get("TILLPOINT_WORKER_DIES_WITH_PARENT") == "1":
        # A worker of a multi-process server never outlives its supervisor.
        supervisor = os.environ.get("TILLPOINT_SUPERVISOR_PID", "")
        die_with_parent(int(supervisor) if supervisor.isdigit() else None)
    logs.configure()  # a spawned worker starts with no logging set up: its access log would be lost
    settings = ServerSettings.from_env()
    if not settings.mongodb_uri:
        raise SystemExit("tillpoint-server: workers need TILLPOINT_MONGODB_URI "
                         "(the launcher sets it for the embedded database)")
    return create_app(settings, Mongo.open(settings.mongodb_uri, settings.database,
                                           event_listeners=[metrics.DATABASE_TIMER]))
