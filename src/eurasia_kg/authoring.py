"""Adding a source: lay out its directory with its record, fill in the context of its quotes, and
list the sentences no quote covers yet (``eurasia-kg source …``; see docs/adding-a-source.md).

Nothing here knows about the command line: ``cli.py`` parses the arguments and prints the results.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef

from . import loader, quotes
from .config import ID_BASE, INTERPRETATIONS_DIR, ONTOLOGY_NS, Settings

EKG = Namespace(ONTOLOGY_NS)
OA = Namespace("http://www.w3.org/ns/oa#")
TEMPLATE = Path(__file__).parent / "data" / "source-template.ttl"
SOURCE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PREFIXES_HEAD = """@prefix ekg:   <https://w3id.org/eurasia-kg/ontology#> .
@prefix oa:    <http://www.w3.org/ns/oa#> .
@prefix quote: <https://w3id.org/eurasia-kg/id/quote/{id}/> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
"""
# A quote's selector in Turtle, from its oa:exact to the end of the blank node; the literal forms
# Turtle allows for the passage.
EXACT = re.compile(r'oa:exact\s+("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')')
CONTEXT = re.compile(r'\s*;\s*oa:(?:prefix|suffix)\s+("""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')')


class AuthoringError(Exception):
    """Bad input for a source command; the message says what and where."""


def slug(text: str) -> str:
    """An IRI slug: ASCII, lower case, words joined by hyphens (see docs/iri-scheme.md)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def source_iri(source_id: str) -> URIRef:
    return URIRef(f"{ID_BASE}source/{source_id}")


def source_dir(settings: Settings, source_id: str) -> Path:
    """The directory of a source: the first of graphs/sources/ID under the graph roots that exists."""
    for root in settings.graph_roots:
        if (root / "sources" / source_id).is_dir():
            return root / "sources" / source_id
    raise AuthoringError(f"no source {source_id!r}: no directory sources/{source_id} under "
                         + ", ".join(str(r) for r in settings.graph_roots))


# --- source new ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """The bibliographic record of a new source."""

    source_id: str
    title: str
    author: str
    publisher: str
    issued: str
    url: str | None = None
    language: str = "en"
    citation: str | None = None


def new_source(settings: Settings, record: Record, text: Path) -> Path:
    """Lay out graphs/sources/ID with its record (source.ttl), an empty quotes.ttl and interpretations/,
    and copy the text into the source texts directory. Refuses to overwrite anything."""
    if not SOURCE_ID.fullmatch(record.source_id):
        raise AuthoringError(f"the source id {record.source_id!r} is not a slug: use lower-case letters, digits "
                             "and hyphens, such as avim-2013-23 (publisher, year, number)")
    try:
        dt.date.fromisoformat(record.issued)
    except ValueError as exc:
        raise AuthoringError(f"--issued {record.issued!r} is not a date as YYYY-MM-DD") from exc
    if not text.is_file():
        raise AuthoringError(f"the text {text} is not a file")
    try:
        text.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AuthoringError(f"the text {text} is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    target = settings.graphs_dir / "sources" / record.source_id
    if target.exists():
        raise AuthoringError(f"{target} exists already; nothing was written")
    text_name = f"{record.source_id}{text.suffix or '.txt'}"
    text_target = settings.source_texts_dir / text_name
    if text_target.exists() and text_target.read_bytes() != text.read_bytes():
        raise AuthoringError(f"{text_target} exists with another text; nothing was written")

    known = _known_subjects(settings)
    person, organisation = slug(record.author), slug(record.publisher)
    agents = []
    if URIRef(f"{ID_BASE}person/{person}") not in known:
        agents.append(f"\nperson:{person} a ekg:Person ;\n    rdfs:label {_lit(record.author, 'en')} ;\n"
                      f"    foaf:name {_lit(record.author)} .\n")
    if URIRef(f"{ID_BASE}org/{organisation}") not in known:
        agents.append(f"\norgid:{organisation} a ekg:Publisher ;\n    rdfs:label {_lit(record.publisher, 'en')} .\n")
    citation = record.citation or ", ".join(p for p in (record.author, f"\"{record.title}\"", record.publisher,
                                                         record.issued, record.url) if p)
    body = TEMPLATE.read_text(encoding="utf-8").format(
        id=record.source_id, text_file=text_name, label=_lit(f"{record.title} ({record.publisher})", "en"),
        title=_lit(record.title, record.language), author=f"person:{person}", publisher=f"orgid:{organisation}",
        issued=f"{_lit(record.issued)}^^xsd:date",
        language=_lit(record.language), citation=_lit(citation),
        url=f"\n    schema:url <{record.url}> ;" if record.url else "", text_file_literal=_lit(text_name),
        figures_label=_lit(f"Figures stated in {record.title}", "en"), agents="".join(agents))
    Graph().parse(data=body, format="turtle")  # what is written must parse

    (target / INTERPRETATIONS_DIR).mkdir(parents=True)
    (target / "source.ttl").write_text(body, encoding="utf-8")
    head = PREFIXES_HEAD.format(id=record.source_id)
    (target / "quotes.ttl").write_text(head + "\n# One ekg:Quote per passage a fact comes from (see "
                                       "docs/adding-a-source.md); then run\n#   eurasia-kg source context "
                                       f"{record.source_id} --fill\n", encoding="utf-8")
    (target / INTERPRETATIONS_DIR / "interpretations.ttl").write_text(
        head + "\n# What the source implies but does not state (see docs/modelling.md).\n", encoding="utf-8")
    settings.source_texts_dir.mkdir(parents=True, exist_ok=True)
    if not text_target.exists():
        shutil.copyfile(text, text_target)
    return target


def _parse(path: Path) -> Graph:
    graph = Graph()
    try:
        loader.parse_into(graph, path)
    except loader.DataFileError as exc:
        raise AuthoringError(str(exc)) from exc
    return graph


def _lit(value: str, lang: str | None = None) -> str:
    return Literal(value, lang=lang).n3()


def _known_subjects(settings: Settings) -> set:
    graph = Graph()
    for root in settings.graph_roots:
        for path in loader.rdf_files(root / "shared"):
            loader.parse_into(graph, path)
    return set(graph.subjects())


# --- source context ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContextCheck:
    quote: str
    path: Path
    status: str  # "ok", "missing" (none given), "different" (given, not the text's), "not found"
    prefix: str = ""
    suffix: str = ""


def _source_graph(settings: Settings, source_id: str) -> tuple[Path, dict[Path, Graph], Graph]:
    directory = source_dir(settings, source_id)
    files: dict[Path, Graph] = {}
    merged = Graph()
    for path in loader.rdf_files(directory):
        graph = _parse(path)
        files[path] = graph
        merged += graph
    return directory, files, merged


def source_text(settings: Settings, source_id: str) -> str:
    """The text of a source, from the file its record names (ekg:textFile) in the source texts directory."""
    _, _, merged = _source_graph(settings, source_id)
    name = merged.value(source_iri(source_id), EKG.textFile)
    if name is None:
        raise AuthoringError(f"<{source_iri(source_id)}> has no ekg:textFile: its text cannot be found")
    path = settings.source_texts_dir / str(name)
    if not path.is_file():
        raise AuthoringError(f"the text of {source_id} is not at {path} (set --source-texts)")
    return path.read_text(encoding="utf-8")


def check_contexts(settings: Settings, source_id: str, width: int = 32) -> list[ContextCheck]:
    """For every quote of the source, whether its oa:prefix and oa:suffix are the text's own."""
    text = source_text(settings, source_id)
    _, files, _ = _source_graph(settings, source_id)
    checks = []
    for path, graph in files.items():
        for quote in sorted(graph.subjects(OA.hasSource, source_iri(source_id))):
            for selector in graph.objects(quote, OA.hasSelector):
                exact = graph.value(selector, OA.exact)
                if exact is None:
                    continue
                try:
                    prefix, suffix = quotes.context_of(text, str(exact), width)
                except ValueError:
                    checks.append(ContextCheck(str(quote), path, "not found"))
                    continue
                given = (str(graph.value(selector, OA.prefix) or ""), str(graph.value(selector, OA.suffix) or ""))
                if given == ("", ""):
                    status = "missing"
                elif quotes.check_quote(text, str(quote), str(exact), *given).context_found:
                    status = "ok"
                else:
                    status = "different"
                checks.append(ContextCheck(str(quote), path, status, prefix, suffix))
    return checks


def fill_contexts(settings: Settings, source_id: str, width: int = 32) -> list[ContextCheck]:
    """Write the text's prefix and suffix into every quote that lacks them or has others, editing
    the Turtle files in place (layout and comments kept), then check them again."""
    checks = check_contexts(settings, source_id, width)
    by_file: dict[Path, list[ContextCheck]] = {}
    for check in checks:
        if check.status in ("missing", "different"):
            by_file.setdefault(check.path, []).append(check)
    for path, pending in by_file.items():
        graph = _parse(path)
        wanted = {}
        for check in pending:
            for selector in graph.objects(URIRef(check.quote), OA.hasSelector):
                wanted[str(graph.value(selector, OA.exact))] = check
        text = path.read_text(encoding="utf-8")
        path.write_text(_with_contexts(text, wanted), encoding="utf-8")
    after = {(c.quote, c.path): c for c in check_contexts(settings, source_id, width)}
    wrong = [c for c in after.values() if c.status in ("missing", "different")]
    if wrong:
        raise AuthoringError(f"the context of {len(wrong)} quotes could not be written, such as <{wrong[0].quote}> "
                             f"in {wrong[0].path}")
    return [check if check.status not in ("missing", "different") else
            ContextCheck(check.quote, check.path, "filled", check.prefix, check.suffix) for check in checks]


def _with_contexts(text: str, wanted: dict[str, ContextCheck]) -> str:
    out, at = [], 0
    for found in EXACT.finditer(text):
        exact = str(Graph().parse(data=f"<x:s> <x:p> {found.group(1)} .", format="turtle").value(
            URIRef("x:s"), URIRef("x:p")))
        check = wanted.get(exact)
        if check is None:
            continue
        end = found.end()
        while (context := CONTEXT.match(text, end)) is not None:  # drop the old prefix and suffix
            end = context.end()
        indent = re.search(r"[ \t]*$", text[: found.start()]).group(0) or "        "
        out.append(text[at:found.end()])
        out.append(f" ;\n{indent}oa:prefix {_lit(check.prefix)} ;\n{indent}oa:suffix {_lit(check.suffix)}")
        at = end
    out.append(text[at:])
    return "".join(out)


# --- source uncovered ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    sentences: list[str]
    uncovered: list[tuple[int, str]]  # (1-based number of the sentence, its text)


def uncovered_sentences(settings: Settings, source_id: str) -> Coverage:
    """The sentences of the source's text that no quote overlaps (sentences split by pysbd)."""
    import pysbd

    text = quotes.repair(source_text(settings, source_id))
    folded, index = quotes.fold_with_index(text)
    _, _, merged = _source_graph(settings, source_id)
    spans = []
    for quote in merged.subjects(OA.hasSource, source_iri(source_id)):
        for selector in merged.objects(quote, OA.hasSelector):
            exact = quotes.normalise(str(merged.value(selector, OA.exact) or ""))
            start = folded.find(exact) if exact else -1
            while start >= 0:
                spans.append((index[start], index[start + len(exact) - 1] + 1))
                start = folded.find(exact, start + 1)
    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    sentences, uncovered = [], []
    for number, span in enumerate(segmenter.segment(text), start=1):
        sentence = span.sent.strip()
        sentences.append(sentence)
        if sentence and not any(start < span.end and span.start < end for start, end in spans):
            uncovered.append((number, sentence))
    return Coverage(sentences, uncovered)
