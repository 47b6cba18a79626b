"""Configuration, declared once as data.

Every setting lives in ``SETTINGS``: the CLI builds its options from it, ``docs/settings.md``
is checked against it by a test, and ``Settings.from_env`` reads overrides from
``EURASIA_KG_<NAME>`` environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_BASE = "https://w3id.org/eurasia-kg/"
ONTOLOGY_NS = "https://w3id.org/eurasia-kg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/eurasia-kg/ontology"
ID_BASE = "https://w3id.org/eurasia-kg/id/"
GRAPH_BASE = "https://w3id.org/eurasia-kg/graph/"

# Named graphs the build writes besides one graph per directory of data files.
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
# Entailments that hold only because of an interpretation (see docs/named-graphs.md).
INFERRED_FROM_INTERPRETATIONS_GRAPH = GRAPH_BASE + "inferred-from-interpretations"
# A data directory with this name holds what its source implies rather than states.
INTERPRETATIONS_DIR = "interpretations"
METADATA_GRAPH = GRAPH_BASE + "metadata"
METRICS_GRAPH = GRAPH_BASE + "metrics"
DATASET_IRI = "https://w3id.org/eurasia-kg/dataset"

# The store: every merged source in its own graph under MERGED_BASE; their records, and the
# fingerprint of the build the curated graphs came from, in the merge metadata graph.
MERGED_BASE = "https://w3id.org/eurasia-kg/merged/"
MERGE_METADATA_GRAPH = MERGED_BASE + "_metadata"
ALIGNMENT_GRAPH = MERGED_BASE + "_alignment"
ALIGNED_BASE = MERGED_BASE + "_aligned/"
SOURCE_BASE = ID_BASE + "merged-source/"
CURATED_RECORD = SOURCE_BASE + "_curated"
# The built dump the store's curated graphs are loaded from, and the build's record of its inputs.
DUMP_FILE = "eurasia-kg.nq"
BUILD_STATE_FILE = ".build-state.json"

# Extraction damage of the stored article (../shared/sources/README.md), mapped to its repair.
TEXT_ARTEFACTS: dict[str, str] = {"ᤀ匀": "’S", "ጀ": "–"}

# Prefixes used in dumps, the query UI and the docs.
PREFIXES: dict[str, str] = {
    "ekg": ONTOLOGY_NS,
    "person": ID_BASE + "person/",
    "orgid": ID_BASE + "org/",
    "place": ID_BASE + "place/",
    "post": ID_BASE + "post/",
    "event": ID_BASE + "event/",
    "agreement": ID_BASE + "agreement/",
    "figure": ID_BASE + "figure/",
    "claim": ID_BASE + "claim/",
    "quote": ID_BASE + "quote/",
    "holding": ID_BASE + "holding/",
    "group": ID_BASE + "group/",
    "source": ID_BASE + "source/",
    "interp": ID_BASE + "interpretation/",
    "topic": ID_BASE + "topic/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "oa": "http://www.w3.org/ns/oa#",
    "qb": "http://purl.org/linked-data/cube#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "wd": "http://www.wikidata.org/entity/",
}


def default_store_dir() -> Path:
    """The per-user store (``~/.local/share/eurasia-kg/store`` on Linux), shared by every command."""
    import platformdirs

    return platformdirs.user_data_path("eurasia-kg") / "store"


def _default_root() -> Path:
    # The checkout the package was installed from in editable mode, or the working directory.
    here = Path(__file__).resolve().parents[2]
    return here if (here / "ontology").is_dir() else Path.cwd()


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: str  # path, paths, bool, int, float, str, strs
    scope: str  # "build" or "serve": which commands take it
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("root", None, "path", "build", "Project directory holding ontology/, graphs/, shapes/ and queries/."),
    Setting("dist", None, "path", "build", "Output directory of the build (default: ROOT/dist)."),
    Setting("extra_graph_roots", (), "paths", "build",
            "More directories laid out like graphs/ (shared/, sources/NAME/), built beside it."),
    Setting("source_texts", None, "path", "build",
            "Directory of source texts, for checking quotes (default: ROOT/../shared/sources)."),
    Setting("reason", True, "bool", "build", "Run the OWL 2 RL reasoner and write the inferred graph."),
    Setting("pylode", False, "bool", "build",
            "Also write pyLODE's HTML documentation of the ontology to dist/ontology.html (the server renders "
            "its own /ontology page)."),
    Setting("host", "127.0.0.1", "str", "serve", "Address the server listens on."),
    Setting("port", 8000, "int", "serve", "Port the server listens on."),
    Setting("engine", "oxigraph", "str", "serve", "Query engine: oxigraph (embedded pyoxigraph) or rdflib."),
    Setting("union_default_graph", True, "bool", "serve",
            "Make the default graph the union of the named graphs (off for the W3C protocol tests)."),
    Setting("query_timeout", 30.0, "float", "serve", "Seconds a query may run before it is stopped with a 503."),
    Setting("max_rows", 10000, "int", "serve", "Most result rows (or triples) a query returns; more are cut off."),
    Setting("max_query_length", 20000, "int", "serve", "Longest query text accepted, in characters (longer: 400)."),
    Setting("max_depth", 100, "int", "serve",
            "Deepest nesting of brackets accepted in a query, an update or JSON-LD sent to /validate (deeper: 400)."),
    Setting("max_body", 2_000_000, "int", "serve",
            "Largest request body accepted, in bytes (larger: 413, before the body is read)."),
    Setting("workers", 2, "int", "serve",
            "Query worker processes kept free for cheap calls (each can be stopped on timeout)."),
    Setting("slow_query_seconds", 0.5, "float", "serve",
            "A call running longer is slow: a worker is started in its place, so cheap calls keep answering."),
    Setting("max_slow_queries", 4, "int", "serve", "Slow queries running at once (more: 503 with Retry-After)."),
    Setting("max_slow_per_client", 2, "int", "serve",
            "Slow queries running at once from one client address (more: 503 with Retry-After)."),
    Setting("queue_limit", 64, "int", "serve", "Requests waiting for a worker at once (more: 503 with Retry-After)."),
    Setting("threads", 16, "int", "serve", "Threads of the HTTP server that run the application."),
    Setting("http_server", "granian", "str", "serve",
            "HTTP server: granian (default, fastest in bench/bench_endpoint.py), gunicorn or waitress."),
    Setting("cache_bytes", 64_000_000, "int", "serve", "Bytes of answers kept in the response cache (0 turns it off)."),
    Setting("cache_max_item_bytes", 8_000_000, "int", "serve",
            "Answers larger than this are never cached (a network view of thousands of people is a few MB)."),
    Setting("validate_timeout", 20.0, "float", "serve", "Seconds /validate may run before it is stopped (503)."),
    Setting("validate_memory", 1_500_000_000, "int", "serve",
            "Bytes of resident memory the /validate worker may use while validating (more: 413)."),
    Setting("update_token", None, "str", "serve", "Bearer token that turns /update on (off when unset)."),
    Setting("service_allowlist", (), "strs", "serve",
            "Endpoint IRI prefixes that SERVICE may call (none by default: SERVICE is refused)."),
    Setting("store", None, "str", "store",
            "Where the one dataset (curated graphs from dist/ plus merged sources) lives: a directory for the "
            "embedded pyoxigraph store (default: the per-user data directory, see `eurasia-kg store path`), or "
            "the query URL of a SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, Fuseki…)."),
    Setting("store_update", None, "str", "store",
            "With a remote store: its SPARQL Update URL (default: derived from the query URL, e.g. "
            "/query → /update for Oxigraph, /sparql for Virtuoso)."),
    Setting("store_graph_store", None, "str", "store",
            "With a remote store: its Graph Store Protocol URL (default: derived, e.g. /store for Oxigraph, "
            "/sparql-graph-crud for Virtuoso); SPARQL Update is used where it refuses."),
    Setting("store_auth", None, "str", "store",
            "With a remote store: credentials, user:password (HTTP Basic) or bearer:TOKEN."),
    Setting("max_merge_bytes", 2_000_000_000, "int", "merge", "Largest file a merge accepts, in bytes."),
)


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root)
    dist: Path | None = None
    extra_graph_roots: tuple[Path, ...] = ()
    source_texts: Path | None = None
    reason: bool = True
    pylode: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    engine: str = "oxigraph"
    union_default_graph: bool = True
    query_timeout: float = 30.0
    max_rows: int = 10000
    max_query_length: int = 20000
    max_depth: int = 100
    max_body: int = 2_000_000
    workers: int = 2
    slow_query_seconds: float = 0.5
    max_slow_queries: int = 4
    max_slow_per_client: int = 2
    queue_limit: int = 64
    threads: int = 16
    http_server: str = "granian"
    cache_bytes: int = 64_000_000
    cache_max_item_bytes: int = 8_000_000
    validate_timeout: float = 20.0
    validate_memory: int = 1_500_000_000
    update_token: str | None = None
    service_allowlist: tuple[str, ...] = ()
    store: str | None = None
    store_update: str | None = None
    store_graph_store: str | None = None
    store_auth: str | None = None
    max_merge_bytes: int = 2_000_000_000

    @property
    def remote_store(self) -> str | None:
        """The SPARQL endpoint of the store, when ``store`` is a URL."""
        return self.store if self.store and self.store.startswith(("http://", "https://")) else None

    @property
    def store_dir(self) -> Path:
        """The embedded store's directory (meaningless when the store is remote)."""
        if self.store and not self.remote_store:
            return Path(self.store).expanduser().resolve()
        return default_store_dir()

    @property
    def dist_dir(self) -> Path:
        return self.dist or self.root / "dist"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def graphs_dir(self) -> Path:
        return self.root / "graphs"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def metadata_file(self) -> Path:
        """The dataset's own record (title, licence, publisher…), for its VoID and DCAT description."""
        return self.root / "metadata" / "dataset.ttl"

    @property
    def source_texts_dir(self) -> Path:
        return self.source_texts or self.root.parent / "shared" / "sources"

    @property
    def graph_roots(self) -> tuple[Path, ...]:
        return (self.graphs_dir, *self.extra_graph_roots)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"EURASIA_KG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values.get("store"), Path):
            values["store"] = str(values["store"])
        for key in ("root", "dist", "source_texts"):
            if key in values and values[key] is not None:
                values[key] = Path(values[key]).resolve()
        if "extra_graph_roots" in values:
            values["extra_graph_roots"] = tuple(Path(p).resolve() for p in values["extra_graph_roots"])
        if "service_allowlist" in values:
            values["service_allowlist"] = tuple(values["service_allowlist"])
        return cls(**values)


def _coerce(name: str, raw: str) -> Any:
    kind = next(st.kind for st in SETTINGS if st.name == name)
    if kind == "bool":
        return raw.lower() not in ("0", "false", "no", "off")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind in ("paths", "strs"):
        return tuple(p for p in raw.split(os.pathsep if kind == "paths" else ",") if p)
    return raw


def settings_table() -> str:
    """The settings as a Markdown table: docs/settings.md holds exactly this (a test checks)."""
    lines = ["| Setting | CLI flag | Environment variable | Default | Commands | Meaning |",
             "|---|---|---|---|---|---|"]
    for s in SETTINGS:
        default = "" if s.default in (None, ()) else str(s.default)
        lines.append(f"| `{s.name}` | `--{s.name.replace('_', '-')}` | `EURASIA_KG_{s.name.upper()}` | "
                     f"{('`' + default + '`') if default else '—'} | {s.scope} | {s.help} |")
    return "\n".join(lines) + "\n"
