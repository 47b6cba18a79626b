"""The body limit holds before the body is read: a client that declares 300 MB gets its 413 at once,
having sent only its headers."""

from __future__ import annotations

import socket
import time

from .conftest import request


def test_a_declared_300_mb_body_is_refused_before_it_is_sent(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.perf_counter()
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 300000000\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        elapsed = time.perf_counter() - started
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert elapsed < 2.0


def test_a_body_just_over_the_limit_is_413_and_one_under_is_read(server):
    over = request(server, "POST", "/validate", b"#" * 2_000_001, {"Content-Type": "text/turtle"})
    assert over.status == 413 and b"2000000 bytes" in over.body
    under = request(server, "POST", "/sparql", b"ASK { }" + b" " * 1_000_000,
                    {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert under.status == 400  # read, and refused for its length (max_query_length), not its size
