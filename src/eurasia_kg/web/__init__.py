"""The web layer: a Flask application factory and one blueprint per concern.

Views translate HTTP into calls on the knowledge service (run in worker processes) and back;
they hold no query logic.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS
from rdflib import Graph

from .. import __version__, loader, validation
from .. import dataset as dataset_module
from ..config import GRAPH_BASE, ID_BASE, Settings
from ..dataset import Dataset
from ..workers import WorkerPool
from . import metrics

access_log = logging.getLogger("eurasia_kg.access")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
       "form-action 'self'")
CORS_ROUTES = [r"/sparql", r"/id/*", r"/download/*", r"/.well-known/*", r"/validate", r"/ontology*",
               r"/network/*"]


class ResponseCache:
    """A small LRU of finished responses, keyed by everything that decides the bytes."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        return None

    def put(self, key: tuple, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass
class AppState:
    settings: Settings
    pool: WorkerPool
    cache: ResponseCache
    data_version: str
    last_modified: float
    shapes: Graph
    ontology: Graph
    dataset: Dataset | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def etag_base(self) -> str:
        return self.data_version

    def observe(self) -> None:
        """Notice a change of the store (a merge, a removal, a rebuild, an update) since the last
        request: new ETags, and no cached answer from before it. A file read on the embedded store."""
        if self.dataset is None or self.dataset.kind != "embedded":
            return
        version = self.dataset.generation()
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
                version = app_state.dataset.generation()
                if version != app_state.data_version:
                    with app_state.lock:
                        app_state.cache.clear()
                        app_state.data_version, app_state.last_modified = version, time.time()
            else:
                app_state.observe()
            failing = ""
        except Exception as exc:  # keep watching: retried on the next tick; said once, not every second
            if str(exc) != failing:
                failing = str(exc)
                log.warning("could not bring the server up to date with the store (%s); retrying", exc)


def _load_validation_inputs(settings: Settings) -> tuple[Graph, Graph]:
    shapes = validation.load_shapes(settings.shapes_dir)
    ontology = Graph()
    built = settings.dist_dir / "ontology.ttl"
    for path in [built] if built.is_file() else loader.rdf_files(settings.ontology_dir):
        loader.parse_into(ontology, path)
    return shapes, ontology


def create_app(config: Settings | dict | None = None) -> Flask:
    """The application. ``config`` is a Settings, or a dict of overrides for Settings.from_env()."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.config["SETTINGS"] = settings
    app.json.sort_keys = False

    data = dataset_module.open_dataset(settings)  # the one dataset, synced with dist/ first
    version, modified = data.generation(), time.time()
    pool = WorkerPool({
        "dist": settings.dist_dir, "engine": settings.engine,
        "union_default_graph": settings.union_default_graph,
        "max_rows": settings.max_rows, "max_query_length": settings.max_query_length,
        "service_allowlist": tuple(settings.service_allowlist),
        "store": settings.remote_store or str(settings.store_dir), "store_auth": settings.store_auth,
    }, size=settings.workers)
    shapes, ontology = _load_validation_inputs(settings)
    app_state = AppState(settings, pool, ResponseCache(settings.cache_size), version, modified, shapes, ontology,
                         data)
    app.extensions["ekg"] = app_state
    threading.Thread(target=_watch, args=(app_state, settings), daemon=True, name="store-watch").start()

    app.add_template_filter(local_path)
    app.add_template_filter(graph_name)

    CORS(app, resources={route: {"origins": "*"} for route in CORS_ROUTES},
         expose_headers=["ETag", "Last-Modified", "X-Result-Truncated"])
    metrics.install(app)

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
        _log_access(response)
        return response

    @app.teardown_appcontext
    def _noop(_exc: BaseException | None) -> None:
        return None

    return app


def local_path(iri: str) -> str:
    """Where this server serves a resource IRI: https://w3id.org/eurasia-kg/id/x → /id/x."""
    return "/id/" + iri[len(ID_BASE):] if iri.startswith(ID_BASE) else iri


def graph_name(iri: str) -> str:
    return iri[len(GRAPH_BASE):] if iri and iri.startswith(GRAPH_BASE) else (iri or "default")


def _log_access(response: Response) -> None:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    access_log.info('%s - - [%s] "%s %s %s" %s %s %.4f', request.remote_addr or "-",
                    time.strftime("%d/%b/%Y:%H:%M:%S %z"), request.method, request.full_path.rstrip("?"),
                    request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"), response.status_code,
                    response.calculate_content_length() or "-", elapsed)


def state() -> AppState:
    from flask import current_app

    return current_app.extensions["ekg"]
