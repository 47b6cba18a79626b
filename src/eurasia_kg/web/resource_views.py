"""Linked Data: every /id/… IRI, the ontology namespace, VoID and the downloads."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, send_from_directory

from .. import negotiation, sparql
from ..config import ID_BASE
from ..service import ServiceError
from ..workers import Busy, CallTimeout, WorkerFailed
from . import state
from .sparql_views import STATUS, error, etag_matches

bp = Blueprint("resources", __name__)
RDF_SUFFIXES = {f.suffix: f for f in negotiation.GRAPH_FORMATS if f.key != "html"}


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
            view = _call("describe", iri)
            response = Response(render_template("resource.html", r=view), mimetype="text/html")
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
    else:
        triples = [quad.triple for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        response = Response(sparql.write_graph(triples, fmt.key), mimetype=fmt.media_type)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/ontology")
def ontology() -> Response:
    accept = request.headers.get("Accept")
    try:
        fmt = negotiation.negotiate(accept, negotiation.GRAPH_FORMATS, request.args.get("format"))
    except negotiation.NotAcceptable as exc:
        return error(406, str(exc))
    if fmt.key == "html" or not accept:
        html = state().settings.dist_dir / "ontology.html"
        if html.is_file():
            response = Response(html.read_bytes(), mimetype="text/html")
            response.headers["Vary"] = "Accept"
            # pyLODE's page carries its own inline styles and scripts.
            response.headers["Content-Security-Policy"] = ("default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                           "script-src 'self' 'unsafe-inline'; img-src 'self' data:")
            return response
        fmt = negotiation.by_key(negotiation.GRAPH_FORMATS, "ttl")
    return _rdf_document(_dist_file("ontology.ttl"))


@bp.get("/ontology.ttl")
def ontology_turtle() -> Response:
    return Response(_dist_file("ontology.ttl").read_bytes(), mimetype="text/turtle")


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
