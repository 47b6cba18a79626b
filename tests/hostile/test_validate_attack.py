"""A 2 MB /validate upload built to make pySHACL slow is stopped at the time limit, in its own worker,
while the rest of the server keeps answering; one over the memory limit is a 413."""

from __future__ import annotations

import threading
import time

from ..running_server import running_server
from .conftest import VALIDATE_TIMEOUT, query_path, request

MiB = 2**20
NT = {"Content-Type": "application/n-triples", "Accept": "application/json"}


def hostile_upload(size: int = 1_950_000) -> bytes:
    """Agreements, each with one party: the agreement shape's SPARQL constraint makes this quadratic."""
    lines, total, i = [], 0, 0
    while True:
        node = f"<https://example.org/agreement/{i}>"
        chunk = (f"{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                 f"<https://w3id.org/eurasia-kg/ontology#Agreement> .\n"
                 f"{node} <https://w3id.org/eurasia-kg/ontology#party> <https://example.org/party/{i % 7}> .\n")
        if total + len(chunk) > size:
            return "".join(lines).encode()
        lines.append(chunk)
        total += len(chunk)
        i += 1


def test_a_2_mb_upload_is_stopped_at_the_time_limit(server):
    body = hostile_upload()
    assert 1_900_000 < len(body) <= 2_000_000
    idle = server.rss_bytes()
    probes: list[tuple[int, float]] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            reply = request(server, "GET", query_path("ASK { ?s ?p ?o }"))
            probes.append((reply.status, reply.seconds))
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        reply = request(server, "POST", "/validate", body, NT)
        peak = server.rss_bytes()
    finally:
        done.set()
        prober.join()
    assert reply.status == 503, reply.body[:300]
    assert b"was stopped" in reply.body and int(reply.headers["retry-after"]) > 0
    assert reply.seconds < VALIDATE_TIMEOUT + 10  # the limit, and the validation worker's start
    assert peak - idle < 1_500 * MiB
    assert probes and all(status == 200 for status, _ in probes)
    assert max(seconds for _, seconds in probes) < 1.0
    # The next validation gets a fresh worker.
    small = b'<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'
    assert request(server, "POST", "/validate", small, NT).status == 200


def test_an_upload_over_the_memory_limit_is_413(built, settings):
    # The validation worker starts at about 45 MB resident; this upload takes it past 150 MB in seconds
    # (and past 1 GB given minutes).
    with running_server(settings.dist_dir, "--workers", "1", "--validate-memory", str(150 * MiB),
                        "--validate-timeout", "90") as limited:
        reply = request(limited, "POST", "/validate", hostile_upload(), NT)
        assert reply.status == 413, reply.body[:300]
        assert reply.seconds < 60
        assert b"memory" in reply.body
        small = b'<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'
        assert request(limited, "POST", "/validate", small, NT).status == 200
