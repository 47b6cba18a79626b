"""Start the real server process (``eurasia-kg serve``) for a test, and stop it after."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

READY = re.compile(r"eurasia-kg ready in [\d.]+ s: http://127\.0\.0\.1:(\d+)/")
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Running:
    process: subprocess.Popen
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """Every process of the server: its session holds the front end and all the workers."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[3]) == self.process.pid:  # the session id
                        found.append(int(entry.name))
        return found

    def rss_bytes(self) -> int:
        """Resident memory of all the server's processes, added up."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total


def command(dist: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "eurasia_kg.cli", "serve", "--dist", str(dist), "--root", str(ROOT),
            "--port", str(port), "--host", "127.0.0.1", *extra]


@contextlib.contextmanager
def running_server(dist: Path, *extra: str, env: dict | None = None, ready_timeout: float = 60) -> Iterator[Running]:
    """The server on a free port, in a session of its own (so that stopping it stops its workers)."""
    port = free_port()
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    environment.pop("EURASIA_KG_UPDATE_TOKEN", None)
    process = subprocess.Popen(command(dist, port, *extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=environment, cwd=ROOT, start_new_session=True)
    server = Running(process, port)
    ready: queue.Queue[bool] = queue.Queue()

    def pump() -> None:  # read every line, so that the pipe never fills
        for line in process.stdout:
            server.log.append(line)
            if READY.search(line):
                ready.put(True)
        ready.put(False)

    threading.Thread(target=pump, daemon=True).start()
    try:
        started = ready.get(timeout=ready_timeout)
    except queue.Empty:
        started = False
    try:
        if not started:
            raise RuntimeError("the server did not say it was ready:\n" + "".join(server.log))
        wait_until_answering(server.base + "/sparql?query=ASK%7B%7D")
        yield server
    finally:
        stop(server)


def stop(server: Running) -> None:
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # workers left behind, if any
        os.killpg(server.process.pid, signal.SIGKILL)
    if server.process.stdout is not None:
        server.process.stdout.close()


def wait_until_answering(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
