"""Worker processes that hold the store and answer calls, each one killable on timeout.

pyoxigraph has no query timeout, and a query such as a Cartesian product under ORDER BY never
yields a row, so it cannot be interrupted from Python. Each call therefore runs in a worker
process; when the timeout passes, the worker is killed and replaced, and the caller gets
``CallTimeout``.

Slow calls cannot starve the others. The pool keeps ``size`` workers ready for new calls: when
a call takes a worker, another is started at once (up to ``size + max_slow`` processes in all),
so that Linked Data pages and short queries find a free worker while long ones run; workers
left over after a burst retire when they have been idle for ``idle_retire`` seconds. A call that
runs longer than ``slow_after`` seconds is *slow*: at most ``max_slow`` calls may be slow at
once, and ``max_slow_per_client`` from one client; a call that would go over is stopped at once
and refused with ``Busy`` (a 503 with Retry-After). Callers wait for a free worker at most
``queue_wait`` seconds, and at most ``queue_limit`` of them wait at once (more: ``Busy``).

Workers know nothing of HTTP: a call names one of the service's methods (``CALLS``), with plain
arguments, and gets plain values back (results already written as bytes).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from .worker_process import WORKER_STACK_BYTES, resident_bytes, worker_main

log = logging.getLogger("eurasia_kg.workers")

class CallTimeout(Exception):
    pass


class WorkerFailed(Exception):
    pass


class Busy(Exception):
    """No worker could take the call: the queue is full, or the caller has too many slow calls running."""

    def __init__(self, message: str, retry_after: int = 2):
        self.retry_after = retry_after
        super().__init__(message)


def quiet_thread(target: Callable[..., Any], name: str, *args: Any) -> threading.Thread:
    """A daemon thread in which SIGINT and SIGTERM are blocked, started.

    The kernel hands a signal sent to a process to any thread that does not block it, and Python
    only notices it in the main thread: a server whose main thread waits on a lock (granian's
    worker does) would never hear Ctrl-C if one of our threads took it."""

    def run() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        target(*args)

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return thread


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()


@dataclass
class PoolLimits:
    size: int = 2  # workers kept free for cheap calls
    slow_after: float | None = 0.5  # None: calls never count as slow
    max_slow: int = 4
    max_slow_per_client: int = 2
    queue_limit: int = 64
    queue_wait: float = 10.0
    idle_retire: float = 30.0  # seconds an extra worker may stay idle before it stops
    memory_limit: int | None = None  # bytes of resident memory a worker may use during a call (then: killed)
    stack_bytes: int = WORKER_STACK_BYTES  # of the thread that runs the calls (address space counts it)
    start_timeout: float = 60.0


@dataclass
class _State:
    idle: list[_Worker] = field(default_factory=list)  # the most recently used last
    idle_since: dict[_Worker, float] = field(default_factory=dict)
    live: int = 0  # started and not yet retired (some may still be starting)
    busy: int = 0  # running a call
    waiting: int = 0
    slow: dict[str, int] = field(default_factory=dict)

    @property
    def slow_total(self) -> int:
        return sum(self.slow.values())


class WorkerPool:
    """Worker processes made by ``factory(**args)`` (a picklable callable: the service's class)."""

    def __init__(self, factory: Callable[..., Any], args: dict[str, Any], limits: PoolLimits | None = None,
                 lazy: bool = False):
        self.factory = factory
        self.service_args = args
        self.limits = limits or PoolLimits()
        self.timeouts = 0
        self._state = _State()
        self._cond = threading.Condition()
        self._all: set[_Worker] = set()
        self._closed = False
        self._reaper: threading.Thread | None = None
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self._context.get_start_method() == "forkserver":
            # The fork server imports these once; each new worker then starts in milliseconds.
            self._context.set_forkserver_preload(["eurasia_kg.service", "eurasia_kg.worker_process"])
        if not lazy:
            self._rebalance()

    @property
    def size(self) -> int:
        return self.limits.size

    # --- Starting and retiring workers ------------------------------------------------------

    def _rebalance(self) -> None:
        """Start workers until ``size`` are free for new calls (all at once, in parallel), within the cap."""
        with self._cond:
            if self._closed:
                return
            target = min(self.limits.size + self._state.busy, self.limits.size + self.limits.max_slow)
            missing = max(0, target - self._state.live)
            self._state.live += missing
        for _ in range(missing):
            quiet_thread(self._start_one, "worker-start")

    def _start_one(self) -> None:
        try:
            parent, child = self._context.Pipe()
            process = self._context.Process(target=worker_main, daemon=True,
                                            args=(child, self.factory, self.service_args, self.limits.memory_limit,
                                                  self.limits.stack_bytes))
            process.start()
            child.close()
            worker = _Worker(process, parent)
            with self._cond:
                self._all.add(worker)
            if not parent.poll(self.limits.start_timeout) or parent.recv()[0] != "ready":
                raise WorkerFailed("a worker did not start in time")
            if "warm_up" in getattr(self.factory, "CALLS", ()):
                parent.send(("warm_up", (), {}))
                if not parent.poll(self.limits.start_timeout) or parent.recv()[0] != "ok":
                    raise WorkerFailed("a worker could not open the data")
        except Exception as exc:
            if self._closed:  # the pool was closed while this worker started: nothing went wrong
                with contextlib.suppress(NameError):
                    self._discard(worker)
                return
            if isinstance(exc, EOFError | OSError):  # it died while starting (a signal, the machine's memory)
                log.warning("a worker stopped while it started; another will be started")
            else:
                log.exception("could not start a worker")
            with self._cond:
                self._state.live -= 1
                self._cond.notify_all()
            with contextlib.suppress(NameError):
                self._discard(worker)
            time.sleep(1)  # do not spin when workers cannot start at all
            if not self._closed and self._state.live < self.limits.size:
                self._rebalance()
            return
        with self._cond:
            if self._closed:
                worker.kill()
                return
            self._state.idle.insert(0, worker)  # fresh workers are taken last: warm ones first
            self._state.idle_since[worker] = time.monotonic()
            self._cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self._all.discard(worker)

    def _lost(self, worker: _Worker) -> None:
        """A busy worker killed or dead: forget it and start what is missing."""
        self._discard(worker)
        with self._cond:
            self._state.live -= 1
            self._state.busy -= 1
        self._rebalance()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._state.busy -= 1
            self._state.idle.append(worker)
            self._state.idle_since[worker] = time.monotonic()
            self._cond.notify_all()
            extra = len(self._state.idle) > self.limits.size
        if extra and self._reaper is None:
            with self._cond:
                if self._reaper is None:
                    self._reaper = quiet_thread(self._reap, "worker-reaper")

    def _reap(self) -> None:
        while not self._closed:
            time.sleep(self.limits.idle_retire / 3)
            self._retire_idle()

    def _retire_idle(self) -> None:
        """Stop workers beyond ``size`` that have been idle for ``idle_retire`` seconds (oldest first)."""
        retired = []
        with self._cond:
            now = time.monotonic()
            while len(self._state.idle) > self.limits.size:
                oldest = self._state.idle[0]
                if now - self._state.idle_since.get(oldest, now) < self.limits.idle_retire:
                    break
                self._state.idle.pop(0)
                self._state.idle_since.pop(oldest, None)
                self._state.live -= 1
                retired.append(oldest)
        for worker in retired:
            self._discard(worker)

    def _acquire(self, wait: float) -> _Worker:
        deadline = time.monotonic() + wait
        with self._cond:
            if self._closed:
                raise WorkerFailed("the server is stopping")
            if not self._state.idle and self._state.waiting >= self.limits.queue_limit:
                raise Busy("the server is busy: too many requests are waiting; try again shortly", 2)
            self._state.waiting += 1
            try:
                while not self._state.idle:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        raise Busy("every worker stayed busy; try again shortly", 2)
                    self._cond.wait(remaining)
                worker = self._state.idle.pop()
                self._state.idle_since.pop(worker, None)
                self._state.busy += 1
            finally:
                self._state.waiting -= 1
        self._rebalance()  # a replacement starts now, so that new calls find a free worker
        return worker

    # --- Calls ------------------------------------------------------------------------------

    def call(self, method: str, *args: Any, timeout: float, client: str | None = None, **kwargs: Any) -> Any:
        """Run ``service.method(*args, **kwargs)`` in a worker; CallTimeout after ``timeout`` seconds.
        ``client`` names who asked, for the cap on slow calls per client (None: not capped per client)."""
        started = time.monotonic()
        self._rebalance()  # a lazy pool starts on its first call; a failed start is retried
        worker = self._acquire(min(timeout, self.limits.queue_wait))
        deadline = started + timeout
        slow = False
        try:
            worker.conn.send((method, args, kwargs))
            first_wait = deadline - time.monotonic()
            if self.limits.slow_after is not None:
                first_wait = min(first_wait, self.limits.slow_after)
            ready = self._wait(worker, first_wait)
            if not ready and time.monotonic() < deadline:
                self._become_slow(worker, client)
                slow = True
                ready = self._wait(worker, deadline - time.monotonic())
            if ready is None:  # over its memory limit
                self._forget_slow(client, slow)
                slow = False
                self._lost(worker)
                from .service import ServiceError

                raise ServiceError("too-large", "the request needs more memory than the server allows for it")
            if not ready:
                self.timeouts += 1
                self._forget_slow(client, slow)
                slow = False
                self._lost(worker)
                raise CallTimeout(f"the query ran for more than {timeout:g} s and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._forget_slow(client, slow)
            self._lost(worker)
            raise WorkerFailed("the worker stopped unexpectedly") from exc
        self._forget_slow(client, slow)
        if status == "retire":
            self._lost(worker)
        else:
            self._release(worker)
        return _outcome(status, payload)

    def _wait(self, worker: _Worker, seconds: float) -> bool | None:
        """Whether the worker answered within ``seconds``; None if it went over its memory limit first
        (its resident memory is read every 0.1 s; the address-space limit set in the worker is a backstop)."""
        limit = self.limits.memory_limit
        if not limit:
            return worker.conn.poll(max(0.0, seconds))
        deadline = time.monotonic() + seconds
        while True:
            if worker.conn.poll(max(0.0, min(0.1, deadline - time.monotonic()))):
                return True
            if resident_bytes(worker.process.pid) > limit:
                return None
            if time.monotonic() >= deadline:
                return False

    def _become_slow(self, worker: _Worker, client: str | None) -> None:
        with self._cond:
            mine = self._state.slow.get(client, 0)
            refused = (self._state.slow_total >= self.limits.max_slow
                       or (client is not None and mine >= self.limits.max_slow_per_client))
            if not refused:
                self._state.slow[client] = mine + 1
        if refused:
            self._lost(worker)
            raise Busy(f"too many slow queries are running (at most {self.limits.max_slow_per_client} per client "
                       f"and {self.limits.max_slow} in all); this one was stopped; try again later", 10)

    def _forget_slow(self, client: str | None, slow: bool) -> None:
        if not slow:
            return
        with self._cond:
            left = self._state.slow.get(client, 0) - 1
            if left > 0:
                self._state.slow[client] = left
            else:
                self._state.slow.pop(client, None)

    # --- State ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def live_workers(self) -> int:
        """Workers started and alive (busy or idle)."""
        with self._cond:
            return sum(1 for worker in self._all if worker.process.is_alive())

    def idle_workers(self) -> int:
        with self._cond:
            return len(self._state.idle)

    def slow_calls(self) -> int:
        with self._cond:
            return self._state.slow_total

    def pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._all if w.process.pid]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._cond.notify_all()
        for worker in workers:
            worker.kill()


def _outcome(status: str, payload: Any) -> Any:
    if status == "ok":
        return payload
    if status in ("service-error", "retire"):
        from .service import ServiceError

        raise ServiceError(*payload)
    raise WorkerFailed(payload)
