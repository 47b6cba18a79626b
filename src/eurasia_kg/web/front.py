"""What happens around the Flask application, in plain WSGI: the body limit, the response cache's
replay of finished answers, and the access log written off the request's path."""

from __future__ import annotations

import logging
import pickle
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..workers import quiet_thread

# Set by a view on the WSGI environ when its 200 answer may be replayed to the same request.
CACHEABLE = "eurasia_kg.cacheable"


class ResponseCache:
    """Finished answers, bounded in bytes; an answer over ``max_item`` bytes is never kept.

    Split into shards, each with its own lock and LRU order, so that threads answering at once
    rarely wait for each other.
    """

    def __init__(self, max_bytes: int, max_item: int, shards: int = 8):
        # An answer fits in one shard: the item limit is at most a shard's share of the budget.
        self.max_item = min(max_item, max_bytes // shards) if max_bytes > 0 else 0
        self._shards = [_Shard(max_bytes // shards) for _ in range(shards)]
        self.hits = 0

    def _shard(self, key: tuple) -> _Shard:
        return self._shards[hash(key) % len(self._shards)]

    def get(self, key: tuple) -> Any:
        return self._shard(key).get(key)

    def put(self, key: tuple, value: Any, size: int | None = None) -> None:
        """Keep ``value`` if its ``size`` in bytes (measured by pickling when not given) is within bounds."""
        if self.max_item <= 0:
            return
        if size is None:
            size = len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) + len(repr(key))
        if 0 < size <= self.max_item:
            self._shard(key).put(key, value, size)

    def clear(self) -> None:
        for shard in self._shards:
            shard.clear()

    @property
    def bytes(self) -> int:
        return sum(shard.used for shard in self._shards)


class _Shard:
    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: tuple, value: Any, size: int) -> None:
        if size > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old[1]
            self._items[key] = (value, size)
            self.used += size
            while self.used > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self.used -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0


class AccessLog:
    """One line per request on the ``eurasia_kg.access`` logger, written by a thread of its own: the
    request only appends a tuple to a queue that the thread drains ten times a second, so that no
    request waits for formatting, for the log's output, or for that thread to wake up."""

    INTERVAL = 0.1

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._logger = logging.getLogger("eurasia_kg.access")
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, *entry: Any) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = quiet_thread(self._write, "access-log")
        self._queue.put(entry)

    def _write(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            while True:
                try:
                    remote, when, method, path, protocol, status, length, elapsed = self._queue.get_nowait()
                except queue.Empty:
                    break
                if self._logger.isEnabledFor(logging.INFO):
                    self._logger.info('%s - - [%s] "%s %s %s" %s %s %.4f', remote or "-",
                                      time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(when)), method, path,
                                      protocol, status, length if length is not None else "-", elapsed)


class BodyLimit:
    """WSGI middleware: a body declared larger than ``limit`` is refused with 413 before a byte of it is
    read (the connection is then closed, so the client cannot go on sending). A chunked body has no
    declared length: Flask's MAX_CONTENT_LENGTH stops reading it at the limit."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict, start_response):
        declared = environ.get("CONTENT_LENGTH")
        if declared:
            try:
                too_large = int(declared) > self.limit
            except ValueError:
                too_large = False
            if too_large:
                body = f"the request body is larger than {self.limit} bytes\n".encode()
                start_response("413 Request Entity Too Large", [
                    ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                    ("Connection", "close")])
                return [body]
        return self.app(environ, start_response)


class FrontCache:
    """Replays finished answers (status, headers and body) to the same request, before Flask runs.

    The first request for a query goes through the one query path (the view, a worker); the view
    marks its answer cacheable; the same GET again (same path, query string and Accept, same data
    version) is answered from here without routing, negotiation or a worker. Conditional and
    cross-origin requests always go to the view. The cache is ``ResponseCache``: bounded in bytes,
    large answers never kept.
    """

    def __init__(self, app, cache: ResponseCache, paths: tuple[str, ...], version: Callable[[], str],
                 on_hit: Callable[[dict, str, int, float], None]):
        self.app = app
        self.cache = cache
        self.paths = paths
        self.version = version
        self.on_hit = on_hit

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if (method not in ("GET", "HEAD") or environ.get("PATH_INFO") not in self.paths or self.cache.max_item <= 0
                or "HTTP_IF_NONE_MATCH" in environ or "HTTP_ORIGIN" in environ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = ("front", self.version(), environ["PATH_INFO"], environ.get("QUERY_STRING", ""),
               environ.get("HTTP_ACCEPT", ""))
        hit = self.cache.get(key)
        if hit is not None:
            status, headers, body = hit
            start_response(status, headers)
            self.on_hit(environ, status, len(body), started)
            return [] if method == "HEAD" else [body]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        if method != "GET" or not environ.get(CACHEABLE) or not captured.get("status", "").startswith("200"):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.cache.put(key, (captured["status"], list(captured["headers"]), body),
                       len(body) + len(key[3]) + len(key[4]) + 512)
        return [body]
