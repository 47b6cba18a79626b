"""Worker processes that hold the store and answer calls, each one killable on timeout.

pyoxigraph has no query timeout, and a query such as a Cartesian product under ORDER BY never
yields a row, so it cannot be interrupted from Python. Each query therefore runs in a worker
process; when the timeout passes, the worker is killed and replaced, and the caller gets
``CallTimeout``. Other workers keep answering meanwhile.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger("eurasia_kg.workers")

_CONTEXT = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                       else "spawn")
if _CONTEXT.get_start_method() == "forkserver":
    # The fork server imports the heavy modules once; each new worker then starts in milliseconds.
    _CONTEXT.set_forkserver_preload(["eurasia_kg.service", "eurasia_kg.workers"])


class CallTimeout(Exception):
    pass


class WorkerFailed(Exception):
    pass


class Busy(Exception):
    """No worker became free in time."""


def _worker_main(conn: Connection, service_args: dict[str, Any]) -> None:
    from .service import KnowledgeService, ServiceError

    service = KnowledgeService.from_dist(**service_args)
    conn.send(("ready", None))
    while True:
        try:
            method, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            service.refresh()  # see the store's newest published generation
            conn.send(("ok", getattr(service, method)(*args, **kwargs)))
        except ServiceError as exc:
            conn.send(("service-error", (exc.kind, exc.message)))
        except Exception as exc:  # report, keep serving: one bad call must not take the worker down
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    def __init__(self, service_args: dict[str, Any], size: int = 2, start_timeout: float = 60.0):
        self.service_args = service_args
        self.size = size
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.timeouts = 0
        starting = [self._start() for _ in range(size)]
        for worker in starting:
            self._await_ready(worker, start_timeout)
            self._idle.put(worker)

    def _start(self) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=_worker_main, args=(child, self.service_args), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    @staticmethod
    def _await_ready(worker: _Worker, timeout: float) -> None:
        if not worker.conn.poll(timeout):
            worker.kill()
            raise WorkerFailed("a query worker did not start in time")
        try:
            status, _ = worker.conn.recv()
        except (EOFError, OSError):
            status = "dead"
        if status != "ready":
            worker.kill()
            raise WorkerFailed("a query worker failed to start")

    def _replace(self, dead: _Worker) -> None:
        with self._lock:
            self._all.discard(dead)
        if self._closed:
            return

        def start_one() -> None:
            try:
                worker = self._start()
                self._await_ready(worker, 60)
                self._idle.put(worker)
            except Exception:
                log.exception("could not replace a query worker")

        threading.Thread(target=start_one, daemon=True, name="worker-respawn").start()

    def call(self, method: str, *args: Any, timeout: float, **kwargs: Any) -> Any:
        """Run ``service.method(*args, **kwargs)`` in a worker; raise CallTimeout after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise Busy("every query worker is busy; try again later") from None
        try:
            worker.conn.send((method, args, kwargs))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self.timeouts += 1
                worker.kill()
                self._replace(worker)
                raise CallTimeout(f"the query ran for more than {timeout:g} s and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            worker.kill()
            self._replace(worker)
            raise WorkerFailed("the query worker stopped unexpectedly") from exc
        self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "service-error":
            from .service import ServiceError

            raise ServiceError(*payload)
        raise WorkerFailed(payload)

    def live_workers(self) -> int:
        """Workers started and alive (busy or idle); replacements count once they have started."""
        with self._lock:
            return sum(1 for worker in self._all if worker.process.is_alive())

    def idle_workers(self) -> int:
        return self._idle.qsize()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            worker.kill()
