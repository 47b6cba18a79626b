"""The records of merged sources: names, graphs, the DCAT/PROV description in the merge metadata
graph, and the licence a source states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..config import MERGE_METADATA_GRAPH, MERGED_BASE, SOURCE_BASE
from ..dataset import Reader

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
LICENSE_PREDICATES = ("http://purl.org/dc/terms/license", "https://schema.org/license", "http://schema.org/license",
                      "http://creativecommons.org/ns#license", "http://purl.org/dc/terms/rights")
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
EKG = "https://w3id.org/eurasia-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


class MergeError(Exception):
    """A refused or failed merge; the message names the file and the reason. Nothing was written."""


@dataclass
class SourceRecord:
    name: str
    graph: str
    file: str
    sha256: str
    triples: int
    merged_at: str
    license: str | None = None
    conforms: bool | None = None
    violations: int = 0


def source_graph(name: str) -> str:
    return MERGED_BASE + name


def default_name(path: Path) -> str:
    stem = path.name.lower()
    for suffix in reversed(path.suffixes):
        stem = stem.removesuffix(suffix.lower())
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-") or "source"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise MergeError(f"source name {name!r} must be lower-case letters, digits, '.', '_' or '-' (max 81)")
    return name


def read_sources(store: Reader) -> dict[str, SourceRecord]:
    query = f"""
        SELECT ?name ?graph ?file ?sha ?n ?time ?license ?conforms ?violations WHERE {{
          GRAPH <{MERGE_METADATA_GRAPH}> {{
            ?s a <{DCAT}Dataset> ; <{DCT}identifier> ?name ; <{EKG}mergedIntoGraph> ?graph ;
               <{DCT}source> ?file ; <{EKG}sha256> ?sha ; <http://rdfs.org/ns/void#triples> ?n ;
               <{PROV}generatedAtTime> ?time .
            OPTIONAL {{ ?s <{DCT}license> ?license }}
            OPTIONAL {{ ?s <{EKG}conforms> ?conforms }}
            OPTIONAL {{ ?s <{EKG}violations> ?violations }}
          }} }} ORDER BY ?name"""
    records = {}
    for row in store.query(query):
        records[row["name"].value] = SourceRecord(
            row["name"].value, row["graph"].value, row["file"].value, row["sha"].value, int(row["n"].value),
            row["time"].value, row["license"].value if row["license"] else None,
            row["conforms"].value == "true" if row["conforms"] else None,
            int(row["violations"].value) if row["violations"] else 0)
    return records


def _metadata_quads(record: SourceRecord) -> list[ox.Quad]:
    g = ox.NamedNode(MERGE_METADATA_GRAPH)
    s = ox.NamedNode(SOURCE_BASE + record.name)
    lit, nn = ox.Literal, ox.NamedNode
    quads = [
        ox.Quad(s, RDF_TYPE, nn(DCAT + "Dataset"), g),
        ox.Quad(s, RDF_TYPE, nn(PROV + "Entity"), g),
        ox.Quad(s, RDFS_LABEL, lit(f"Merged source {record.name}", language="en"), g),
        ox.Quad(s, nn(DCT + "identifier"), lit(record.name), g),
        ox.Quad(s, nn(EKG + "mergedIntoGraph"), nn(record.graph), g),
        ox.Quad(s, nn(DCT + "source"), lit(record.file), g),
        ox.Quad(s, nn(EKG + "sha256"), lit(record.sha256), g),
        ox.Quad(s, nn("http://rdfs.org/ns/void#triples"), lit(str(record.triples), datatype=nn(XSD + "integer")), g),
        ox.Quad(s, nn(PROV + "generatedAtTime"), lit(record.merged_at, datatype=nn(XSD + "dateTime")), g),
    ]
    if record.license:
        quads.append(ox.Quad(s, nn(DCT + "license"), _license_term(record.license), g))
    if record.conforms is not None:
        quads.append(ox.Quad(s, nn(EKG + "conforms"),
                             lit(str(record.conforms).lower(), datatype=nn(XSD + "boolean")), g))
        quads.append(ox.Quad(s, nn(EKG + "violations"), lit(str(record.violations), datatype=nn(XSD + "integer")), g))
    return quads


def _license_term(value: str):
    return ox.NamedNode(value) if value.startswith(("http://", "https://")) else ox.Literal(value)


def find_license(store: Reader, graph: str) -> str | None:
    for predicate in LICENSE_PREDICATES:  # one index lookup each, not a scan of the source
        for row in store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?l }} }} LIMIT 1"):
            return row["l"].value
    return None


