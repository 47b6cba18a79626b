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
    try:
        rdflib_fmt, ox_fmt = loader.format_of(Path(name), declared)
        loader.parse_bytes(graph, data, Path(name), rdflib_fmt, ox_fmt)
    except loader.DataFileError as exc:
        return error(400, f"cannot parse the data: {exc}")
    app_state = state()
    result = validation.validate(graph, app_state.shapes, app_state.ontology)
    if fmt.key == "json":
        return jsonify({"conforms": result.conforms, "violations": result.violations,
                        "results": [f.__dict__ for f in result.findings]})
    if fmt.key == "html":
        return Response(render_template("validate.html", result=result), mimetype="text/html")
    return Response(result.report.serialize(format="turtle", encoding="utf-8"), mimetype="text/turtle")
