"""Settings of chain-brain, from arguments, environment (``CHAIN_BRAIN_*``) or a .env file.

Nothing reads them at import time: the CLI and ``create_app(settings)`` build a
:class:`Settings` and pass it down.
"""

from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "DEFAULT_STORE"]

DEFAULT_STORE = ".chain-brain/chain-brain.db"


class Settings(BaseSettings):
    """Configuration.  Secrets have no defaults; placeholders are refused outside development."""

    model_config = SettingsConfigDict(env_prefix="CHAIN_BRAIN_", env_file=".env", extra="ignore")

    environment: str = "development"
    store: str = DEFAULT_STORE
    neo4j_user: str | None = None
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    home_countries: tuple[str, ...] = ("CHN",)
    api_keys_file: str | None = None
    max_request_bytes: int = 50 * 1024 * 1024
    rate_limit_per_minute: int = 600

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment != "development" and self.neo4j_password is not None:
            value = self.neo4j_password.get_secret_value()
            if value in {"", "changeme", "password", "neo4j"}:
                raise ValueError(
                    f"CHAIN_BRAIN_NEO4J_PASSWORD is a placeholder ({value!r}) in environment "
                    f"{self.environment!r}; set a real secret."
                )
        return self

    def open_store(self, *, migrate: bool = False):  # noqa: ANN201 - returns GraphStore; import kept lazy
        from chain_brain.store import open_store

        password = self.neo4j_password.get_secret_value() if self.neo4j_password else None
        return open_store(
            self.store,
            user=self.neo4j_user,
            password=password,
            database=self.neo4j_database,
            migrate=migrate,
        )
