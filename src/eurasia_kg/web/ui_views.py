"""The query UI at / (YASGUI, vendored under static/vendor/) and the example queries it offers.

Everything the page needs comes from this server: the YASGUI bundle, the examples (/examples.json) and the
prefixes (/prefixes.json, which YASGUI's prefix autocompleter reads instead of prefix.cc).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from .. import negotiation
from ..config import ID_BASE, ONTOLOGY_NS, PREFIXES
from . import state
from .network_views import CYTOSCAPE_JS

bp = Blueprint("ui", __name__)
HEADER = re.compile(r"^#\s*(title|description):\s*(.*)$")

# The vendored bundle: static/vendor/yasgui-<version>.min.{js,css} (see static/vendor/README.md).
YASGUI_VERSION = "4.6.2"
YASGUI_JS = f"vendor/yasgui-{YASGUI_VERSION}.min.js"
YASGUI_CSS = f"vendor/yasgui-{YASGUI_VERSION}.min.css"

LABELS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV", "ttl": "Turtle", "nt": "N-Triples",
          "jsonld": "JSON-LD", "rdfxml": "RDF/XML", "trig": "TriG"}
QUERY_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
IRI_OR_COMMENT = re.compile(r"<[^<>\s]*>|#[^\n]*")
# IRIs, strings and comments (skipped), or the prefix of a prefixed name (captured); ui.js has the same pattern.
TOKENS = re.compile(
    r"<[^<>\"{}|^`\\\s]*>"
    r'|"""[\s\S]*?"""' r"|'''[\s\S]*?'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r"|#[^\n]*"
    r"|(^|[^\w:?$.\-])([A-Za-z][\w\-]*(?:\.[\w\-]+)*)?:",
    re.ASCII,
)
DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w\-]*(?:\.[\w\-]+)*)?:", re.IGNORECASE | re.ASCII)
SPARQL_PATH = "/sparql"

DEFAULT_QUERY = """\
PREFIX ekg: <https://w3id.org/eurasia-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# The people in the graph, by name. The prefixes listed beside the editor are
# pre-declared: a query may use them without PREFIX lines.
SELECT ?person ?name
WHERE {
  ?person a ekg:Person ;
          rdfs:label ?name .
  FILTER (lang(?name) = "en")
}
ORDER BY ?name
"""


def download_formats() -> dict[str, list[dict]]:
    """The formats a result can be downloaded in: SELECT and ASK results, and CONSTRUCT and DESCRIBE graphs."""
    def listed(formats: tuple[negotiation.Format, ...]) -> list[dict]:
        return [{"key": f.key, "label": LABELS[f.key], "suffix": f.suffix} for f in formats if f.key != "html"]

    return {"results": listed(negotiation.RESULT_FORMATS), "graph": listed(negotiation.GRAPH_FORMATS)}


def query_kind(query: str) -> str:
    """Which download formats fit a query: 'graph' (CONSTRUCT, DESCRIBE) or 'results' (SELECT, ASK).

    A first guess for the page as served; in the browser, ui.js asks the editor's parser instead.
    """
    match = QUERY_FORM.search(IRI_OR_COMMENT.sub(" ", query))
    return "graph" if match and match.group(1).upper() in ("CONSTRUCT", "DESCRIBE") else "results"


def with_prefixes(query: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The query with a PREFIX line added for each pre-declared prefix it uses but does not declare."""
    declared = {m.group(1) or "" for m in DECLARED.finditer(query)}
    missing = []
    for match in TOKENS.finditer(query):
        name = match.group(2)
        if match.group(1) is not None and name is not None and name not in declared and name in prefixes:
            declared.add(name)
            missing.append(f"PREFIX {name}: <{prefixes[name]}>\n")
    return "".join(missing) + query


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
    query = request.args.get("query") or DEFAULT_QUERY
    formats = download_formats()
    config = {"prefixes": PREFIXES, "idBase": ID_BASE, "ontologyNs": ONTOLOGY_NS, "defaultQuery": DEFAULT_QUERY,
              "formats": formats, "cytoscapeJs": url_for("static", filename=CYTOSCAPE_JS)}
    body = render_template("index.html", examples=examples, prefixes=PREFIXES, query=query, ui_config=config,
                           prefixed_query=with_prefixes(query), formats=formats[query_kind(query)],
                           sparql_path=SPARQL_PATH, yasgui_js=YASGUI_JS, yasgui_css=YASGUI_CSS,
                           yasgui_version=YASGUI_VERSION)
    return Response(body, mimetype="text/html")


@bp.get("/examples.json")
def examples_json() -> Response:
    return jsonify(example_queries(state().settings.queries_dir))


@bp.get("/prefixes.json")
def prefixes_json() -> Response:
    """The pre-declared prefixes, in prefix.cc's format ({prefix: namespace}), for YASGUI's prefix completer."""
    return jsonify(PREFIXES)
