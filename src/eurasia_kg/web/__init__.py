"""The web layer: a Flask application factory and one blueprint per concern.

Views translate HTTP into calls on the knowledge service (run in worker processes) and back;
they hold no query logic. Failures are exceptions, mapped to statuses once, by the error handlers
here. This process stays light: no rdflib, no store; it negotiates, caches and logs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import __version__, negotiation, service
from .. import dataset as dataset_module
from ..config import GRAPH_BASE, ID_BASE, Settings
from ..dataset import Dataset
from ..service import KnowledgeService, ServiceError
from ..validation_service import ValidationService
from ..workers import Busy, CallTimeout, PoolLimits, WorkerFailed, WorkerPool, quiet_thread
from . import metrics
from .front import AccessLog, BodyLimit, FrontCache, ResponseCache

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
       "form-action 'self'")
CORS_ROUTES = [r"/sparql", r"/id/*", r"/download/*", r"/.well-known/*", r"/validate", r"/ontology*",
               r"/network/*"]
STATUS = {"rejected": 400, "not-acceptable": 406, "not-found": 404, "forbidden": 403, "too-large": 413}


@dataclass
class AppState:
    settings: Settings
    source: service.DataSource
    pool: WorkerPool
    validator: WorkerPool
    cache: ResponseCache
    access_log: AccessLog
    dataset: Dataset | None = None
    data_version: str = ""
    last_modified: float = field(default_factory=time.time)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ontology: tuple[int, Any] | None = None

    @property
    def etag_base(self) -> str:
        return self.data_version

    def observe(self) -> None:
        """Notice a change of the store (a merge, a removal, a rebuild, an update) since the last
        request: new ETags, and no cached answer from before it. A file read on the embedded store."""
        if self.dataset is None or self.dataset.kind != "embedded":
            return
        self._moved_to(service.data_version(self.dataset))

    def _moved_to(self, version: str) -> None:
        if version != self.data_version:
            with self.lock:
                if version != self.data_version:
                    self.cache.clear()
                    self.data_version, self.last_modified = version, time.time()

    def etag_for(self, *parts: Any) -> str:
        digest = hashlib.sha256(json.dumps([self.etag_base, *parts], default=str).encode()).hexdigest()[:32]
        return f'"{digest}"'

    @property
    def last_modified_http(self) -> str:
        return formatdate(self.last_modified, usegmt=True)

    @property
    def ontology(self):
        """The ontology as an rdflib Graph (for the /ontology page): the built ontology.ttl, else the
        ontology/ files; read on first use, and again when the build changes it."""
        built = self.settings.dist_dir / "ontology.ttl"
        stamp = built.stat().st_mtime_ns if built.is_file() else 0
        cached = self._ontology
        if cached is None or cached[0] != stamp:
            from rdflib import Graph

            from .. import loader

            graph = Graph()
            for path in [built] if built.is_file() else loader.rdf_files(self.settings.ontology_dir):
                loader.parse_into(graph, path)
            self._ontology = cached = (stamp, graph)
        return cached[1]

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """A service call in a query worker, with the query timeout. The cap on slow calls per client
        applies to what a client writes itself (SPARQL queries); the pages' own calls count only
        toward the cap on slow calls in all (a page may ask for several network views at once)."""
        client = (request.remote_addr or "") if method == "query" else None
        return self.pool.call(method, *args, timeout=self.settings.query_timeout, client=client, **kwargs)


def _watch(app_state: AppState, settings: Settings, interval: float = 1.0) -> None:
    """Keep the store in step with dist/ while the server runs: a rebuild is synced into the store
    (one transaction) and then seen by every worker, like a merge. For a remote store, also poll its
    generation, which costs a query. Stops when the app's workers are closed."""
    log = logging.getLogger("eurasia_kg.server")
    fingerprint = dataset_module.dist_fingerprint(settings.dist_dir)
    failing = ""
    while not app_state.pool.closed:
        time.sleep(interval)
        try:
            now = dataset_module.dist_fingerprint(settings.dist_dir)
            if now is not None and now != fingerprint:
                result = dataset_module.sync(app_state.dataset, settings.dist_dir)
                if result.changed:
                    log.info("the build in %s changed: synced %d curated graphs into the store",
                             settings.dist_dir, result.graphs)
                fingerprint = now
            if app_state.dataset.kind != "embedded":
                app_state._moved_to(service.data_version(app_state.dataset))
            else:
                app_state.observe()
            failing = ""
        except Exception as exc:  # keep watching: retried on the next tick; said once, not every second
            if str(exc) != failing:
                failing = str(exc)
                log.warning("could not bring the server up to date with the store (%s); retrying", exc)


def _data_source(settings: Settings) -> service.DataSource:
    return service.DataSource(settings.dist_dir, settings.remote_store or str(settings.store_dir), settings.engine,
                              settings.union_default_graph, settings.store_auth)


def _pools(settings: Settings, source: service.DataSource) -> tuple[WorkerPool, WorkerPool]:
    queries = WorkerPool(KnowledgeService, {
        "source": source, "max_rows": settings.max_rows, "max_query_length": settings.max_query_length,
        "max_query_depth": settings.max_depth, "service_allowlist": tuple(settings.service_allowlist),
    }, PoolLimits(size=settings.workers, slow_after=settings.slow_query_seconds,
                  max_slow=settings.max_slow_queries, max_slow_per_client=settings.max_slow_per_client,
                  queue_limit=settings.queue_limit, queue_wait=min(10.0, settings.query_timeout)))
    built = settings.dist_dir / "ontology.ttl"
    # One validation at a time (SHACL is heavy; the machine's cores belong to queries), started on first use.
    validator = WorkerPool(ValidationService, {
        "shapes_dir": settings.shapes_dir, "ontology": built if built.is_file() else settings.ontology_dir,
        "max_depth": settings.max_depth,
    }, PoolLimits(size=1, slow_after=None, queue_limit=2, queue_wait=settings.validate_timeout,
                  memory_limit=settings.validate_memory, stack_bytes=32 * 1024 * 1024), lazy=True)
    return queries, validator


def create_app(config: Settings | dict | None = None) -> Flask:
    """The application. ``config`` is a Settings, or a dict of overrides for Settings.from_env()."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.config["SETTINGS"] = settings
    app.json.sort_keys = False

    data = dataset_module.open_dataset(settings)  # the one dataset, synced with dist/ first
    source = _data_source(settings)
    pool, validator = _pools(settings, source)
    app_state = AppState(settings, source, pool, validator,
                         ResponseCache(settings.cache_bytes, settings.cache_max_item_bytes), AccessLog(), data,
                         service.data_version(data))
    app.extensions["ekg"] = app_state
    quiet_thread(_watch, "store-watch", app_state, settings)
    # Outermost first: the body limit, then the replay of cached answers, then Flask.
    app.wsgi_app = BodyLimit(FrontCache(app.wsgi_app, app_state.cache, ("/sparql",), lambda: _version(app_state),
                                        lambda environ, status, size, started: _replayed(app, environ, status, size,
                                                                                         started)),
                             settings.max_body)

    app.add_template_filter(local_path)
    app.add_template_filter(graph_name)

    CORS(app, resources={route: {"origins": "*"} for route in CORS_ROUTES},
         expose_headers=["ETag", "Last-Modified", "X-Result-Truncated", "Retry-After"])
    metrics.install(app)
    _error_handlers(app)

    from . import network_views, resource_views, sparql_views, ui_views, validate_views

    app.register_blueprint(sparql_views.bp)
    app.register_blueprint(resource_views.bp)
    app.register_blueprint(validate_views.bp)
    app.register_blueprint(ui_views.bp)
    app.register_blueprint(network_views.bp)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()
        app_state.observe()

    @app.after_request
    def _headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Server", f"eurasia-kg/{__version__}")
        if response.status_code == 406 and "Accept" not in response.vary:  # whichever view refused the Accept
            response.vary.add("Accept")
        environ = request.environ
        query = environ.get("QUERY_STRING")
        app.extensions["ekg"].access_log.record(  # the request line as sent (werkzeug's URLs cost more to build)
            request.remote_addr, time.time(), request.method,
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") + (f"?{query}" if query else ""),
            environ.get("SERVER_PROTOCOL", "HTTP/1.1"), response.status_code, response.content_length,
            time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    return app


def _version(app_state: AppState) -> str:
    app_state.observe()
    return app_state.etag_base


def _replayed(app: Flask, environ: dict, status: str, size: int, started: float) -> None:
    """Count and log an answer the front cache replayed, as the app's hooks do for the others."""
    elapsed = time.perf_counter() - started
    counters = app.extensions["ekg_metrics"]
    counters.requests.labels(environ["REQUEST_METHOD"], environ["PATH_INFO"], status[:3]).inc()
    counters.latency.labels(environ["PATH_INFO"]).observe(elapsed)
    counters.cache_hits.inc()
    query = environ.get("QUERY_STRING")
    app.extensions["ekg"].access_log.record(
        environ.get("REMOTE_ADDR"), time.time(), environ["REQUEST_METHOD"],
        environ["PATH_INFO"] + (f"?{query}" if query else ""), environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        int(status[:3]), size, elapsed)


def error(status: int, message: str, headers: dict | None = None) -> Response:
    """Plain-text errors, as Fuseki and Oxigraph give them: the parser's message, unchanged."""
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers)


def _error_handlers(app: Flask) -> None:
    """Every failure a view can meet, mapped to its status once."""

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        vary = {"Vary": "Accept"} if exc.kind == "not-acceptable" else None
        return error(STATUS.get(exc.kind, 400), exc.message, vary)

    @app.errorhandler(negotiation.NotAcceptable)
    def _not_acceptable(exc: negotiation.NotAcceptable) -> Response:
        return error(406, str(exc), {"Vary": "Accept"})

    @app.errorhandler(negotiation.UnknownFormat)
    def _unknown_format(exc: negotiation.UnknownFormat) -> Response:
        return error(400, str(exc))

    @app.errorhandler(CallTimeout)
    def _timeout(exc: CallTimeout) -> Response:
        metrics.current().timeouts.inc()
        return error(503, f"query timeout: {exc}", {"Retry-After": "30"})

    @app.errorhandler(Busy)
    def _busy(exc: Busy) -> Response:
        return error(503, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.errorhandler(WorkerFailed)
    def _failed(exc: WorkerFailed) -> Response:
        return error(500, f"the request failed: {exc}")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: HTTPException) -> Response:
        return error(413, f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes")


def local_path(iri: str) -> str:
    """Where this server serves a resource IRI: https://w3id.org/eurasia-kg/id/x → /id/x."""
    return "/id/" + iri[len(ID_BASE):] if iri.startswith(ID_BASE) else iri


def graph_name(iri: str) -> str:
    return iri[len(GRAPH_BASE):] if iri and iri.startswith(GRAPH_BASE) else (iri or "default")


def state() -> AppState:
    from flask import current_app

    return current_app.extensions["ekg"]
