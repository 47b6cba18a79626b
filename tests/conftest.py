"""Shared fixtures: one build of the real graph per test session, in a temporary dist/."""

from __future__ import annotations

import os
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
