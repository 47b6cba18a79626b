"""What a new user meets in the first hour, outside the server: the README's example, the install,
and the build's output."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from .conftest import ROOT

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def test_readme_example_query_is_the_file_it_points_to():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Example query"):]
    section = section[: section.index("\n## ", 4)]
    blocks = dict((info.strip(), body) for info, body in FENCE.findall(section))
    named = re.search(r"eurasia-kg query -f (\S+\.rq)", blocks["sh"]).group(1)
    assert blocks["sparql"] == (ROOT / named).read_text(encoding="utf-8")


def test_project_licence_is_an_spdx_expression():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT AND CC-BY-4.0"
    assert all((ROOT / name).is_file() for name in project["project"]["license-files"])


def test_packaging_metadata_builds_without_a_warning(tmp_path):
    """The metadata step of `pip install`, run by the same setuptools, with every warning an error."""
    setuptools = pytest.importorskip("setuptools", reason="setuptools is part of the test environment")
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"][0]
    minimum = tuple(int(x) for x in required.split(">=")[1].split("."))
    if tuple(int(x) for x in setuptools.__version__.split(".")[:len(minimum)]) < minimum:
        pytest.skip(f"setuptools {setuptools.__version__} is older than the build needs ({required}); "
                    "pip installs with the newer one in its isolated build environment")
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Deprecat" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    metadata = (tmp_path / proc.stdout.strip().splitlines()[-1] / "METADATA").read_text()
    assert "License-Expression: MIT AND CC-BY-4.0" in metadata


def test_build_output_has_no_stray_log_lines(tmp_path):
    """`eurasia-kg build` prints its summary on stdout and nothing on stderr, pyLODE included."""
    proc = subprocess.run([sys.executable, "-m", "eurasia_kg.cli", "build", "--root", str(ROOT),
                           "--dist", str(tmp_path / "dist"), "--pylode", "--no-reason"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"Built {tmp_path / 'dist'}\n")
    assert not re.search(r"^(DEBUG|INFO|WARNING):", proc.stdout, re.MULTILINE)
    assert (tmp_path / "dist" / "ontology.html").is_file()
