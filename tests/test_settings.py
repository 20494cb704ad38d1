"""Secrets come from the environment; production refuses placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from shared.settings import DEV_JWT_SECRET, DEV_PII_KEY, Environment, Settings


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SECRET", "change-me-please-change-me-please-change-me")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_production_refuses_dev_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    with pytest.raises(ValidationError, match="dev"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SECRET", "q8Jx1v0mN4r7TzW2pK9sL6dF3gH5jC0bV8nM1aQ4wE7")
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment is Environment.production
    assert settings.jwt_secret not in (DEV_JWT_SECRET,)


def test_dev_defaults_are_usable() -> None:
    Fernet(DEV_PII_KEY.encode())  # a valid key, so dev encrypts for real


def test_environment_wins_over_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "dev.env"
    env_file.write_text("JWT_SECRET=from-generated-file\nHOTLINE_WEBHOOK_SECRETS=whsec_file\n")
    monkeypatch.setenv("HOTLINE_WEBHOOK_SECRETS", "whsec_env")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.hotline_webhook_secrets == "whsec_env"
    assert settings.jwt_secret == "from-generated-file"
