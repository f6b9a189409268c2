"""Serving with several worker processes: each rebuilds the same settings from the
environment (no server is started here)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from chain_brain.api.app import _settings_env, serve
from chain_brain.settings import Settings
from graph_schema.errors import ValidationError


def test_workers_rebuild_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    given = Settings(
        store="bolt://127.0.0.1:7999",
        neo4j_user="reader",
        neo4j_password=SecretStr("s3cret-value"),
        home_countries=("CHN", "USA"),
        api_keys_file="keys.json",
        rate_limit_per_minute=42,
    )
    env = _settings_env(given)
    assert env["CHAIN_BRAIN_NEO4J_PASSWORD"] == "s3cret-value"
    for name in list(env):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rebuilt = Settings(_env_file=None)  # type: ignore[call-arg]
    assert rebuilt.model_dump() == given.model_dump()
    assert rebuilt.neo4j_password is not None
    assert rebuilt.neo4j_password.get_secret_value() == "s3cret-value"


def test_serve_refuses_no_workers() -> None:
    with pytest.raises(ValidationError, match="workers must be >= 1, got 0"):
        serve(Settings(), workers=0)
