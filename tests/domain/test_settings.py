"""Configuration refuses what would be unsafe."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from custgraph.settings import Settings


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(secret_key="short")


def test_settings_come_from_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTGRAPH_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    monkeypatch.setenv("CUSTGRAPH_CURRENCY", "CHF")
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///elsewhere.db"
    assert settings.currency == "CHF"
