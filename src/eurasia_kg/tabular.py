"""Tab-separated event data (ICEWS, GDELT …) into RDF, by a declarative mapping: no column is known by position.

A mapping is a TOML file (queries/mappings/*.toml) naming the column layout and a SPARQL CONSTRUCT
query (a .rq file beside it). Each row becomes a generic row resource, CSVW-style::

    <https://w3id.org/eurasia-kg/tabular/row/17> a csvw:Row ; csvw:rownum 17 ;
        col:Event%20ID "926685" ; col:CAMEO%20Code "042" ; …

with ``col:`` = ``https://w3id.org/eurasia-kg/tabular/column/`` and the column's name percent-encoded
(empty cells are left out, so the query uses OPTIONAL for what may be missing). The CONSTRUCT turns
rows into the event-data vocabulary (docs/network.md). The columns come from the file's header row
(``header = true``) or, for files without one (GDELT), from the mapping's ``columns`` list; the
mapping's ``required`` columns must be there. Rows are mapped in batches, so a file of millions of
rows streams through in bounded memory.

``to_rdf_file(path, mapping)`` writes N-Triples that ``merge.merge_file`` loads like any RDF file;
``merge`` calls it for a ``.tsv`` file given with a mapping (see docs/network.md).
"""

from __future__ import annotations

import csv
import gzip
import io
import tomllib
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROW_BASE = "https://w3id.org/eurasia-kg/tabular/row/"
COLUMN_BASE = "https://w3id.org/eurasia-kg/tabular/column/"
CSVW = "http://www.w3.org/ns/csvw#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DEFAULT_BATCH = 5000
MAX_FIELD = 1_000_000  # bytes in one cell; csv's own default (128 KiB) is too small for some GDELT URLs


class TabularError(ValueError):
    """A file or mapping that cannot be mapped; the message names the file, the line and the reason."""


@dataclass
class Mapping:
    path: Path
    title: str
    construct: str
    delimiter: str = "\t"
    header: bool = True
    columns: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    batch: int = DEFAULT_BATCH


def load_mapping(path: Path) -> Mapping:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TabularError(f"{path}: not a readable mapping: {exc}") from None
    unknown = sorted(set(data) - {"title", "construct", "delimiter", "header", "columns", "required", "encoding",
                                  "batch"})
    if unknown:
        raise TabularError(f"{path}: unknown key {', '.join(unknown)}; accepted: title, construct, delimiter, "
                           "header, columns, required, encoding, batch")
    if "construct" not in data:
        raise TabularError(f"{path}: the mapping needs 'construct', the .rq file of its CONSTRUCT query")
    query_path = path.parent / data["construct"]
    try:
        construct = query_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TabularError(f"{path}: cannot read the CONSTRUCT query {query_path}: {exc.strerror}") from None
    header = bool(data.get("header", True))
    columns = list(data.get("columns", []))
    if not header and not columns:
        raise TabularError(f"{path}: a file without a header row needs the mapping's 'columns' list")
    return Mapping(path, str(data.get("title", path.stem)), construct, str(data.get("delimiter", "\t")), header,
                   columns, list(data.get("required", [])), str(data.get("encoding", "utf-8")),
                   int(data.get("batch", DEFAULT_BATCH)))


def column_iri(name: str) -> str:
    return COLUMN_BASE + urllib.parse.quote(name.strip(), safe="")


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def rows(path: Path, mapping: Mapping) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data row; ragged rows and missing columns are errors."""
    csv.field_size_limit(MAX_FIELD)
    path = Path(path)
    try:
        with _open_text(path, mapping.encoding) as handle:
            reader = csv.reader(handle, delimiter=mapping.delimiter, quoting=csv.QUOTE_NONE)
            columns = mapping.columns
            if mapping.header:
                try:
                    columns = [c.strip() for c in next(reader)]
                except StopIteration:
                    raise TabularError(f"{path}: line 1: the file is empty; a header row was expected") from None
            missing = [c for c in mapping.required if c not in columns]
            if missing:
                raise TabularError(f"{path}: line 1: missing column {', '.join(missing)} required by "
                                   f"{mapping.path.name}; found: {', '.join(columns[:30])}")
            for record in reader:
                line = reader.line_num
                if not record or record == [""]:
                    continue
                if len(record) != len(columns):
                    raise TabularError(f"{path}: line {line}: {len(record)} fields where the "
                                       f"{'header' if mapping.header else 'mapping'} has {len(columns)}")
                yield line, dict(zip(columns, record, strict=True))
    except UnicodeDecodeError as exc:
        raise TabularError(f"{path}: not {mapping.encoding} text ({exc.reason} at byte {exc.start}); "
                           "set 'encoding' in the mapping") from None
    except csv.Error as exc:
        raise TabularError(f"{path}: {exc}") from None


def row_quads(line: int, values: dict[str, str]) -> list[ox.Quad]:
    """The generic representation of one row (line number as its id)."""
    row = ox.NamedNode(f"{ROW_BASE}{line}")
    quads = [ox.Quad(row, RDF_TYPE, ox.NamedNode(CSVW + "Row")),
             ox.Quad(row, ox.NamedNode(CSVW + "rownum"), ox.Literal(str(line), datatype=XSD_INTEGER))]
    quads += [ox.Quad(row, ox.NamedNode(column_iri(name)), ox.Literal(value))
              for name, value in values.items() if value.strip() != ""]
    return quads


def triples(path: Path, mapping: Mapping) -> Iterator[ox.Triple]:
    """The CONSTRUCT's triples, batch after batch of rows."""
    batch: list[ox.Quad] = []
    count = 0
    first_line = None
    for line, values in rows(path, mapping):
        first_line = first_line or line
        batch += row_quads(line, values)
        count += 1
        if count == mapping.batch:
            yield from _construct(batch, mapping, path, first_line)
            batch, count, first_line = [], 0, None
    if batch:
        yield from _construct(batch, mapping, path, first_line)


def _construct(batch: list[ox.Quad], mapping: Mapping, path: Path, first_line: int | None) -> Iterator[ox.Triple]:
    store = ox.Store()
    store.extend(batch)
    try:
        result = store.query(mapping.construct)
    except SyntaxError as exc:
        raise TabularError(f"{mapping.path}: the CONSTRUCT query does not parse: {exc}") from None
    if not isinstance(result, ox.QueryTriples):
        raise TabularError(f"{mapping.path}: the mapping's query must be a CONSTRUCT")
    yield from result


def to_rdf_file(path: Path, mapping: Mapping | Path, out: Path) -> int:
    """Map ``path`` into an N-Triples file ``out``; returns the number of triples. Nothing is left at
    ``out`` on error."""
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    out = Path(out)
    counter = [0]

    def counted() -> Iterator[ox.Triple]:
        for triple in triples(Path(path), mapping):
            counter[0] += 1
            yield triple

    try:
        with out.open("wb") as handle:
            ox.serialize(counted(), handle, format=ox.RdfFormat.N_TRIPLES)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return counter[0]


def merge_tabular(dataset, path: Path, mapping: Mapping | Path, name: str | None = None, **merge_options):
    """Map a tab-separated file and merge the result into ``dataset`` as one source (``merge.merge_file``'s
    options pass through; it aligns as usual). The source is named after the tab-separated file; the
    N-Triples are written to a temporary directory and removed afterwards. A file over ``max_bytes`` is
    refused before any row is mapped; a mapping error raises ``merge.MergeError`` and changes nothing."""
    import tempfile

    from . import merge

    path = Path(path)
    max_bytes = merge_options.get("max_bytes", 2_000_000_000)
    if path.is_file() and path.stat().st_size > max_bytes:
        raise merge.MergeError(f"{path}: {path.stat().st_size:,} bytes, over the limit of {max_bytes:,} "
                               "(setting max_merge_bytes)")
    source_name = name or merge.default_name(Path(path.name.removesuffix(".gz")))
    with tempfile.TemporaryDirectory(prefix="eurasia-kg-tabular-") as work:
        mapped = Path(work) / f"{source_name}.nt"
        try:
            to_rdf_file(path, mapping, mapped)
        except TabularError as exc:
            raise merge.MergeError(str(exc)) from exc
        return merge.merge_file(dataset, mapped, source_name, origin=path, **merge_options)


__all__ = ["Mapping", "TabularError", "column_iri", "load_mapping", "merge_tabular", "row_quads", "rows", "to_rdf_file",
           "triples"]
