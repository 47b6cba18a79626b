"""POST /validate: SHACL validation of the caller's own RDF against the project's shapes.

The validation runs in a killable worker with a time and a memory limit (validation_service).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request

from .. import negotiation
from ..service import ServiceError
from ..workers import CallTimeout
from . import error, state

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


def _parse_error(fmt: negotiation.Format, found: dict) -> Response:
    """400 naming the line (and column) of the parse error, as JSON for JSON clients, else plain text."""
    line, column = found["line"], found["column"]
    where = ""
    if line is not None:
        where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
    message = f"cannot parse the data: {where}{found['parse_error']}"
    if fmt.key == "json":
        response = jsonify({"error": message, "line": line, "column": column})
        response.status_code = 400
        return response
    return error(400, message)


@bp.get("/validate")
def validate_form() -> Response:
    return Response(render_template("validate.html", result=None), mimetype="text/html")


@bp.post("/validate")
def validate() -> Response:
    fmt = negotiation.negotiate(request.headers.get("Accept"), REPORT_FORMATS, request.args.get("output"))
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
    app_state = state()
    settings = app_state.settings
    try:
        result = app_state.validator.call("validate", data, name, declared, fmt.key, client=request.remote_addr or "",
                                          timeout=settings.validate_timeout)
    except CallTimeout:
        return error(503, f"validation ran for more than {settings.validate_timeout:g} s and was stopped; "
                     "send less data at once", {"Retry-After": "30"})
    except ServiceError as exc:
        if exc.kind == "too-large":
            return error(413, f"validating this data needs more than the {settings.validate_memory // 1_000_000} MB "
                         "of memory the server allows; send less data at once")
        raise
    if "parse_error" in result:
        return _parse_error(fmt, result)
    if fmt.key == "json":
        return jsonify({"conforms": result["conforms"], "violations": result["violations"],
                        "results": result["findings"]})
    if fmt.key == "html":
        return Response(render_template("validate.html", result=result), mimetype="text/html")
    return Response(result["report"], mimetype="text/turtle")
