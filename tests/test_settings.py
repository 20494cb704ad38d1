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
    monkeypatch.setenv("EVIDENCE_SCANNER", "command")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment is Environment.production
    assert settings.jwt_secret not in (DEV_JWT_SECRET,)


def test_without_environment_the_dev_secrets_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #23 (fail closed): a process not told its environment gets production's rules."""
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    with pytest.raises(ValidationError, match="ENVIRONMENT is not set") as refused:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "JWT_SECRET" in str(refused.value)
    monkeypatch.setenv("ENVIRONMENT", "dev")  # dev mode said out loud: the dev secrets serve
    assert Settings(_env_file=None).jwt_secret == DEV_JWT_SECRET  # type: ignore[call-arg]


def test_make_up_writes_dev_mode_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import devstack

    monkeypatch.setattr(devstack, "VAR_DIR", tmp_path)
    monkeypatch.setattr(devstack, "DEV_ENV_FILE", tmp_path / "dev.env")
    (tmp_path / "dev.env").write_text("JWT_SECRET=kept-from-an-earlier-make-up-0123456789abc\n")
    devstack.ensure_dev_secrets()
    written = (tmp_path / "dev.env").read_text()
    assert "ENVIRONMENT=dev\n" in written
    assert "JWT_SECRET=kept-from-an-earlier-make-up-0123456789abc\n" in written


def test_production_requires_a_virus_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SECRET", "a-real-secret-for-this-test-only-0123456789abcdef")
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(ValidationError, match="EVIDENCE_SCANNER must be command"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("EVIDENCE_SCANNER", "command")
    assert Settings(_env_file=None).evidence_scanner == "command"  # type: ignore[call-arg]


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
