"""Configuration from `CUSTGRAPH_*` environment variables and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed development default keeps `make run` a one-command start; `serve` warns
# when it is used on anything but a loopback address.
DEV_SECRET_KEY = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTGRAPH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///custgraph.db",
        description="SQLAlchemy URL; sqlite+aiosqlite:///file.db or postgresql+asyncpg://…",
    )
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    smtp_url: str | None = None
    mail_from: str | None = None  # From of emails; overrides the SMTP URL's `from` parameter
    # Each server process delivers the outbox in the background; turn it off where a
    # separate `custgraph deliver` runs instead.
    delivery_worker: bool = True
    delivery_interval_seconds: float = Field(default=2.0, gt=0)
    public_url: str = "http://127.0.0.1:8000"
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    graphiql_enabled: bool = True
    graphiql_assets_dir: Path | None = None
    db_pool_size: int = 10
    db_echo: bool = False
    log_level: str = "INFO"
    # Customers in these discount groups have contract addresses that only the ERP
    # changes; the API refuses address changes for them.
    address_locked_discount_groups: list[str] = ["CONTRACT"]

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        # HS256 wants a key of at least 32 bytes; a short one is guessable offline.
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("CUSTGRAPH_SECRET_KEY must be at least 32 bytes long")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
