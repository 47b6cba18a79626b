"""The first hour with ``eurasia-kg serve``: a busy port and Ctrl-C give a clear line, never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

from .running_server import command, free_port, running_server


def test_a_busy_port_is_one_clear_line_and_exit_2(built, settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(command(settings.dist_dir, port), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0] and "already in use" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_ctrl_c_stops_the_server_and_its_workers_cleanly(built, settings):
    with running_server(settings.dist_dir, "--workers", "2") as server:
        pids = server.pids()
        assert len(pids) >= 4  # the HTTP server, its worker, the query workers
        os.killpg(server.process.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
        assert server.process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while server.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.pids() == []
        output = "".join(server.log)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output


def test_nothing_to_serve_is_one_clear_line_and_exit_2(tmp_path):
    """No build and an empty store."""
    done = subprocess.run(command(tmp_path / "no-dist", free_port(), "--store", str(tmp_path / "empty-store")),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "eurasia-kg build" in done.stderr and "Traceback" not in done.stderr
