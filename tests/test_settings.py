"""Secrets come from the environment; production refuses placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from shared.settings import DEV_JWT_SIGNING_KEY, DEV_PII_KEY, Environment, Settings
from shared.signing_keys import new_private_text, private_key, public_text

DEV_PUBLIC = public_text(private_key(DEV_JWT_SIGNING_KEY))


def test_production_refuses_placeholder_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SIGNING_KEY", "change-me-jwt-signing-key")
    with pytest.raises(ValidationError, match="JWT_SIGNING_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("JWT_SIGNING_KEY", new_private_text())
    monkeypatch.setenv("JWT_VERIFY_KEYS", "change-me")
    with pytest.raises(ValidationError, match="JWT_VERIFY_KEYS"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_keys_that_do_not_fit_together_are_refused_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process that is not the person issuer must be given the issuer's public key (or no
    login would verify), in dev as in production; a trusted dev key is refused in production."""
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("JWT_KEY_ID", "evaluation")
    monkeypatch.setenv("JWT_SIGNING_KEY", new_private_text())
    with pytest.raises(ValidationError, match="no key for JWT_PERSON_ISSUER"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("JWT_VERIFY_KEYS", f"reform_tasks:{DEV_PUBLIC}")
    assert "reform_tasks" in Settings(_env_file=None).key_ring.verifying  # type: ignore[call-arg]
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="must not trust the dev key"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_production_refuses_dev_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    with pytest.raises(ValidationError, match="dev"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SIGNING_KEY", new_private_text())
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("EVIDENCE_SCANNER", "command")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment is Environment.production
    assert settings.jwt_signing_key != DEV_JWT_SIGNING_KEY
    # The migration job signs nothing: no key at all, only the issuer's public one.
    monkeypatch.setenv("JWT_SIGNING_KEY", "")
    monkeypatch.setenv("JWT_KEY_ID", "migrate")
    monkeypatch.setenv(
        "JWT_VERIFY_KEYS", f"reform_tasks:{public_text(private_key(new_private_text()))}"
    )
    assert Settings(_env_file=None).key_ring.signing is None  # type: ignore[call-arg]


def test_without_environment_the_dev_secrets_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #23 (fail closed): a process not told its environment gets production's rules."""
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    with pytest.raises(ValidationError, match="ENVIRONMENT is not set") as refused:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "JWT_SIGNING_KEY" in str(refused.value)
    monkeypatch.setenv("ENVIRONMENT", "dev")  # dev mode said out loud: the dev secrets serve
    assert Settings(_env_file=None).jwt_signing_key == DEV_JWT_SIGNING_KEY  # type: ignore[call-arg]


def test_make_up_writes_dev_mode_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import devstack

    monkeypatch.setattr(devstack, "VAR_DIR", tmp_path)
    monkeypatch.setattr(devstack, "DEV_ENV_FILE", tmp_path / "dev.env")
    kept = Fernet.generate_key().decode()
    (tmp_path / "dev.env").write_text(f"PII_ENCRYPTION_KEY={kept}\nJWT_SECRET=of-before-eddsa\n")
    devstack.ensure_dev_secrets()
    written = (tmp_path / "dev.env").read_text()
    assert "ENVIRONMENT=dev\n" in written
    assert f"PII_ENCRYPTION_KEY={kept}\n" in written  # kept: data sealed with it stays readable
    assert "JWT_SECRET" not in written
    assert devstack.read_dev_env() == dict(
        line.split("=", 1) for line in written.splitlines() if not line.startswith("#")
    )


def test_make_up_gives_each_process_its_own_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import devstack

    monkeypatch.setattr(devstack, "VAR_DIR", tmp_path)
    monkeypatch.setattr(devstack, "DEV_ENV_FILE", tmp_path / "dev.env")
    devstack.ensure_dev_secrets()
    first = (tmp_path / "dev.env").read_text()
    devstack.ensure_dev_secrets()
    assert (tmp_path / "dev.env").read_text() == first  # generated once, then reused
    base = {"ENVIRONMENT": "dev", **devstack.read_dev_env()}
    processes = ("reform_tasks", "evaluation", "hotline_ingest", "scheduler")
    made = {
        name: Settings(_env_file=None, **_lower(devstack.process_env(base, name)))  # type: ignore[arg-type]
        for name in processes
    }
    assert len({made[name].jwt_signing_key for name in processes}) == 4
    for name, settings in made.items():
        assert settings.key_ring.key_id == name
        assert set(settings.key_ring.verifying) == set(processes)


def _lower(env: dict[str, str]) -> dict[str, str]:
    fields = Settings.model_fields
    return {k.lower(): v for k, v in env.items() if k.lower() in fields}


def test_production_requires_a_virus_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/reform")
    monkeypatch.setenv("JWT_SIGNING_KEY", new_private_text())
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(ValidationError, match="EVIDENCE_SCANNER must be command"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("EVIDENCE_SCANNER", "command")
    assert Settings(_env_file=None).evidence_scanner == "command"  # type: ignore[call-arg]


def test_dev_defaults_are_usable() -> None:
    Fernet(DEV_PII_KEY.encode())  # a valid key, so dev encrypts for real


def test_environment_wins_over_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "dev.env"
    env_file.write_text("JWT_KEY_ID=from-generated-file\nHOTLINE_WEBHOOK_SECRETS=whsec_file\n")
    monkeypatch.setenv("HOTLINE_WEBHOOK_SECRETS", "whsec_env")
    monkeypatch.setenv("JWT_VERIFY_KEYS", f"reform_tasks:{DEV_PUBLIC}")
    monkeypatch.delenv("JWT_KEY_ID", raising=False)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.hotline_webhook_secrets == "whsec_env"
    assert settings.jwt_key_id == "from-generated-file"


def test_the_hotline_limits_name_every_kind_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A kind left out of a limit would fall back to a guess and a misspelt one never apply:
    both are refused at start, with the names (issue #26: limits the office edits)."""
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("HOTLINE_RESPONSE_DAYS", '{"consult": 1, "complain": 2}')
    with pytest.raises(ValidationError, match=r"unknown complain.*no limit for complaint"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("HOTLINE_RESPONSE_DAYS")
    monkeypatch.setenv("HOTLINE_URGENT_SIGNING_MINUTES", '{"normal": 60}')
    with pytest.raises(ValidationError, match="HOTLINE_URGENT_SIGNING_MINUTES: unknown normal"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("HOTLINE_URGENT_SIGNING_MINUTES", '{"utilities": 0}')
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("HOTLINE_URGENT_SIGNING_MINUTES", '{"utilities": 20}')
    assert Settings(_env_file=None).hotline_urgent_signing_minutes == {"utilities": 20}  # type: ignore[call-arg]
