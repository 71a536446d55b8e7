"""Prometheus metrics: HTTP requests (count, latency, 5xx) and the time spent in the database.

Metrics are module-level singletons, created once per process whatever the number of apps
built in it (tests build many). With several worker processes, ``PROMETHEUS_MULTIPROC_DIR``
must name an empty directory shared by them, set before this module is first imported (the
launcher does it for ``--workers N``): each worker then writes its values to files there, and
``render()`` sums every worker's files, so a scrape answered by any worker covers all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)
from pymongo import monitoring

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Bounded label values only: an arbitrary method or an unmatched path must not create series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HTTP_BUCKETS = (.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
_DB_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10)

REQUESTS = Counter("tillpoint_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("tillpoint_http_request_duration_seconds",
                    "Time from request to the end of the response, by route template",
                    ["method", "route"], buckets=_HTTP_BUCKETS)
ERRORS = Counter("tillpoint_http_server_errors_total", "HTTP responses with a 5xx status",
                 ["method", "route"])
DB_TIME = Histogram("tillpoint_db_command_duration_seconds",
                    "Time spent in MongoDB commands, by command name", ["command"],
                    buckets=_DB_BUCKETS)
DB_FAILURES = Counter("tillpoint_db_command_failures_total", "MongoDB commands that failed",
                      ["command"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """The request middleware's hook: one finished request."""
    method = method if method in _METHODS else "OTHER"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    if status >= 500:
        ERRORS.labels(method, route).inc()


class DatabaseTimer(monitoring.CommandListener):
    """Times every command a ``MongoClient`` sends (pymongo measures the round trip)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        DB_TIME.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        DB_TIME.labels(event.command_name).observe(event.duration_micros / 1e6)
        DB_FAILURES.labels(event.command_name).inc()


DATABASE_TIMER = DatabaseTimer()


def render() -> bytes:
    """The exposition text: this process's metrics, or every worker's in multi-process mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()  # a fresh one per scrape, as the multiprocess docs require
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
