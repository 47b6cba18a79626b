"""Linked Data: every /id/… IRI, the ontology namespace, VoID, the JSON-LD context and the downloads."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, send_from_directory, url_for
from rdflib import Graph

from .. import jsonld, negotiation, ontology_doc, sparql
from ..config import ID_BASE, ONTOLOGY_NS
from ..service import ServiceError
from ..workers import Busy, CallTimeout, WorkerFailed
from . import state
from .sparql_views import STATUS, error, etag_matches

bp = Blueprint("resources", __name__)
RDF_SUFFIXES = {f.suffix: f for f in negotiation.GRAPH_FORMATS if f.key != "html"}
IDENTIFIER_EVIDENCE = ONTOLOGY_NS + "identifierEvidence"


def _call(method: str, *args):
    app_state = state()
    return app_state.call(method, *args)


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    suffix = Path(rest).suffix
    if suffix in RDF_SUFFIXES:
        fmt = RDF_SUFFIXES[suffix]
        rest = rest[: -len(suffix)]
    else:
        try:
            fmt = negotiation.negotiate(request.headers.get("Accept"), negotiation.GRAPH_FORMATS,
                                        request.args.get("format"))
        except negotiation.NotAcceptable as exc:
            return error(406, str(exc))
        if not request.headers.get("Accept") and not request.args.get("format"):
            fmt = negotiation.by_key(negotiation.GRAPH_FORMATS, "html")
    iri = ID_BASE + rest
    etag = state().etag_for("resource", iri, fmt.key)
    if etag_matches(etag):
        return Response(status=304, headers={"ETag": etag, "Vary": "Accept",
                                             "Last-Modified": state().last_modified_http})
    try:
        if fmt.key == "html":
            view = present(_call("describe", iri))
            response = Response(render_template("resource.html", r=view), mimetype="text/html")
        elif fmt.key == "jsonld":
            answer = _call("describe_rdf", iri, "nt")
            response = Response(_compact(Graph().parse(data=answer.body, format="nt")), mimetype=jsonld.MEDIA_TYPE)
        else:
            answer = _call("describe_rdf", iri, fmt.key)
            response = Response(answer.body, mimetype=answer.media_type)
    except ServiceError as exc:
        if exc.kind == "not-found" and fmt.key == "html":
            return Response(render_template("not_found.html", iri=iri), status=404, mimetype="text/html")
        return error(STATUS.get(exc.kind, 400), exc.message)
    except (CallTimeout, Busy) as exc:
        return error(503, str(exc))
    except WorkerFailed as exc:
        return error(500, str(exc))
    response.headers.update({"Vary": "Accept", "ETag": etag, "Last-Modified": state().last_modified_http,
                             "Cache-Control": "public, max-age=300"})
    return response


def present(view: dict) -> dict:
    """The resource page's view of what the service describes: each quote once, with the facts it
    supports; how the external identifiers were checked, as their provenance."""
    quotes: dict[str, dict] = {}
    for row in view["quotes"]:
        entry = quotes.setdefault(" ".join(row["exact"].split()), {"quote": row["quote"], "exact": row["exact"],
                                                                   "facts": []})
        if row["fact"] is not None and row["fact"]["value"] not in {f["value"] for f in entry["facts"]}:
            entry["facts"].append(row["fact"])
    evidence = [s["object"] for s in view["statements"] if s["predicate"]["value"] == IDENTIFIER_EVIDENCE]
    statements = [s for s in view["statements"] if s["predicate"]["value"] != IDENTIFIER_EVIDENCE]
    return {**view, "quotes": list(quotes.values()), "statements": statements, "identifier_evidence": evidence}


def _compact(graph: Graph) -> bytes:
    """Compact JSON-LD, its context referred to where this server publishes it."""
    return jsonld.compact(graph, url_for("resources.context", _external=True))


def _dist_file(name: str) -> Path:
    path = state().settings.dist_dir / name
    if not path.is_file():
        abort(404)
    return path


def _rdf_document(path: Path, default_key: str = "ttl") -> Response:
    """Serve a built RDF file in the negotiated format, converting with pyoxigraph when needed (its
    triples are the default graph of a TriG answer)."""
    try:
        fmt = negotiation.negotiate(request.headers.get("Accept"), negotiation.GRAPH_FORMATS,
                                    request.args.get("format"), html=False)
    except negotiation.NotAcceptable as exc:
        return error(406, str(exc))
    if fmt.key == default_key:
        response = Response(path.read_bytes(), mimetype=fmt.media_type)
    elif fmt.key == "jsonld":
        response = Response(_compact(Graph().parse(path)), mimetype=jsonld.MEDIA_TYPE)
    else:
        triples = [quad.triple for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        response = Response(sparql.write_graph(triples, fmt.key), mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/ontology")
def ontology() -> Response:
    """The ontology: a page for browsers (in the site's layout), any RDF format by negotiation."""
    accept = request.headers.get("Accept")
    try:
        fmt = negotiation.negotiate(accept, negotiation.GRAPH_FORMATS, request.args.get("format"))
    except negotiation.NotAcceptable as exc:
        return error(406, str(exc))
    if fmt.key == "html" or not accept:
        graph = state().ontology
        version = ontology_doc.version_path(graph)
        version_url = url_for("resources.ontology_version", version=version) if version else None
        body = render_template("ontology.html", o=ontology_doc.describe(graph), version_url=version_url)
        response = Response(body, mimetype="text/html")
        response.headers["Vary"] = "Accept"
        return response
    return _rdf_document(_dist_file("ontology.ttl"))


@bp.get("/ontology/<path:version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (owl:versionIRI, …/ontology/0.1.0) resolves here to the ontology,
    as long as the version served is that one."""
    if version != ontology_doc.version_path(state().ontology):
        abort(404)
    return ontology()


@bp.get("/ontology.ttl")
def ontology_turtle() -> Response:
    return Response(_dist_file("ontology.ttl").read_bytes(), mimetype="text/turtle")


@bp.get(jsonld.CONTEXT_PATH)
def context() -> Response:
    """The JSON-LD context of every JSON-LD document here (generated from the project's prefixes)."""
    response = Response(jsonld.context_document(), mimetype=jsonld.MEDIA_TYPE)
    # JSON-LD processors in browsers fetch it from other origins.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/.well-known/void")
def void() -> Response:
    return _rdf_document(_dist_file("void.ttl"))


@bp.get("/download")
def downloads() -> Response:
    dist = state().settings.dist_dir
    files = [(p.name, p.stat().st_size) for p in sorted(dist.iterdir())
             if p.is_file() and not p.name.startswith(".")]
    return Response(render_template("download.html", files=files), mimetype="text/html")


@bp.get("/download/<name>")
def download(name: str) -> Response:
    if name.startswith("."):
        abort(404)
    response = send_from_directory(state().settings.dist_dir, name, as_attachment=False, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


__all__ = ["bp", "ServiceError"]
