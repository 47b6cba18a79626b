"""1,000 malformed queries, every one a 4xx: none may reach a 5xx (a crash, a worker lost, a traceback)."""

from __future__ import annotations

import random
from collections import Counter
from urllib.parse import quote

import pyoxigraph as ox

from eurasia_kg.config import PREFIXES

from ..running_server import ROOT
from .conftest import request

SEED = 20260401
FRAGMENTS = ["{", "}", "(", ")", "[", "]", '"', "'", '"""', "<", ">", "#", "\\",
             "\\u0053ERVICE <http://127.0.0.1:9/> {}", "SERVICE", "FILTER(", "OPTIONAL", "UNION", "GRAPH ?g",
             "FROM <", "SELECT", "WHERE", "LIMIT -1", "^^",
             "@", "?", "$", ";", ",", ".", "|", "/", "*", "+", "!", "&&", "||", "\x00", "\u202e", "🕊", "\ud7ff",
             "PREFIX : <", "BASE <", "VALUES ?x {", "BIND(", "AS ?x", "GROUP BY", "ORDER BY", "COUNT(*",
             "INSERT DATA {", "LOAD <http://127.0.0.1:9/x>", "DROP ALL", "\n", "\t", "1e999999", "0x", "_:b"]


def _mutations(rng: random.Random, seeds: list[str]):
    while True:
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            at = rng.randrange(len(text) + 1)
            if kind < 0.35:
                text = text[:at] + rng.choice(FRAGMENTS) + text[at:]
            elif kind < 0.6:
                text = text[:at] + text[at + rng.randint(1, 20):]
            elif kind < 0.75:
                text = text[:at]
            elif kind < 0.85:
                text = text[:at] + rng.choice(FRAGMENTS) * rng.randint(50, 400) + text[at:]
            else:
                text = text.replace(rng.choice(["{", "}", "(", ")", '"', "<", ">"]), "", 1)
        yield text


def malformed(count: int = 1000) -> list[str]:
    """Texts pyoxigraph's query parser refuses with the server's prefixes (checked on an empty store; none
    mentions SERVICE, so that the check cannot call out), from the project's queries and hand-made ones."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))]
    rng = random.Random(SEED)
    found = ["", " ", "SELECT", "SELECT * WHERE {", "ASK {{{{{{", "\x00\x00", "SELECT * WHERE { ?s ?p \"open }",
             "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999", "SELECT ?x WHERE { BIND(1/0 AS ?x) ",
             "\\u0053ELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } ",
             "SELECT * WHERE " + "{" * 3000, "SELECT * WHERE { FILTER(" + "(" * 6000 + " }", "x" * 30000]
    empty = ox.Store()
    for text in _mutations(rng, seeds):
        if len(found) >= count:
            break
        if "service" in text.casefold() or "\\u" in text.casefold():
            continue
        try:
            empty.query(text, prefixes=PREFIXES, base_iri="http://127.0.0.1/sparql")  # as the server reads it
        except (SyntaxError, ValueError, OSError):
            found.append(text)
    return found


def test_a_thousand_malformed_queries_get_no_5xx(server):
    queries = malformed()
    assert len(queries) == 1000
    statuses: Counter = Counter()
    fives = []
    for i, text in enumerate(queries):
        encoded = text.encode("utf-8", "surrogatepass")
        if i % 3 == 0:
            reply = request(server, "GET", "/sparql?query=" + quote(encoded, safe=""))
        elif i % 3 == 1:
            reply = request(server, "POST", "/sparql", encoded, {"Content-Type": "application/sparql-query"})
        else:
            reply = request(server, "POST", "/sparql", b"query=" + quote(encoded, safe="").encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})
        statuses[reply.status] += 1
        if reply.status >= 500:
            fives.append((text[:120], reply.status, reply.body[:200]))
    assert not fives, fives[:5]
    assert set(statuses) <= {400, 413}, statuses
    assert request(server, "GET", "/sparql?query=ASK%7B%7D").status == 200


def test_bytes_that_are_not_utf8_are_400(server):
    for body in (b"SELECT * WHERE { ?s ?p \xff\xfe }", b"\xc3\x28", b"ASK {} \xed\xa0\x80"):
        reply = request(server, "POST", "/sparql", body, {"Content-Type": "application/sparql-query"})
        assert reply.status == 400
        reply = request(server, "GET", "/sparql?query=" + quote(body, safe=""))
        assert reply.status == 400
