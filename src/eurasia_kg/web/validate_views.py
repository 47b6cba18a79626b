"""POST /validate: SHACL validation of the caller's own RDF against the project's shapes."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request
from rdflib import Graph

from .. import loader, negotiation, validation
from . import state
from .sparql_views import error

bp = Blueprint("validate", __name__)

# Request content type -> file extension the loader knows.
CONTENT_TYPES = {
    "text/turtle": ".ttl", "application/x-turtle": ".ttl", "application/n-triples": ".nt", "text/plain": ".nt",
    "application/n-quads": ".nq", "application/trig": ".trig", "application/ld+json": ".jsonld",
    "application/rdf+xml": ".rdf", "text/n3": ".n3",
}
REPORT_FORMATS = (
    negotiation.Format("ttl", "text/turtle", "turtle", ".ttl"),
    negotiation.Format("json", "application/json", "json", ".json"),
    negotiation.Format("html", "text/html", "html", ".html"),
)


def _parse_error(fmt: negotiation.Format, exc: loader.DataFileError) -> Response:
    """400 naming the line (and column) of the parse error, as JSON for JSON clients, else plain text."""
    where = ""
    if exc.line is not None:
        where = f"line {exc.line}" + (f", column {exc.column}" if exc.column is not None else "") + ": "
    message = f"cannot parse the data: {where}{exc.message}"
    if fmt.key == "json":
        response = jsonify({"error": message, "line": exc.line, "column": exc.column})
        response.status_code = 400
        return response
    return error(400, message)


@bp.get("/validate")
def validate_form() -> Response:
    return Response(render_template("validate.html", result=None), mimetype="text/html")


@bp.post("/validate")
def validate() -> Response:
    try:
        fmt = negotiation.negotiate(request.headers.get("Accept"), REPORT_FORMATS, request.args.get("output"))
    except negotiation.NotAcceptable as exc:
        return error(406, str(exc))
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("file")
        data = upload.read() if upload else request.form.get("data", "").encode()
        name = Path(upload.filename).name if upload and upload.filename else "data.ttl"
        declared = request.form.get("format")
    else:
        data, declared = request.get_data(), request.args.get("format")
        extension = CONTENT_TYPES.get(request.mimetype)
        if extension is None and not declared:
            return error(415, f"unsupported content type {request.mimetype or '(none)'!r}; use one of "
                         + ", ".join(sorted(CONTENT_TYPES)) + ", or give ?format=")
        name = f"request-body{extension or ''}"
    graph = Graph()
    # Anchored at the root, so that relative IRIs in the data do not resolve against the server's directory.
    path = Path("/") / name
    try:
        rdflib_fmt, ox_fmt = loader.format_of(path, declared)
        loader.parse_bytes(graph, data, path, rdflib_fmt, ox_fmt)
    except loader.DataFileError as exc:
        return _parse_error(fmt, exc)
    app_state = state()
    result = validation.validate(graph, app_state.shapes, app_state.ontology)
    if fmt.key == "json":
        return jsonify({"conforms": result.conforms, "violations": result.violations,
                        "results": [f.__dict__ for f in result.findings]})
    if fmt.key == "html":
        return Response(render_template("validate.html", result=result), mimetype="text/html")
    return Response(result.report.serialize(format="turtle", encoding="utf-8"), mimetype="text/turtle")
