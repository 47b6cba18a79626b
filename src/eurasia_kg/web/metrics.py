"""Prometheus metrics at /metrics: requests, latency, timeouts, errors, the cache and the workers.

Served by the web process itself, never by a worker, so it answers while every worker is busy.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

bp = Blueprint("metrics", __name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ekg_http_requests_total", "HTTP requests answered.",
                                ["method", "endpoint", "status"], registry=self.registry)
        self.latency = Histogram("ekg_http_request_duration_seconds", "Time to answer a request.", ["endpoint"],
                                 buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
                                 registry=self.registry)
        self.timeouts = Counter("ekg_query_timeouts_total", "Queries stopped at the timeout.",
                                registry=self.registry)
        self.errors = Counter("ekg_errors_total", "Requests that ended in an error, by kind.", ["kind"],
                              registry=self.registry)
        self.cache_hits = Counter("ekg_cache_hits_total", "Responses served from the response cache.",
                                  registry=self.registry)
        self.cache_bytes = Gauge("ekg_cache_bytes", "Bytes of answers held by the response cache.",
                                 registry=self.registry)
        self.workers = Gauge("ekg_query_workers", "Query worker processes, by state.", ["state"],
                             registry=self.registry)
        self.slow = Gauge("ekg_slow_queries", "Queries running past slow_query_seconds.", registry=self.registry)

    def watch(self, state) -> None:
        """Gauges read from the application's state when /metrics is scraped."""
        self.cache_bytes.set_function(lambda: state.cache.bytes)
        self.workers.labels("live").set_function(state.pool.live_workers)
        self.workers.labels("idle").set_function(state.pool.idle_workers)
        self.slow.set_function(state.pool.slow_calls)


def current() -> Metrics:
    from flask import current_app

    return current_app.extensions["ekg_metrics"]


def install(app: Flask) -> None:
    app.extensions["ekg_metrics"] = Metrics()
    app.extensions["ekg_metrics"].watch(app.extensions["ekg"])
    app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        m = app.extensions["ekg_metrics"]
        m.requests.labels(request.method, endpoint, str(response.status_code)).inc()
        m.latency.labels(endpoint).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
        if response.status_code >= 400:
            m.errors.labels(str(response.status_code)).inc()
        return response


@bp.get("/metrics")
def metrics_view() -> Response:
    return Response(generate_latest(current().registry), content_type=CONTENT_TYPE_LATEST)
