"""The worker side of workers.WorkerPool: the process that holds a service and runs its calls.

Started from the fork server with ``worker_main``; it runs each call named in the service's
``CALLS`` on a thread with a deep stack, answers with plain values, and knows nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# The thread that runs calls in a worker has a stack deep enough for pyoxigraph's recursive parser
# to read a query of 20,000 nested brackets (max_query_length's default) without overflowing:
# sparql_checks refuses such queries first; this stops any its lexer could misjudge from killing
# the worker. Only the pages used are ever allocated.
WORKER_STACK_BYTES = 512 * 1024 * 1024


def _apply_memory_limit(limit: int | None) -> None:
    """A hard stop at twice the limit on resident memory the pool watches (allocation fails beyond it)."""
    if limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * limit, 2 * limit))


def resident_bytes(pid: int | None) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def _near_limit(memory_limit: int | None) -> bool:
    """Whether this process has used nine tenths of its address space (twice memory_limit, see
    _apply_memory_limit): C code that fails to allocate
    does not always raise MemoryError (SystemError, RuntimeError…), so its failures are read as that."""
    if not memory_limit:
        return False
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") > 1.8 * memory_limit
    return False


def _serve(conn: Connection, factory: Callable[..., Any], args: dict[str, Any], memory_limit: int | None) -> None:
    from .service import ServiceError

    out_of_memory = ("too-large", "the request needs more memory than the server allows for it")

    service = factory(**args)
    calls = service.CALLS
    conn.send(("ready", None))
    while True:
        try:
            method, call_args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        if method not in calls:
            conn.send(("error", f"no such call: {method}"))
            continue
        try:
            conn.send(("ok", getattr(service, method)(*call_args, **kwargs)))
        except ServiceError as exc:
            conn.send(("service-error", (exc.kind, exc.message)))
        except MemoryError:
            # Past its memory limit the process may be in any state: answer, then end; the pool replaces it.
            conn.send(("retire", out_of_memory))
            return
        except RecursionError:
            conn.send(("service-error", ("rejected", "the input is nested too deeply")))
        except Exception as exc:  # report, keep serving: one bad call must not take the worker down
            if _near_limit(memory_limit):
                conn.send(("retire", out_of_memory))
                return
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def worker_main(conn: Connection, factory: Callable[..., Any], args: dict[str, Any],
                 memory_limit: int | None, stack_bytes: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the web process stops the workers.
    # Ignored first, then unblocked (the fork server was started from a thread that blocks both,
    # see quiet_thread), so that a Ctrl-C already pending is dropped; SIGTERM must still stop a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _apply_memory_limit(memory_limit)
    from .sparql_checks import raise_recursion_limit

    raise_recursion_limit()
    threading.stack_size(stack_bytes)
    runner = threading.Thread(target=_serve, args=(conn, factory, args, memory_limit), name="calls")
    runner.start()
    runner.join()
