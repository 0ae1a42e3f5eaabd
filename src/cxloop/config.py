"""Settings from the environment and the workspace file.

Precedence: environment (``CXLOOP_*``) > ``$CXLOOP_HOME/cxloop.toml`` > defaults. The default
database is an SQLite file inside the workspace; PostgreSQL works by changing only the URL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

WORKSPACE_FILE = "cxloop.toml"


def _home_from_env() -> Path:
    return Path(os.environ.get("CXLOOP_HOME", ".cxloop")).expanduser()


class Settings(BaseSettings):
    """Everything configurable. Construct with keyword arguments in tests (they win)."""

    model_config = SettingsConfigDict(env_prefix="CXLOOP_", extra="ignore")

    home: Path = Field(default_factory=_home_from_env, description="workspace folder")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL")
    secret_key: str | None = Field(default=None, description="signing key for links and sessions")
    smtp_url: str | None = Field(default=None, description="smtp://user:pass@host:port")
    mail_from: str = "cx@cxloop.local"
    keep_original_text: bool = Field(
        default=True, description="store unredacted text (redacted text is always what is shown)"
    )
    text_backend: str = "fast"
    text_adapted: Path | None = Field(
        default=None,
        description="model file made by 'cxloop text adapt' that both text backends use",
    )
    base_url: str = "http://127.0.0.1:8000"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _home_from_env() / WORKSPACE_FILE
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
            file_secret_settings,
        )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'cxloop.db').resolve()}"

    @property
    def signing_key(self) -> bytes:
        """The secret for signed links and cookies; created once per workspace if not set.

        A plain property (not cached) so a copy with another ``secret_key`` signs with it."""
        if self.secret_key:
            return self.secret_key.encode()
        key_file = self.home / "secret.key"
        if key_file.exists():
            return key_file.read_text().strip().encode()
        self.home.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        key_file.write_text(value)
        key_file.chmod(0o600)
        return value.encode()

    def redacted(self) -> dict[str, Any]:
        """Settings safe to print: secrets and passwords in URLs are masked."""
        data = self.model_dump()
        data["secret_key"] = "***" if self.secret_key else None
        for key in ("database_url", "smtp_url"):
            if data.get(key) and "@" in data[key]:
                scheme, rest = data[key].split("://", 1)
                data[key] = f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return data


def get_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
