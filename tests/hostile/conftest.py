"""The hostile suite: each attack of issue 9 replayed against a real server process (granian, workers)."""

from __future__ import annotations

import http.client
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from ..running_server import running_server

# Seconds: short, so that the attacks are over quickly; the defaults are longer (docs/settings.md).
QUERY_TIMEOUT = 8
VALIDATE_TIMEOUT = 5


@pytest.fixture(scope="package")
def server(built, settings):
    # Answers over 1 MB are never cached here (the default limit is 8 MB), so that the cache attack's
    # multi-megabyte answers show that large answers are not kept.
    with running_server(settings.dist_dir, "--workers", "2", "--query-timeout", str(QUERY_TIMEOUT),
                        "--validate-timeout", str(VALIDATE_TIMEOUT), "--cache-max-item-bytes", "1000000") as running:
        yield running


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    seconds: float


def request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            source: str = "127.0.0.1", timeout: float = 120) -> Reply:
    """One request on a fresh connection from ``source`` (any 127.x.y.z: a distinct client to the server)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(source, 0))
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                     time.perf_counter() - started)
    finally:
        connection.close()


def query_path(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def loopback_aliases_work() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 9), timeout=0.2, source_address=("127.0.0.2", 0)):
            pass
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return True
