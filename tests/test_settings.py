"""Settings are declared once: docs/settings.md and the environment follow SETTINGS."""

from __future__ import annotations

from pathlib import Path

from eurasia_kg.config import SETTINGS, Settings, settings_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_docs_settings_table_matches_the_declaration():
    text = DOC.read_text(encoding="utf-8")
    start = text.index("-->\n", text.index("<!-- settings-table")) + len("-->\n")
    end = text.index("<!-- /settings-table -->")
    assert text[start:end] == settings_table()


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("EURASIA_KG_QUERY_TIMEOUT", "2.5")
    monkeypatch.setenv("EURASIA_KG_REASON", "off")
    monkeypatch.setenv("EURASIA_KG_SERVICE_ALLOWLIST", "http://a.example/,http://b.example/")
    settings = Settings.from_env()
    assert settings.query_timeout == 2.5
    assert settings.reason is False
    assert settings.service_allowlist == ("http://a.example/", "http://b.example/")


def test_explicit_values_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("EURASIA_KG_PORT", "9000")
    assert Settings.from_env(port=8001).port == 8001


def test_every_setting_has_help_and_a_known_kind():
    assert all(s.help.endswith(".") for s in SETTINGS)
    assert {s.kind for s in SETTINGS} <= {"path", "paths", "bool", "int", "float", "str", "strs"}
