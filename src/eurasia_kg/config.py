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

ONTOLOGY_NS = "https://w3id.org/eurasia-kg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/eurasia-kg/ontology"
ID_BASE = "https://w3id.org/eurasia-kg/id/"
GRAPH_BASE = "https://w3id.org/eurasia-kg/graph/"

# Named graphs the build writes besides one graph per directory of data files.
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
METADATA_GRAPH = GRAPH_BASE + "metadata"
METRICS_GRAPH = GRAPH_BASE + "metrics"
DATASET_IRI = "https://w3id.org/eurasia-kg/dataset"

# Extraction damage of the stored article (../shared/sources/README.md), mapped to its repair.
TEXT_ARTEFACTS: dict[str, str] = {"ᤀ匀": "’S", "ጀ": "–"}

# Prefixes used in dumps, the query UI and the docs.
PREFIXES: dict[str, str] = {
    "ekg": ONTOLOGY_NS,
    "person": ID_BASE + "person/",
    "org": ID_BASE + "org/",
    "place": ID_BASE + "place/",
    "post": ID_BASE + "post/",
    "event": ID_BASE + "event/",
    "agreement": ID_BASE + "agreement/",
    "figure": ID_BASE + "figure/",
    "claim": ID_BASE + "claim/",
    "quote": ID_BASE + "quote/",
    "topic": ID_BASE + "topic/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "orgv": "http://www.w3.org/ns/org#",
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


def _default_root() -> Path:
    # The checkout the package was installed from in editable mode, or the working directory.
    here = Path(__file__).resolve().parents[2]
    return here if (here / "ontology").is_dir() else Path.cwd()


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("root", None, "Project directory holding ontology/, graphs/, shapes/ and queries/."),
    Setting("dist", None, "Output directory of the build (default: ROOT/dist)."),
    Setting("extra_graph_roots", (), "More directories laid out like graphs/ (shared/, sources/NAME/), built beside it."),
    Setting("source_texts", None, "Directory of source texts, for checking quotes (default: ROOT/../shared/sources)."),
    Setting("reason", True, "Run the OWL 2 RL reasoner and write the inferred graph."),
    Setting("pylode", True, "Write the HTML documentation of the ontology with pyLODE."),
)


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root)
    dist: Path | None = None
    extra_graph_roots: tuple[Path, ...] = ()
    source_texts: Path | None = None
    reason: bool = True
    pylode: bool = True

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
        for key in ("root", "dist", "source_texts"):
            if key in values and values[key] is not None:
                values[key] = Path(values[key]).resolve()
        if "extra_graph_roots" in values:
            values["extra_graph_roots"] = tuple(Path(p).resolve() for p in values["extra_graph_roots"])
        return cls(**values)


def _coerce(name: str, raw: str) -> Any:
    if name in ("reason", "pylode"):
        return raw.lower() not in ("0", "false", "no", "off")
    if name == "extra_graph_roots":
        return tuple(p for p in raw.split(os.pathsep) if p)
    return raw
