"""Run the web application under a production HTTP server: granian (default), gunicorn or waitress.

Why granian: bench/bench_endpoint.py --servers compares the three on the same app, interleaved in
one run (bench/results/http-servers.json; docs/server.md has the figures). granian parses HTTP and
manages connections in Rust, so the Python threads only run the application; waitress and
gunicorn do both in Python, and under load their HTTP layer took more time than the query.
The queries run in their own killable worker processes (workers.py), so the front end is one
process with threads (granian: one worker process, ``threads`` blocking threads); forking copies
of the app would start copies of every query worker.

The body limit is enforced before the body is read: web.BodyLimit answers 413 from the declared
Content-Length, and granian hands the body to the application as a stream, read only on demand
(waitress, which reads whole bodies first, is given the limit itself).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import time
from functools import partial

from .config import Settings

log = logging.getLogger("eurasia_kg.server")
HTTP_SERVERS = ("granian", "gunicorn", "waitress")


class PortBusy(Exception):
    def __init__(self, host: str, port: int):
        super().__init__(f"port {port} on {host} is already in use (another server is running there?); "
                         f"choose another with --port, e.g. 'eurasia-kg serve --port {port + 1}' "
                         f"or 'make serve PORT={port + 1}'")


def check_port(host: str, port: int) -> None:
    """Raise PortBusy if nothing can listen on host:port (checked before the server starts its workers)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortBusy(host, port) from None
            raise


def load_app(settings: Settings, started: float, relay_signals: bool = False):
    """The application, made in the server's worker process (a picklable loader for granian)."""
    from .web import create_app

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout, force=True)
    if relay_signals:
        _relay_signals_to_the_main_thread()
    app = create_app(settings)
    log.info("eurasia-kg ready in %.2f s: http://%s:%d/ (SPARQL at /sparql)", time.perf_counter() - started,
             settings.host, settings.port)
    return app


def _relay_signals_to_the_main_thread() -> None:
    """Make Ctrl-C and SIGTERM reach granian's worker, whose main thread waits on a lock for them.

    The kernel delivers a signal sent to the process to any thread that does not block it, often
    one of granian's Rust threads; Python then notes it, but the main thread, asleep in a lock,
    never runs the handler. Python writes the number of every signal it catches to the wakeup fd;
    a thread reading it sends the signal again to the main thread itself, which wakes and runs
    granian's handler (a shutdown)."""
    import os
    import signal
    import threading

    from .workers import quiet_thread

    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    main = threading.main_thread().ident

    def relay() -> None:
        relayed: dict[int, float] = {}
        while True:
            for number in os.read(read, 64):
                # Once a second at most: the signal sent on is caught again, and written here again.
                if number in (signal.SIGINT, signal.SIGTERM) and time.monotonic() - relayed.get(number, 0.0) > 1.0:
                    relayed[number] = time.monotonic()
                    signal.pthread_kill(main, number)

    quiet_thread(relay, "signal-relay")


def _prepare_dataset(settings: Settings, dataset) -> None:
    """Bring the one dataset up to date with dist/, and refuse to serve one that holds nothing at all.

    Done in a forked child: opening and writing a store starts RocksDB's and pyoxigraph's threads,
    and the HTTP server then forks its worker from this process; a fork keeps no threads, so a store
    touched here would hang for good in the worker the first time it needs them (a rebuild's sync)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child ends with os._exit)
        os.close(read)
        message = b""
        try:
            dataset.require_data(dataset.open_dataset(settings), settings.dist_dir)
        except (dataset.DatasetError, FileNotFoundError) as exc:
            message = str(exc).encode()
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}".encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        message = answer.read()
    os.waitpid(child, 0)
    if message:
        raise dataset.DatasetError(message.decode())


def serve(settings: Settings) -> None:
    """Serve until stopped; PortBusy if the port is taken, KeyboardInterrupt on Ctrl-C (the CLI exits quietly)."""
    from . import dataset

    if settings.http_server not in HTTP_SERVERS:
        raise ValueError(f"unknown HTTP server {settings.http_server!r}; choose one of {', '.join(HTTP_SERVERS)}")
    check_port(settings.host, settings.port)
    started = time.perf_counter()
    _prepare_dataset(settings, dataset)
    {"granian": _granian, "gunicorn": _gunicorn, "waitress": _waitress}[settings.http_server](settings, started)


def _granian(settings: Settings, started: float) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    server = Server("eurasia_kg.web:create_app", address=settings.host, port=settings.port,
                    interface=Interfaces.WSGI, workers=1, blocking_threads=settings.threads,
                    backpressure=max(settings.threads, settings.queue_limit), log_level=LogLevels.error,
                    respawn_failed_workers=True, workers_kill_timeout=10)
    try:
        server.serve(target_loader=partial(load_app, settings, started, True), wrap_loader=False)
    except SystemExit as exc:  # granian exits 1 after Ctrl-C when its worker stopped on the signal too
        if exc.code not in (0, 1, None):
            raise


def _waitress(settings: Settings, started: float) -> None:
    from waitress import serve as waitress_serve

    app = load_app(settings, started)
    waitress_serve(app, host=settings.host, port=settings.port, threads=settings.threads, ident="eurasia-kg",
                   clear_untrusted_proxy_headers=True, max_request_body_size=settings.max_body)


def _gunicorn(settings: Settings, started: float) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"{settings.host}:{settings.port}", "workers": 1, "threads": settings.threads,
                               "worker_class": "gthread", "accesslog": None, "loglevel": "warning",
                               "keepalive": 5}.items():
                self.cfg.set(key, value)

        def load(self):
            return load_app(settings, started)

    Application().run()
