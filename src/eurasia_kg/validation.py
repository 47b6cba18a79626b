"""SHACL validation with pySHACL, and the exit codes of pySHACL (0 conforms, 1 does not, 2 error)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from .loader import parse_into, rdf_files

SH = Namespace("http://www.w3.org/ns/shacl#")

EXIT_CONFORMS = 0
EXIT_DOES_NOT_CONFORM = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class Finding:
    severity: str
    focus: str
    path: str | None
    message: str
    shape: str


@dataclass
class ValidationResult:
    conforms: bool
    report: Graph
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)

    @property
    def violations(self) -> int:
        return self.counts.get("Violation", 0)

    @property
    def exit_code(self) -> int:
        return EXIT_CONFORMS if self.conforms else EXIT_DOES_NOT_CONFORM

    def summary(self) -> str:
        lines = [f"Conforms: {self.conforms}  "
                 + "  ".join(f"{k}s: {self.counts.get(k, 0)}" for k in ("Violation", "Warning", "Info"))]
        for f in sorted(self.findings, key=lambda f: (f.severity, f.focus, f.message)):
            where = f" ({f.path})" if f.path else ""
            lines.append(f"  [{f.severity}] {f.focus}{where}: {f.message}  <{f.shape}>")
        return "\n".join(lines)


def load_shapes(shapes_dir: Path) -> Graph:
    shapes = Graph()
    for path in rdf_files(shapes_dir):
        parse_into(shapes, path)
    return shapes


def validate(data: Graph, shapes: Graph, ontology: Graph | None = None) -> ValidationResult:
    """Validate ``data`` (with the ontology's class hierarchy) against ``shapes``.

    No RDFS/OWL inference is run first: a shape must not pass because the reasoner typed a
    node from a property's range.
    """
    if ontology is not None:
        combined = Graph()
        for graph in (data, ontology):
            for triple in graph:
                combined.add(triple)
        data = combined
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True,
        allow_warnings=True, abort_on_first=False, meta_shacl=False,
    )
    return ValidationResult(bool(conforms), report, list(findings_of(report)))


def findings_of(report: Graph):
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        path = report.value(result, SH.resultPath)
        yield Finding(
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            focus=str(report.value(result, SH.focusNode)),
            path=str(path) if path is not None else None,
            message=str(report.value(result, SH.resultMessage) or ""),
            shape=str(report.value(result, SH.sourceShape)),
        )
