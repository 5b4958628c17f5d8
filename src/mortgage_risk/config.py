"""Typed settings read from MORTGAGE_RISK_* environment variables; nothing is built at import."""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_root() -> Path:
    """The checkout this package runs from (where pyproject.toml is), else the working dir."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    return Path.cwd()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MORTGAGE_RISK_", extra="ignore")

    var_dir: Path = Field(default_factory=lambda: project_root() / "var")
    database_url: str = ""
    secret_key: str = ""
    demo_loans: int = 20_000
    demo_seed: int = 42
    as_of: date | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    session_max_age_seconds: int = 8 * 3600
    #: A login session ends after this long without a request (pages return to the login).
    session_idle_timeout_seconds: int = 30 * 60
    #: The 70-city house price series that stands in for the county (a nearby city).
    price_index_city: str = "桂林"
    price_index_house_type: str = "二手房"
    price_index_segment: str = "整体"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'mortgage_risk.db'}"

    def resolved_secret_key(self) -> str:
        """The session-signing key: from the environment, else kept in var/secret_key."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def parquet_dir(self) -> Path:
        return self.var_dir / "parquet"

    def resolved_as_of(self) -> date:
        return self.as_of or date.today()


@lru_cache
def get_settings() -> Settings:
    return Settings()
