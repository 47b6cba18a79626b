"""The SHACL shapes: each constraint fires on a broken fixture, valid fixtures pass, the real graph conforms.

Every file in ``fixtures/invalid/`` begins with a header of comment lines::

    # expect: <the exact sh:message of a constraint it must trigger>   (one or more)
    # shape: ekgsh:<Name>Shape                                          (the shape it tests)
    # severity: Warning                                                 (optional; default Violation)

A fixture must produce every expected message and no other: it tests one thing. A message
template such as ``{?end}`` matches whatever pySHACL substitutes for it. A fixture whose
severity is ``Warning`` tests a warning-only constraint, so that graph still conforms.

Fixtures are validated together with the ontology only (not with the real graph).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from eurasia_kg import calendars, validation
from eurasia_kg.loader import parse_into, rdf_files

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHAPES_DIR = ROOT / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
GRAPHS_DIR = ROOT / "graphs"

INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
BROKEN = FIXTURES / "broken" / "bad-syntax.ttl"

SH = Namespace("http://www.w3.org/ns/shacl#")
EKGSH = Namespace("https://w3id.org/eurasia-kg/shapes#")

HEADER_LINE = re.compile(r"#\s*(expect|shape|severity|error-line):\s*(.+?)\s*$")
TEMPLATE_VARIABLE = re.compile(r"\{[?$]\w+\}")


# --- Helpers -------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    expects: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()
    severity: str = "Violation"
    error_line: int | None = None


def read_header(path: Path) -> Header:
    """The ``# key: value`` lines of the comment block a fixture starts with."""
    values: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if match:
            values[match.group(1)].append(match.group(2))
    line_number = values.get("error-line")
    return Header(
        expects=tuple(values["expect"]),
        shapes=tuple(values["shape"]),
        severity=values["severity"][0] if values.get("severity") else "Violation",
        error_line=int(line_number[0]) if line_number else None,
    )


def message_pattern(message: str) -> re.Pattern[str]:
    """A message as a regular expression in which each ``{?var}`` matches what pySHACL puts there."""
    parts = TEMPLATE_VARIABLE.split(message)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def matches(expected: str, message: str) -> bool:
    return message_pattern(expected).fullmatch(message) is not None


def expand(name: str) -> URIRef:
    """``ekgsh:XShape`` as a full IRI."""
    prefix, _, local = name.partition(":")
    assert prefix == "ekgsh", f"shape {name!r} is not written as ekgsh:<Name>"
    return EKGSH[local]


def short(shape: URIRef) -> str:
    return "ekgsh:" + str(shape).removeprefix(str(EKGSH))


def load_dir(directory: Path, graph: Graph | None = None) -> Graph:
    graph = Graph() if graph is None else graph
    for path in rdf_files(directory):
        parse_into(graph, path)
    return graph


def load_file(path: Path) -> Graph:
    graph = Graph()
    parse_into(graph, path)
    return graph


@cache
def shapes_graph() -> Graph:
    return validation.load_shapes(SHAPES_DIR)


@cache
def ontology_graph() -> Graph:
    return load_dir(ONTOLOGY_DIR)


def node_shapes(shapes: Graph) -> list[URIRef]:
    return sorted(s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef))


def constraints(shapes: Graph) -> list[tuple[URIRef, object]]:
    """(node shape, constraint node) for every sh:property and sh:sparql of every node shape."""
    return [(shape, node) for shape in node_shapes(shapes)
            for prop in (SH.property, SH.sparql) for node in shapes.objects(shape, prop)]


def messages_by_shape(shapes: Graph) -> dict[str, set[URIRef]]:
    """Each constraint's English sh:message, mapped to the node shapes that carry it."""
    owners: dict[str, set[URIRef]] = defaultdict(set)
    for shape, node in constraints(shapes):
        for message in shapes.objects(node, SH.message):
            owners[str(message)].add(shape)
    return owners


def focus_nodes(shape: URIRef, shapes: Graph, data: Graph, ontology: Graph) -> set:
    """The focus nodes of a node shape: sh:targetClass with its subclasses, and sh:targetSubjectsOf."""
    nodes: set = set()
    for cls in shapes.objects(shape, SH.targetClass):
        for subclass in ontology.transitive_subjects(RDFS.subClassOf, cls):
            nodes.update(data.subjects(RDF.type, subclass))
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(data.subjects(prop, None))
    return nodes


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EURASIA_KG_")}
    return subprocess.run(
        [sys.executable, "-m", "eurasia_kg.cli", "validate", "--root", str(ROOT), *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False,
    )


def name_of(path: Path) -> str:
    return path.name


# --- The fixture files themselves ---------------------------------------------


def test_fixture_directories_are_populated():
    assert INVALID, "tests/fixtures/invalid/ holds no fixtures"
    assert VALID, "tests/fixtures/valid/ holds no fixtures"
    assert BROKEN.is_file()


@pytest.mark.parametrize("path", INVALID, ids=name_of)
def test_invalid_fixture_header_names_real_shapes_and_messages(path):
    header = read_header(path)
    shapes = shapes_graph()
    owners = messages_by_shape(shapes)
    assert header.expects, f"{path.name} has no '# expect:' line"
    assert len(header.shapes) == 1, f"{path.name} needs exactly one '# shape:' line"
    assert header.severity in ("Violation", "Warning")
    unknown = [m for m in header.expects if m not in owners]
    assert not unknown, f"{path.name} expects messages that no constraint in shapes.ttl has: {unknown}"
    shape = expand(header.shapes[0])
    assert (shape, RDF.type, SH.NodeShape) in shapes, f"{path.name} names an unknown shape {header.shapes[0]}"
    assert any(shape in owners[m] for m in header.expects), (
        f"{path.name}: none of its expected messages belongs to {header.shapes[0]}")


# --- (a) Each invalid fixture fails, with exactly the messages it expects ------


@pytest.mark.parametrize("path", INVALID, ids=name_of)
def test_invalid_fixture_does_not_conform(path):
    header = read_header(path)
    result = validation.validate(load_file(path), shapes_graph(), ontology_graph())
    report = result.summary()
    if header.severity == "Warning":
        assert result.conforms, f"{path.name} should only warn, but it does not conform:\n{report}"
    else:
        assert not result.conforms, f"{path.name} conforms, but it should not:\n{report}"
    found = [f.message for f in result.findings]
    missing = [m for m in header.expects if not any(matches(m, msg) for msg in found)]
    assert not missing, f"{path.name} did not produce {missing}:\n{report}"
    extra = [f for f in result.findings if not any(matches(m, f.message) for m in header.expects)]
    assert not extra, f"{path.name} should test one thing, but it also produced:\n{report}"
    wrong_severity = [f for f in result.findings if f.severity != header.severity]
    assert not wrong_severity, f"{path.name}: expected only {header.severity} findings:\n{report}"


# --- (b) Every node shape is tested by an invalid fixture -----------------------


def test_every_node_shape_has_an_invalid_fixture():
    named = {expand(name) for path in INVALID for name in read_header(path).shapes}
    untested = [short(s) for s in node_shapes(shapes_graph()) if s not in named]
    assert not untested, f"node shapes with no fixture in tests/fixtures/invalid/: {untested}"


def test_every_constraint_is_triggered_by_an_invalid_fixture():
    expected = {m for path in INVALID for m in read_header(path).expects}
    never = sorted(m for m in messages_by_shape(shapes_graph()) if m not in expected)
    assert not never, f"constraints no invalid fixture triggers: {never}"


# --- (c) Every constraint explains itself in English ------------------------------


def test_every_constraint_has_an_english_message():
    shapes = shapes_graph()
    pairs = constraints(shapes)
    assert pairs
    silent = []
    for shape, node in pairs:
        english = [m for m in shapes.objects(node, SH.message)
                   if isinstance(m, Literal) and m.language == "en" and str(m).strip()]
        if len(english) != 1:
            path = shapes.value(node, SH.path)
            silent.append(f"{short(shape)} {path.n3(shapes.namespace_manager) if path is not None else 'sh:sparql'}")
    assert not silent, f"constraints without exactly one English sh:message: {silent}"


def test_messages_are_unique_to_one_constraint():
    shapes = shapes_graph()
    seen: dict[str, int] = defaultdict(int)
    for _, node in constraints(shapes):
        for message in shapes.objects(node, SH.message):
            seen[str(message)] += 1
    shared = sorted(m for m, n in seen.items() if n > 1)
    assert not shared, f"messages shared by several constraints (a fixture could not tell them apart): {shared}"


# --- (d) Valid fixtures conform ------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=name_of)
def test_valid_fixture_conforms(path):
    result = validation.validate(load_file(path), shapes_graph(), ontology_graph())
    assert result.conforms and not result.findings, f"{path.name} should pass cleanly:\n{result.summary()}"


# --- (e) Every node shape has something to validate -----------------------------------


def test_every_node_shape_has_a_focus_node():
    shapes, ontology = shapes_graph(), ontology_graph()
    data = load_dir(GRAPHS_DIR, load_dir(ONTOLOGY_DIR))
    for path in VALID:
        parse_into(data, path)
    idle = [short(s) for s in node_shapes(shapes) if not focus_nodes(s, shapes, data, ontology)]
    assert not idle, f"node shapes with no focus node in the real graph or the valid fixtures: {idle}"


# --- (f) The command line --------------------------------------------------------------


def test_cli_validate_valid_fixture_exits_0():
    proc = run_cli(VALID[0])
    assert proc.returncode == validation.EXIT_CONFORMS, proc.stdout + proc.stderr
    assert "Conforms: True" in proc.stdout


def test_cli_validate_invalid_fixture_exits_1():
    path = FIXTURES / "invalid" / "agreement-one-party-without-note.ttl"
    proc = run_cli(path)
    assert proc.returncode == validation.EXIT_DOES_NOT_CONFORM, proc.stdout + proc.stderr
    assert "Conforms: False" in proc.stdout
    for message in read_header(path).expects:
        assert message in proc.stdout


def test_cli_validate_broken_turtle_exits_2_naming_file_and_line():
    line = read_header(BROKEN).error_line
    assert line is not None, "bad-syntax.ttl needs an '# error-line: N' header"
    proc = run_cli(BROKEN)
    assert proc.returncode == validation.EXIT_ERROR, proc.stdout + proc.stderr
    assert f"bad-syntax.ttl:{line}" in proc.stderr, proc.stderr


# --- (g) The real graph ------------------------------------------------------------------


def test_real_graph_conforms():
    ontology = ontology_graph()
    data = load_dir(GRAPHS_DIR)
    derived, conflicts = calendars.derive_gregorian_bounds(data)
    assert not conflicts
    for triple in derived:
        data.add(triple)
    result = validation.validate(data, shapes_graph(), ontology)
    assert result.conforms and result.violations == 0, result.summary()


# --- A guard on the guard: the helpers read headers and templates as documented ---------


def test_header_and_template_helpers(tmp_path):
    sample = tmp_path / "sample.ttl"
    sample.write_text("# expect: A {?x} B.\n# shape: ekgsh:EventShape\n# severity: Warning\n\n"
                      "# expect: not part of the header\n", encoding="utf-8")
    header = read_header(sample)
    assert header == Header(expects=("A {?x} B.",), shapes=("ekgsh:EventShape",), severity="Warning")
    assert matches("An interval cannot end ({?end}) before it begins ({?start}).",
                   "An interval cannot end (2013-02-01) before it begins (2013-02-28).")
    assert not matches("A figure needs a period (ekg:period).", "A figure needs a period (ekg:period)!")
