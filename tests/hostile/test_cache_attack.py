"""Distinct large answers, one after another, must not fill the server's memory (the cache is bounded in
bytes, and an answer over cache_max_item_bytes is never kept)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from .conftest import query_path, request

JSON = {"Accept": "application/sparql-results+json"}
MiB = 2**20


def _gauge(server, name: str) -> float:
    text = request(server, "GET", "/metrics").body.decode()
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples if s.name == name)


def test_distinct_large_answers_keep_memory_within_300_mb_of_idle(server):
    idle = server.rss_bytes()
    sizes = []
    for i in range(80):
        # The whole graph (up to max_rows), under a new variable name each time: a distinct multi-MB answer.
        reply = request(server, "GET", query_path(f"SELECT ?s ?p ?o (STR(?o) AS ?copy{i}) WHERE {{ ?s ?p ?o }}"),
                        headers=JSON)
        assert reply.status == 200
        sizes.append(len(reply.body))
    assert min(sizes) > 1_000_000, "the answers are not large: the attack would prove nothing"
    grown = server.rss_bytes() - idle
    assert grown < 300 * MiB, f"the server grew by {grown / MiB:.0f} MiB"
    assert _gauge(server, "ekg_cache_bytes") < 1_000_000  # none of them was kept


def test_the_cache_holds_at_most_cache_bytes(server):
    idle = server.rss_bytes()
    for i in range(140):
        # About 0.6 MB each (under the 1 MB item limit, so cached): 84 MB in all, over the 64 MB budget.
        reply = request(server, "GET", query_path(f"SELECT ?s ?p ?o ({i} AS ?n) WHERE {{ ?s ?p ?o }} LIMIT 2500"),
                        headers=JSON)
        assert reply.status == 200 and 400_000 < len(reply.body) < 1_000_000
    held = _gauge(server, "ekg_cache_bytes")
    assert 30_000_000 < held <= 64_000_000
    assert server.rss_bytes() - idle < 300 * MiB
