"""The body limit holds before the body is read: a client that declares 300 MB gets its 413 at once,
having sent only its headers."""

from __future__ import annotations

import socket
import time

from .conftest import request


def _declare(server, path: str, length: int, content_type: str) -> tuple[bytes, float]:
    """Send only the headers of a POST declaring ``length`` bytes; the answer and the seconds it took."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.perf_counter()
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        answer = b""
        while not (b"\r\n\r\n" in answer and answer.endswith(b"\n")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer, time.perf_counter() - started


def test_a_declared_300_mb_body_is_refused_before_it_is_sent(server):
    answer, elapsed = _declare(server, "/sparql", 300_000_000, "application/sparql-query")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert elapsed < 2.0


def test_a_body_just_over_the_limit_is_413_and_one_under_is_read(server):
    answer, _ = _declare(server, "/validate", 2_000_001, "text/turtle")
    assert answer.startswith(b"HTTP/1.1 413") and b"2000000 bytes" in answer
    under = request(server, "POST", "/sparql", b"ASK { }" + b" " * 1_000_000,
                    {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert under.status == 400  # read, and refused for its length (max_query_length), not its size
    assert b"characters long" in under.body
