"""The query UI at / (YASGUI, vendored) and the list of example queries."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template

from ..config import PREFIXES
from . import state

bp = Blueprint("ui", __name__)
HEADER = re.compile(r"^#\s*(title|description):\s*(.*)$")


def example_queries(queries_dir: Path) -> list[dict]:
    """The competency queries, with the title and description from their header comments."""
    examples = []
    for path in sorted(queries_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta = {"name": path.stem, "title": path.stem, "description": ""}
        for line in text.splitlines():
            match = HEADER.match(line)
            if match:
                meta[match.group(1)] = match.group(2).strip()
        meta["query"] = text
        examples.append(meta)
    return examples


@bp.get("/")
def index() -> Response:
    examples = example_queries(state().settings.queries_dir)
    return Response(render_template("index.html", examples=examples, prefixes=PREFIXES), mimetype="text/html")


@bp.get("/examples.json")
def examples_json() -> Response:
    return jsonify(example_queries(state().settings.queries_dir))
