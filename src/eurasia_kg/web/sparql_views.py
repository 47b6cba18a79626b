"""SPARQL 1.1 Protocol at /sparql (query) and /update (off unless a token is configured)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from werkzeug.datastructures import MultiDict

from .. import negotiation
from ..service import Answer, ServiceError
from ..workers import Busy, CallTimeout, WorkerFailed
from . import metrics, state

bp = Blueprint("sparql", __name__)
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"

STATUS = {"rejected": 400, "not-acceptable": 406, "not-found": 404}


def error(status: int, message: str) -> Response:
    """Plain-text errors, as Fuseki and Oxigraph give them: the parser's message, unchanged."""
    return Response(message + "\n", status=status, mimetype="text/plain")


def _one(values: list[str], name: str) -> str | None | Response:
    if len(values) > 1:
        return error(400, f"the '{name}' parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def _body_text() -> str | Response:
    """A direct POST body, which the protocol requires to be UTF-8."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8", "us-ascii"):
        return error(415, f"the body must be UTF-8 encoded, not {charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        return error(400, f"the body is not valid UTF-8: {exc}")


@dataclass
class Operation:
    """What a protocol request asks for, from any of its three forms (GET, form POST, direct POST)."""

    query: str | None = None
    update: str | None = None
    # The protocol's dataset: default-graph-uri/named-graph-uri for queries, using-… for updates.
    defaults: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    using: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)


def _parameters(values: MultiDict, operation: Operation) -> Response | None:
    for name in ("query", "update"):
        value = _one(values.getlist(name), name)
        if isinstance(value, Response):
            return value
        setattr(operation, name, value)
    return None


def _datasets(operation: Operation, *sources: MultiDict) -> Operation:
    for source in sources:
        operation.defaults += source.getlist("default-graph-uri")
        operation.named += source.getlist("named-graph-uri")
        operation.using += source.getlist("using-graph-uri")
        operation.using_named += source.getlist("using-named-graph-uri")
    return operation


def _request_operation() -> Operation | Response:
    """The operation of a /sparql or /update request, or the error response for a malformed one."""
    args = request.args
    operation = Operation()
    if request.method == "GET":
        refused = _parameters(args, operation)
        return refused or _datasets(operation, args)
    mimetype = request.mimetype
    if mimetype == FORM:
        if args.getlist("query") or args.getlist("update"):
            return error(400, "a form POST carries the query or update in its body, not in the URL")
        refused = _parameters(request.form, operation)
        return refused or _datasets(operation, request.form, args)
    if mimetype in (QUERY_BODY, UPDATE_BODY):
        if args.getlist("query") or args.getlist("update"):
            return error(400, "a direct POST carries the query or update in its body, not in the URL")
        text = _body_text()
        if isinstance(text, Response):
            return text
        if mimetype == QUERY_BODY:
            operation.query = text
        else:
            operation.update = text
        return _datasets(operation, args)
    return error(415, f"unsupported content type {mimetype or '(none)'!r}; use {FORM}, {QUERY_BODY} "
                 f"(queries) or {UPDATE_BODY} (updates, at /update)")


@bp.route("/sparql/", methods=["GET", "POST"])  # registered second, so url_for gives /sparql
@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    operation = _request_operation()
    if isinstance(operation, Response):
        return operation
    if operation.update is not None:
        return error(400, "SPARQL Update is not accepted at the query endpoint; send it to /update")
    if operation.query is None:
        if request.method == "GET" and set(request.args) <= {"format"}:
            return service_description()
        return error(400, "missing 'query' parameter")
    if operation.using or operation.using_named:
        return error(400, "using-graph-uri and using-named-graph-uri are update parameters; "
                     "a query takes default-graph-uri and named-graph-uri")
    return run_query(operation.query, operation.defaults, operation.named)


def run_query(query: str, defaults: list[str], named: list[str]) -> Response:
    app_state = state()
    accept = request.headers.get("Accept")
    format_param = tuple(request.args.getlist("format"))
    every_format = negotiation.RESULT_FORMATS + negotiation.GRAPH_FORMATS
    try:  # refuse an unmeetable Accept before running the query
        negotiation.negotiate(accept, every_format, format_param)
    except negotiation.NotAcceptable:
        return error(406, "no acceptable format; SPARQL results are available as "
                     + ", ".join(sorted({f.media_type for f in every_format})))
    base_iri = request.base_url
    key = ("sparql", query, accept, format_param, tuple(defaults), tuple(named), base_iri)
    etag = app_state.etag_for(*key)
    cacheable = request.method in ("GET", "HEAD")
    if cacheable and etag_matches(etag):
        return _not_modified(etag)
    cached = app_state.cache.get(key)
    if cached is not None:
        metrics.current().cache_hits.inc()
        answer = cached
    else:
        try:
            answer = app_state.pool.call("query", query, accept, format_param, defaults or None, named or None,
                                         base_iri=base_iri, timeout=app_state.settings.query_timeout)
        except ServiceError as exc:
            return error(STATUS[exc.kind], exc.message)
        except CallTimeout as exc:
            metrics.current().timeouts.inc()
            return error(503, f"query timeout: {exc}")
        except Busy as exc:
            return error(503, str(exc))
        except WorkerFailed as exc:
            return error(500, f"query failed: {exc}")
        app_state.cache.put(key, answer)
    return _respond(answer, etag, cacheable, query)


def _respond(answer: Answer, etag: str, cacheable: bool, query: str) -> Response:
    app_state = state()
    if answer.format_key == "html":
        body = render_template("results.html", result=answer.html, query=query,
                               formats=_download_formats(answer.html["kind"]))
        response = Response(body, mimetype="text/html")
    else:
        response = Response(answer.body, mimetype=answer.media_type)
    response.headers["Vary"] = "Accept"
    if answer.truncated:
        response.headers["X-Result-Truncated"] = f"true; limit={app_state.settings.max_rows}"
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = app_state.last_modified_http
    response.headers["Cache-Control"] = "public, max-age=60" if cacheable else "no-store"
    return response


def etag_matches(etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (a quoted tag, as sent in ETag), by weak comparison (RFC 9110)."""
    return request.if_none_match.contains_weak(etag.strip('"'))


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = etag
    response.headers["Vary"] = "Accept"
    response.headers["Last-Modified"] = state().last_modified_http
    return response


def _download_formats(kind: str) -> list[negotiation.Format]:
    formats = negotiation.GRAPH_FORMATS if kind == "graph" else negotiation.RESULT_FORMATS
    return [f for f in formats if f.key != "html"]


def service_description() -> Response:
    """A W3C SPARQL 1.1 Service Description of this endpoint, in the negotiated RDF format."""
    app_state = state()
    accept = request.headers.get("Accept") or ""
    try:
        fmt = negotiation.negotiate(accept, negotiation.GRAPH_FORMATS, request.args.getlist("format"))
    except negotiation.NotAcceptable as exc:
        return error(406, str(exc))
    if fmt.key == "html":
        return redirect(url_for("ui.index"))
    graph = Graph()
    graph.bind("sd", SD)
    service = URIRef(request.base_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if app_state.settings.update_token:  # updates have their own endpoint, described beside this one
        update_service = URIRef(url_for("sparql.update", _external=True))
        graph.add((update_service, RDF.type, SD.Service))
        graph.add((update_service, SD.endpoint, update_service))
        graph.add((update_service, SD.supportedLanguage, SD.SPARQL11Update))
    for f in negotiation.RESULT_FORMATS + negotiation.GRAPH_FORMATS:
        if f.key != "html":
            graph.add((service, SD.resultFormat, URIRef(_format_iri(f))))
    if app_state.settings.union_default_graph:
        graph.add((service, SD.feature, SD.UnionDefaultGraph))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode()
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((service, URIRef("http://purl.org/dc/terms/description"),
               Literal("SPARQL endpoint of eurasia-kg; the default graph is the union of the named graphs"
                       if app_state.settings.union_default_graph else "SPARQL endpoint of eurasia-kg", lang="en")))
    body = graph.serialize(format=fmt.engine_name, encoding="utf-8")
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


def _format_iri(fmt: negotiation.Format) -> str:
    known = {
        "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
        "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
        "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
        "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
        "ttl": "http://www.w3.org/ns/formats/Turtle",
        "nt": "http://www.w3.org/ns/formats/N-Triples",
        "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
        "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
        "trig": "http://www.w3.org/ns/formats/TriG",
    }
    return known[fmt.key]


@bp.route("/update", methods=["GET", "POST"])
def update() -> Response:
    token = state().settings.update_token
    if not token:
        return error(404, "SPARQL Update is turned off on this server (no update token is configured)")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), f"Bearer {token}".encode()):  # bytes: any header
        response = error(401, "SPARQL Update needs 'Authorization: Bearer <token>'")
        response.headers["WWW-Authenticate"] = 'Bearer realm="eurasia-kg update"'
        return response
    if request.method != "POST":
        return error(405, "send SPARQL Update with POST")
    operation = _request_operation()
    if isinstance(operation, Response):
        return operation
    if operation.query is not None:
        return error(400, "a query is not accepted at the update endpoint; send it to /sparql")
    if not operation.update:
        return error(400, "missing 'update' parameter")
    if operation.defaults or operation.named:
        return error(400, "default-graph-uri and named-graph-uri are query parameters; "
                     "an update takes using-graph-uri and using-named-graph-uri")
    app_state = state()
    try:
        app_state.pool.call("update_dataset", operation.update, timeout=app_state.settings.query_timeout,
                            base_iri=request.base_url, using=operation.using, using_named=operation.using_named)
    except ServiceError as exc:
        return error(403 if exc.kind == "forbidden" else STATUS.get(exc.kind, 400), exc.message)
    except CallTimeout as exc:
        metrics.current().timeouts.inc()
        return error(503, f"update timeout: {exc}")
    except Busy as exc:
        return error(503, str(exc))
    except WorkerFailed as exc:
        return error(500, f"update failed: {exc}")
    app_state.observe()  # the update is published: drop answers computed before it
    return Response(status=204)


@bp.app_errorhandler(413)
def too_large(_exc) -> Response:
    return error(413, f"the request body is larger than {state().settings.max_body} bytes")


def not_found_json(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 404
    return response


__all__ = ["bp", "abort"]
