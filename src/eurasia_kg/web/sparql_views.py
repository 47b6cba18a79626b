"""SPARQL 1.1 Protocol at /sparql (query) and /update (off unless a token is configured)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from .. import negotiation
from ..service import Answer
from ..sparql import write_graph
from . import STATUS, error, state
from .front import CACHEABLE

bp = Blueprint("sparql", __name__)
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"

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
    if request.method in ("GET", "HEAD"):
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
        if request.method in ("GET", "HEAD") and set(request.args) <= {"format"}:
            return service_description()
        return error(400, "missing 'query' parameter")
    if operation.using or operation.using_named:
        return error(400, "using-graph-uri and using-named-graph-uri are update parameters; "
                     "a query takes default-graph-uri and named-graph-uri")
    return run_query(operation.query, operation.defaults, operation.named)


def run_query(query: str, defaults: list[str], named: list[str]) -> Response:
    """The one query path: negotiate once, answer from a worker, write the response (which the front
    cache, web.front.FrontCache, may then replay)."""
    app_state = state()
    accept = request.headers.get("Accept")
    format_param = tuple(request.args.getlist("format"))
    negotiation.check_format_values(format_param, negotiation.RESULT_FORMATS, negotiation.GRAPH_FORMATS)
    # Negotiated here, once: the worker writes the form it finds (results or a graph) in its format.
    result_format = negotiation.negotiate_or_none(accept, negotiation.RESULT_FORMATS, format_param)
    graph_format = negotiation.negotiate_or_none(accept, negotiation.GRAPH_FORMATS, format_param)
    if result_format is None and graph_format is None:
        raise negotiation.NotAcceptable(tuple({f.media_type: f for f in negotiation.RESULT_FORMATS
                                               + negotiation.GRAPH_FORMATS}.values()))
    formats = (result_format.key if result_format else None, graph_format.key if graph_format else None)
    base_iri = _base_url()
    key = ("sparql", query, formats, tuple(defaults), tuple(named), base_iri)
    etag = app_state.etag_for(*key)
    cacheable = request.method in ("GET", "HEAD")
    if cacheable and etag_matches(etag):
        return _not_modified(etag)
    answer = app_state.call("query", query, *formats, defaults or None, named or None, base_iri=base_iri)
    if cacheable and answer.format_key != "html":
        request.environ[CACHEABLE] = True  # the front cache may replay it to the same request
    return _respond(answer, etag, cacheable, query)


def _base_url() -> str:
    """The endpoint's URL, the base of relative IRIs in a query: request.base_url without werkzeug's
    IRI decoding of the path, which is ours and plain ASCII."""
    environ = request.environ
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{request.path}"


def _respond(answer: Answer, etag: str, cacheable: bool, query: str) -> Response:
    app_state = state()
    if answer.format_key == "html":
        body = render_template("results.html", result=answer.html, query=query,
                               formats=_download_formats(answer.html["kind"]))
        response = Response(body, mimetype="text/html")
    else:
        response = Response(answer.body, mimetype=answer.media_type)
    headers = response.headers
    headers["Vary"] = "Accept"
    if answer.truncated:
        headers["X-Result-Truncated"] = f"true; limit={app_state.settings.max_rows}"
    headers["ETag"] = etag
    headers["Last-Modified"] = app_state.last_modified_http
    headers["Cache-Control"] = "public, max-age=60" if cacheable else "no-store"
    return response


def etag_matches(etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (a quoted tag, as sent in ETag), by weak comparison (RFC 9110)."""
    return "If-None-Match" in request.headers and request.if_none_match.contains_weak(etag.strip('"'))


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = etag
    response.headers["Vary"] = "Accept"
    response.headers["Last-Modified"] = state().last_modified_http
    return response


def _download_formats(kind: str) -> list[negotiation.Format]:
    formats = negotiation.GRAPH_FORMATS if kind == "graph" else negotiation.RESULT_FORMATS
    return [f for f in formats if f.key != "html"]


SD_NS = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def service_description() -> Response:
    """A W3C SPARQL 1.1 Service Description of this endpoint, in the negotiated RDF format."""
    app_state = state()
    format_param = request.args.getlist("format")
    negotiation.check_format_values(format_param, negotiation.GRAPH_FORMATS, negotiation.RESULT_FORMATS)
    fmt = negotiation.negotiate(request.headers.get("Accept") or "", negotiation.GRAPH_FORMATS, format_param)
    if fmt.key == "html":
        return redirect(url_for("ui.index"))

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD_NS + name)

    service = ox.NamedNode(request.base_url)
    triples = [ox.Triple(service, RDF_TYPE, sd("Service")), ox.Triple(service, sd("endpoint"), service),
               ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query"))]
    if app_state.settings.update_token:  # updates have their own endpoint, described beside this one
        update_service = ox.NamedNode(url_for("sparql.update", _external=True))
        triples += [ox.Triple(update_service, RDF_TYPE, sd("Service")),
                    ox.Triple(update_service, sd("endpoint"), update_service),
                    ox.Triple(update_service, sd("supportedLanguage"), sd("SPARQL11Update"))]
    for f in negotiation.RESULT_FORMATS + negotiation.GRAPH_FORMATS:
        if f.key != "html":
            triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(_format_iri(f))))
    if app_state.settings.union_default_graph:
        triples.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples += [ox.Triple(service, sd("defaultDataset"), dataset), ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
                ox.Triple(dataset, sd("defaultGraph"), default_graph),
                ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
                ox.Triple(service, ox.NamedNode("http://purl.org/dc/terms/description"),
                          ox.Literal("SPARQL endpoint of eurasia-kg; the default graph is the union of the named "
                                     "graphs" if app_state.settings.union_default_graph
                                     else "SPARQL endpoint of eurasia-kg", language="en"))]
    response = Response(write_graph(triples, fmt.key), mimetype=fmt.media_type)
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
    app_state.call("update_dataset", operation.update, base_iri=_base_url(), using=operation.using,
                   using_named=operation.using_named)
    app_state.observe()  # the update is published: drop answers computed before it
    return Response(status=204)


def not_found_json(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 404
    return response


__all__ = ["bp", "abort", "error", "STATUS"]
