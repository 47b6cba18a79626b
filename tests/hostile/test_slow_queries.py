"""Slow queries cannot starve the server: with four bombs running, Linked Data pages, cheap queries and
/metrics keep answering; one client cannot run more than its share; a full queue is a 503 with Retry-After."""

from __future__ import annotations

import math
import threading
import time

import pytest

from ..running_server import running_server
from .conftest import QUERY_TIMEOUT, Reply, loopback_aliases_work, query_path, request

# Never yields a row: a Cartesian product of the whole graph with itself, three times, sorted.
BOMB = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
CHEAP = "SELECT (COUNT(*) AS ?n) WHERE { ?p a ekg:Person }"
PROBES = {
    "/id/ page": ("/id/person/sergei-lavrov", {"Accept": "text/html"}),
    "cheap query": (query_path(CHEAP), {"Accept": "application/sparql-results+json"}),
    "/metrics": ("/metrics", {}),
}

pytestmark = pytest.mark.skipif(not loopback_aliases_work(), reason="127.0.0.2-127.0.0.9 are needed as distinct "
                                "clients and cannot be bound on this machine")


def _bombs(server, sources: list[str]) -> tuple[list[threading.Thread], list[Reply]]:
    replies: list[Reply] = []

    def bomb(source: str) -> None:
        replies.append(request(server, "GET", query_path(BOMB), source=source))

    threads = [threading.Thread(target=bomb, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    return threads, replies


def _p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def test_probes_answer_under_a_second_while_four_bombs_run(server):
    threads, bombs = _bombs(server, [f"127.0.0.{i}" for i in range(2, 6)])
    time.sleep(1.0)  # every bomb is slow by now (slow_query_seconds is 0.5)
    timings: dict[str, list[float]] = {name: [] for name in PROBES}
    statuses: dict[str, set[int]] = {name: set() for name in PROBES}
    deadline = time.monotonic() + QUERY_TIMEOUT - 2.5
    while time.monotonic() < deadline:
        for name, (path, headers) in PROBES.items():
            reply = request(server, "GET", path, headers=headers)
            timings[name].append(reply.seconds)
            statuses[name].add(reply.status)
    still_running = sum(t.is_alive() for t in threads)
    for thread in threads:
        thread.join()
    assert still_running == 4, "the bombs ended before the probes did: the test proves nothing"
    for name in PROBES:
        assert statuses[name] == {200}, (name, statuses[name])
        assert len(timings[name]) >= 10
        assert _p99(timings[name]) < 1.0, f"{name}: p99 {_p99(timings[name]):.3f} s over {len(timings[name])} probes"
    assert sorted(b.status for b in bombs) == [503] * 4
    assert all("retry-after" in b.headers for b in bombs)


def test_one_client_runs_at_most_its_share_of_slow_queries(server):
    threads, bombs = _bombs(server, ["127.0.0.7"] * 3)
    for thread in threads:
        thread.join()
    refused = [b for b in bombs if b.seconds < QUERY_TIMEOUT / 2]
    assert len(refused) == 1, [(b.status, round(b.seconds, 2)) for b in bombs]
    assert refused[0].status == 503 and int(refused[0].headers["retry-after"]) > 0
    assert b"slow queries" in refused[0].body
    assert [b.status for b in bombs] == [503] * 3  # the other two ran until the timeout


def test_a_full_queue_is_503_with_retry_after(built, settings):
    """One worker and no room for more, nothing counts as slow, one caller may wait: a third is turned away."""
    with running_server(settings.dist_dir, "--workers", "1", "--max-slow-queries", "0", "--slow-query-seconds", "60",
                        "--queue-limit", "1",
                        "--query-timeout", "4") as small:
        threads, bombs = _bombs(small, ["127.0.0.8"])
        time.sleep(0.5)
        waiting: list[Reply] = []
        waiter = threading.Thread(target=lambda: waiting.append(request(small, "GET", query_path("ASK { ?s ?p ?o }"))))
        waiter.start()
        time.sleep(0.5)
        turned_away = request(small, "GET", query_path("ASK { ?s ?p ?s }"))
        assert turned_away.status == 503 and turned_away.seconds < 1.0
        assert int(turned_away.headers["retry-after"]) > 0
        assert b"waiting" in turned_away.body
        for thread in [*threads, waiter]:
            thread.join()
        assert bombs[0].status == 503 and b"timeout" in bombs[0].body
        assert waiting[0].status in (200, 503)
