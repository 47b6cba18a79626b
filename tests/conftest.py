"""Shared fixtures: one build of the real graph per test session, in a temporary dist/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from eurasia_kg.build import build
from eurasia_kg.config import Settings
from eurasia_kg.store import KnowledgeStore

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ARTICLE = SHARED / "sources" / "avim-blog-2013-23-iran-relations-with-russia.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_or_skip(path: Path) -> Path:
    """Tests on ../shared skip when it is absent, except in CI, where its absence is a failure."""
    if path.exists():
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing, and CI is set: the shared test data must be present")
    pytest.skip(f"{path} is absent (../shared is not checked out beside the project)")


@pytest.fixture(scope="session", autouse=True)
def _no_user_data(tmp_path_factory):
    """Tests never touch the user's data: the per-user data directory (where the default store
    lives) points into a temporary directory for the whole session, for every server a test starts
    too, and the user's own EURASIA_KG_* settings are set aside."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data-home")))
        for name in [n for n in os.environ if n.startswith("EURASIA_KG_")]:
            patch.delenv(name)
        # A command run without --dist reads no build: not the user's ROOT/dist (a test that wants
        # the session's build says --dist).
        patch.setenv("EURASIA_KG_DIST", str(tmp_path_factory.mktemp("no-build") / "dist"))
        yield


@pytest.fixture(scope="session", autouse=True)
def _buffered_test_clients():
    """Flask's test client leaves a streamed body (a file sent by send_file) open until the response is
    closed; tests read whole answers, so let the client read and close every body (warnings are
    errors here, ResourceWarning included)."""
    from flask.testing import FlaskClient

    unbuffered = FlaskClient.open

    def buffered_open(self, *args, buffered: bool = True, **kwargs):
        return unbuffered(self, *args, buffered=buffered, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FlaskClient, "open", buffered_open)
        yield


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(root=ROOT, dist=tmp_path_factory.mktemp("dist") / "dist", pylode=False)


@pytest.fixture(scope="session")
def built(settings):
    """The build report of the real graph (built once per session)."""
    return build(settings, force=True)


@pytest.fixture(scope="session")
def kg(built, settings) -> KnowledgeStore:
    return KnowledgeStore.from_dist(settings.dist_dir)


@pytest.fixture(scope="session")
def article_text() -> str:
    return shared_or_skip(ARTICLE).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- real triple stores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            pytest.fail(f"the server for {url} exited with {process.returncode}:\n{detail}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer in {seconds} s")


OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


@pytest.fixture
def oxigraph_server(tmp_path) -> Iterator[str]:
    """A real Oxigraph server (the `oxigraph` command from PyPI) on a free port, with a fresh store."""
    if not Path(OXIGRAPH).exists():
        pytest.fail("the 'oxigraph' command (PyPI package oxigraph) is not installed; `make test` installs it")
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "oxigraph"), "--bind",
                                f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/query?query=ASK%7B%7D", process=process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


VIRTUOSO = shutil.which("virtuoso-t")
VIRTUOSO_ISQL = shutil.which("isql-vt") or shutil.which("isql")
VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
DirsAllowed = ., {d}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxQueryMem = 500M
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""
# The SPARQL endpoint's user may update, and the Graph Store endpoint may be used without a login:
# what a test store needs, never a production setting (docs/remote-stores.md).
VIRTUOSO_GRANTS = ('GRANT SPARQL_UPDATE TO "SPARQL"; GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL"; '
                   "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")


@pytest.fixture
def virtuoso_server(tmp_path) -> Iterator[str]:
    """A real Virtuoso (Debian's virtuoso-opensource) with a temporary database on free ports."""
    if VIRTUOSO is None or VIRTUOSO_ISQL is None:
        if os.environ.get("CI"):
            pytest.fail("virtuoso-t is missing, and CI is set: .ci/run installs virtuoso-opensource")
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource; .ci/run does it)")
    directory = tmp_path / "virtuoso"
    directory.mkdir()
    sql_port, http_port = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port))
    log = directory / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen([VIRTUOSO, "+configfile", str(directory / "virtuoso.ini"), "+foreground"],
                                   cwd=directory, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(base + "/sparql?query=ASK%7B%7D", process=process, log=directory / "virtuoso.log")
        granted = subprocess.run([VIRTUOSO_ISQL, str(sql_port), "dba", "dba", f"exec={VIRTUOSO_GRANTS}"],
                                 capture_output=True, text=True, timeout=60)
        assert granted.returncode == 0, granted.stdout + granted.stderr
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
