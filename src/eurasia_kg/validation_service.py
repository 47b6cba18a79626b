"""SHACL validation of a caller's data, run in a killable worker process with a memory limit.

pySHACL on a hostile upload can take minutes and gigabytes, so ``/validate`` never runs it in the
web process: the web layer calls ``ValidationService.validate`` through a ``workers.WorkerPool``
whose worker has an address-space limit (``MemoryError`` → 413) and is killed at the time limit
(→ 503). Knows nothing of HTTP; returns plain values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .service import ServiceError

# JSON strings (whose brackets are not structure) or a bracket: json and rdflib's JSON-LD parser
# recurse once per level, so the depth is measured before either sees the data.
_JSON_LEXEME = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(data: bytes) -> int:
    depth = deepest = 0
    for match in _JSON_LEXEME.finditer(data):
        lexeme = match.group()
        if lexeme in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif lexeme in (b"]", b"}"):
            depth = max(0, depth - 1)
    return deepest


@dataclass
class ValidationService:
    shapes_dir: Path
    ontology: Path  # the built ontology.ttl, or the directory of the ontology's sources
    max_depth: int = 100
    _inputs: Any = field(default=None, repr=False)

    CALLS = frozenset({"validate"})

    def _shapes_and_ontology(self):
        if self._inputs is None:
            from rdflib import Graph

            from . import loader, validation

            ontology = Graph()
            for path in [self.ontology] if self.ontology.is_file() else loader.rdf_files(self.ontology):
                loader.parse_into(ontology, path)
            self._inputs = (validation.load_shapes(self.shapes_dir), ontology)
        return self._inputs

    def validate(self, data: bytes, name: str, declared: str | None, report_format: str) -> dict:
        """The SHACL report of ``data`` (named ``name``, in the format its suffix or ``declared`` says):
        {"conforms", "violations", "findings", "report"}, the report in Turtle when ``report_format``
        is "ttl"; or {"parse_error", "line", "column"} when the data cannot be read."""
        from rdflib import Graph

        from . import loader, validation

        path = Path("/") / name  # anchored at the root: relative IRIs never resolve against the server's files
        try:
            rdflib_fmt, ox_fmt = loader.format_of(path, declared)
            depth = json_depth(data) if rdflib_fmt == "json-ld" else 0
            if depth > self.max_depth:
                raise ServiceError("rejected", f"the JSON-LD nests brackets {depth} levels deep; "
                                   f"the limit is {self.max_depth}")
            graph = Graph()
            loader.parse_bytes(graph, data, path, rdflib_fmt, ox_fmt)
        except loader.DataFileError as exc:
            return {"parse_error": exc.message, "line": exc.line, "column": exc.column}
        shapes, ontology = self._shapes_and_ontology()
        result = validation.validate(graph, shapes, ontology)
        return {"conforms": result.conforms, "violations": result.violations,
                "findings": [f.__dict__ for f in result.findings],
                "report": result.report.serialize(format="turtle", encoding="utf-8") if report_format == "ttl" else b""}
