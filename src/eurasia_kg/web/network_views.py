"""The who-met-whom network on the web: the page at /network and its JSON API under /network/….

- ``GET /network`` — the interactive graph (cytoscape.js, vendored under static/vendor/).
- ``GET /network/graph.json`` — nodes and edges for the filters (``edges``, ``from``, ``to``,
  ``iranian-year``, ``unnamed``, ``institutions``, ``interpretations``, ``weight``) with each node's
  value of ``measure``; every edge carries its events, their dates and the quotes behind them.
- ``GET /network/export.<gexf|graphml|cytoscape|csv|json>`` — the same network as a download.
- ``GET /network/neighbourhood.json?node=<IRI>`` — a person's neighbourhood (``radius``, default 1).
- ``GET /network/edge.json?source=<IRI>&target=<IRI>`` — one link with its events (large graphs send
  lean links; the page asks for a link's events when it is picked).
- ``GET /network/timeline.json?period=<month|quarter|year|iranian-year>`` — the network window by window,
  each node's value of ``measure`` in each window (the page's time slider).
- ``GET /network/person-timeline.<png|svg>?node=<IRI>`` — a figure of the node's ``measure`` over time.

Above ``network_service.LARGE_GRAPH`` nodes the page draws with sigma.js and graphology (WebGL, vendored).

The network is built in a query worker by ``eurasia_kg.network_service`` (through
``KnowledgeService.network``) from the SPARQL queries in queries/network/, exactly as
``eurasia-kg network`` builds it. Bad input is a 400 whose message lists the accepted values.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from .. import network as N
from .. import network_service
from ..config import ID_BASE
from ..service import ServiceError
from ..workers import Busy, CallTimeout, WorkerFailed
from . import state
from .sparql_views import STATUS, error, etag_matches

bp = Blueprint("network", __name__)

# The vendored bundles: static/vendor/<name>-<version>.min.js (see static/vendor/README.md).
CYTOSCAPE_VERSION = "3.34.4"
CYTOSCAPE_JS = f"vendor/cytoscape-{CYTOSCAPE_VERSION}.min.js"
SIGMA_JS = "vendor/sigma-3.0.3.min.js"
GRAPHOLOGY_JS = "vendor/graphology-0.26.0.umd.min.js"


@bp.app_context_processor
def _cytoscape() -> dict:
    """Every template may load the bundle (resource pages draw a person's neighbourhood)."""
    return {"cytoscape_js": CYTOSCAPE_JS, "ekg_id_base": ID_BASE}


def _params() -> dict:
    """The query string as plain values; a repeated ``edges`` (from a form's checkboxes) is joined."""
    params: dict = {}
    for key in request.args:
        values = request.args.getlist(key)
        params[key] = ",".join(values) if key == "edges" else values[-1]
    return params


def _call(function: str, params: dict, key: tuple):
    """Run a network_service function in a worker, through the response cache; an error is a Response."""
    app_state = state()
    cached = app_state.cache.get(key)
    if cached is not None:
        return cached
    params = {**params, "queries_dir": str(app_state.settings.queries_dir / "network")}
    try:
        answer = app_state.call("network", function, params)
    except ServiceError as exc:
        return error(STATUS.get(exc.kind, 400), exc.message)
    except (CallTimeout, Busy) as exc:
        return error(503, str(exc))
    except WorkerFailed as exc:
        return error(500, f"the network could not be built: {exc}")
    app_state.cache.put(key, answer)
    return answer


def _answer(function: str, params: dict):
    """(answer or error Response, ETag)."""
    key = ("network", function, tuple(sorted(params.items())))
    etag = state().etag_for(*key)
    if etag_matches(etag):
        return Response(status=304, headers={"ETag": etag}), etag
    return _call(function, params, key), etag


def _cached_headers(response: Response, etag: str) -> Response:
    if response.status_code == 200:
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = state().last_modified_http
        response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/network")
def page() -> Response:
    return Response(render_template("network.html", measures=N.MEASURES, edge_kinds=N.EDGE_KINDS,
                                    default_measure=network_service.DEFAULT_MEASURE, periods=N.PERIODS,
                                    export_formats=N.EXPORT_FORMATS, sigma_js=SIGMA_JS,
                                    graphology_js=GRAPHOLOGY_JS), mimetype="text/html")


@bp.get("/network/graph.json")
def graph_json() -> Response:
    answer, etag = _answer("network_json", _params())
    if isinstance(answer, Response):
        return answer
    return _cached_headers(jsonify(answer), etag)


@bp.get("/network/neighbourhood.json")
def neighbourhood() -> Response:
    answer, etag = _answer("neighbourhood_json", _params())
    if isinstance(answer, Response):
        return answer
    return _cached_headers(jsonify(answer), etag)


@bp.get("/network/edge.json")
def edge() -> Response:
    answer, etag = _answer("edge_json", _params())
    if isinstance(answer, Response):
        return answer
    return _cached_headers(jsonify(answer), etag)


@bp.get("/network/timeline.json")
def timeline() -> Response:
    answer, etag = _answer("network_timeline", _params())
    if isinstance(answer, Response):
        return answer
    return _cached_headers(jsonify(answer), etag)


@bp.get("/network/person-timeline.<fmt>")
def person_timeline(fmt: str) -> Response:
    if fmt not in network_service.PLOT_MEDIA_TYPES:
        return error(400, f"unknown figure format {fmt!r}; accepted: {', '.join(network_service.PLOT_MEDIA_TYPES)}")
    answer, etag = _answer("person_timeline", {**_params(), "format": fmt})
    if isinstance(answer, Response):
        return answer
    return _cached_headers(Response(answer["body"], mimetype=answer["media_type"]), etag)


@bp.get("/network/export.<fmt>")
def export(fmt: str) -> Response:
    if fmt not in N.EXPORT_FORMATS:
        return error(400, f"unknown export format {fmt!r}; accepted: {', '.join(N.EXPORT_FORMATS)}")
    answer, etag = _answer("network_export", {**_params(), "format": fmt})
    if isinstance(answer, Response):
        return answer
    response = Response(answer["body"], mimetype=answer["media_type"].split(";")[0])
    if "charset" in answer["media_type"]:
        response.headers["Content-Type"] = answer["media_type"]
    response.headers["Content-Disposition"] = f'attachment; filename="{answer["filename"]}"'
    return _cached_headers(response, etag)


__all__ = ["bp", "CYTOSCAPE_JS"]
