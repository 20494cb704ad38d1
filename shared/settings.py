"""Settings for every process, from the environment and `.env` files.

Precedence (pydantic-settings): a variable set in the environment always wins over `.env`, which
wins over `var/dev.env` (the secrets `make up` generates on first run), which wins over defaults.
Outside dev and test, placeholder or missing secrets stop the process at start-up.
"""

from __future__ import annotations

import base64
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.appeals import APPEAL_KINDS, URGENCIES
from shared.signing_keys import KeyRing, key_ring, private_key, public_text

WorkingDays = Annotated[int, Field(ge=0, le=60)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
DEV_ENV_FILE = VAR_DIR / "dev.env"

# Only ever used when ENVIRONMENT is dev or test; production refuses them.
# The dev signing key's seed is public (it is in this file): dev and test only.
DEV_JWT_SIGNING_KEY = base64.urlsafe_b64encode(b"dev-only-jwt-signing-key-32bytes").decode()[:43]
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMDEyMzQ="
PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "dev-only", "example", "xxx")

# A second checkout on the same machine can move its embedded PostgreSQL (EMBEDDED_PG_PORT).
EMBEDDED_PG_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "54329"))


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    production = "production"


# The most events one `/internal/events/batch` request may carry (its model, shared.events).
EVENT_BATCH_MAX = 500


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(DEV_ENV_FILE, REPO_ROOT / ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # No default: a process that is not told (ENVIRONMENT=dev, test or production) is held to
    # production's rules, so it never runs on the public dev secrets by accident (fail closed).
    # `make up` writes ENVIRONMENT=dev into var/dev.env; the test suite sets test.
    environment: Environment | None = None
    # Empty means: the embedded PostgreSQL under ./var/pg (dev) started by `make up`.
    database_url: str = ""
    db_pool_size: int = 10
    db_max_overflow: int = 10

    # Tokens are EdDSA (shared/signing_keys.py): this process signs with its own key (empty: it
    # signs nothing, e.g. the migration job) and trusts JWT_VERIFY_KEYS (`name:key,...`) besides
    # its own. Only JWT_PERSON_ISSUER's key may sign a person's token; others sign `service` ones.
    jwt_signing_key: str = DEV_JWT_SIGNING_KEY
    jwt_key_id: str = "reform_tasks"
    jwt_verify_keys: str = ""
    jwt_person_issuer: str = "reform_tasks"
    jwt_issuer: str = "reform-platform"
    jwt_audience: str = "reform-platform"
    jwt_ttl_seconds: int = 8 * 3600

    # Logins (office defaults). argon2 takes 64 MiB and tens of ms of CPU per check: at most
    # this many run at once per process (the rest wait), so a flood cannot exhaust memory.
    auth_hash_concurrency: int = Field(default=2, ge=1, le=16)
    # Failed logins counted per username and per client within the window; past the limit the
    # name (or client) is locked out for the base time, doubling with each further failure.
    login_failure_window_seconds: int = Field(default=900, ge=60)
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_lockout_base_seconds: int = Field(default=60, ge=1)
    login_lockout_max_seconds: int = Field(default=900, ge=1)

    # Office default: how long a process trusts a user's token version before asking the
    # database again (revocation reaches the other processes within this time).
    token_check_seconds: float = Field(default=5, ge=0)

    pii_encryption_key: str = DEV_PII_KEY
    hotline_webhook_secrets: str = ""
    # Webhook group commit: groups of deliveries in flight per process (each one transaction).
    hotline_webhook_groups: int = Field(default=1, ge=1, le=16)
    # Office defaults, no seed gives them (shared.hotline_rates). The signing limit (签收): minutes
    # for an urgent order, by urgency (risk to life or property; water, power, gas and heating),
    # else working days per appeal kind.
    hotline_urgent_signing_minutes: dict[str, Minutes] = Field(
        default_factory=lambda: {"life_property": 15, "utilities": 30}
    )
    hotline_response_days: dict[str, WorkingDays] = Field(
        default_factory=lambda: {
            "consult": 1,
            "help": 1,
            "complaint": 1,
            "suggestion": 1,
            "report": 1,
        }
    )
    # The closing limit (办结): working days to close an order the platform sent no `due_at` for.
    hotline_closing_days: dict[str, WorkingDays] = Field(
        default_factory=lambda: {
            "consult": 3,
            "help": 7,
            "complaint": 15,
            "suggestion": 15,
            "report": 15,
        }
    )
    # 申诉 (issue #26): a unit may appeal its order's dissatisfied visit within this many working
    # days after the visit (office default; no seed gives it).
    hotline_appeal_days: WorkingDays = 5
    # Evidence files a unit may attach to one appeal, each under the evidence rules below
    # (office default; no seed gives it).
    hotline_appeal_max_files: int = Field(default=5, ge=0, le=20)

    # Repeat requests (重复诉求, issue #26): a caller's orders about one matter received within
    # this many days of its first order are repeats of it (office default; no seed gives it).
    hotline_repeat_window_days: int = Field(default=30, ge=1, le=366)
    # 催办 (issue #26): hours after the first reminder to the unit's liaison that an order still
    # past its limit is copied to the unit's leader (office default; no seed gives it).
    hotline_reminder_escalation_hours: int = Field(default=24, ge=1, le=24 * 30)

    reform_tasks_url: str = "http://127.0.0.1:8001"
    evaluation_url: str = "http://127.0.0.1:8002"
    hotline_url: str = "http://127.0.0.1:8003"

    # Office default: the largest request body any route but the upload routes accepts, refused
    # (413) before it is parsed or the token is checked.
    request_body_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    files_dir: Path = VAR_DIR / "files"
    evidence_max_bytes: int = 20 * 1024 * 1024
    evidence_max_files: int = 10
    # File types accepted as evidence (extension, also checked against the file's bytes).
    evidence_allowed_types: list[str] = Field(
        default_factory=lambda: ["pdf", "docx", "xlsx", "doc", "xls", "jpg", "jpeg", "png", "zip"]
    )
    # Virus-scan hook: "none" records files as unscanned (dev only: production refuses it);
    # "command" runs EVIDENCE_SCAN_COMMAND with the file's path appended (exit 0 clean,
    # 1 infected, anything else: scanner unavailable).
    evidence_scanner: Literal["none", "command"] = "none"
    evidence_scan_command: str = "clamdscan --no-summary"
    evidence_scan_timeout_seconds: float = Field(default=120, gt=0)
    # Office default: evidence files a unit may attach to one reply to a supervision (督办回复),
    # each under the evidence rules above. docs/RULES.md: "A supervised unit replies …".
    supervision_reply_max_files: int = Field(default=5, ge=0, le=20)
    log_level: str = "INFO"
    log_json: bool = True

    demo_password: str = "reform2026"  # noqa: S105  (dev demo logins only)

    outbox_relay_enabled: bool = True
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = 500
    outbox_concurrency: int = Field(default=4, ge=1, le=64)
    # events per delivery request, at most what a consumer takes in one (shared.events.EventBatch)
    outbox_post_size: int = Field(default=250, ge=1, le=EVENT_BATCH_MAX)
    http_timeout_seconds: float = 10.0

    # Scheduler (Asia/Shanghai, crontab syntax): a period's report is due at the first fire
    # time after the period ends; missed periods are caught up in order. docs/REPORTS.md.
    scheduler_monthly_dispatch_cron: str = "0 2 1 * *"
    scheduler_quarterly_notice_cron: str = "0 3 1 1,4,7,10 *"
    scheduler_reminders_cron: str = "0 8 * * *"
    # The 12345 sweeps (signing limits passed, orders overdue, 催办): office default every 10
    # minutes, since the shortest signing limit is 15 minutes (risk to life or property).
    scheduler_hotline_sweeps_cron: str = "*/10 * * * *"
    # A run still `running` after this long (its replica died) is treated as failed and retried.
    scheduler_stuck_run_minutes: int = Field(default=30, ge=1)
    # While this file exists the scheduler runs no round: `make up` holds it on a first start
    # until the demo 12345 orders are in and told to evaluation, so the caught-up reports
    # include them.
    scheduler_hold_file: str | None = None
    # Official documents (公文, GB/T 9704; docs/REPORTS.md). Office defaults: the issuing office,
    # the 代字 of each kind's 文号 (代字〔year〕N号, N from a gap-free sequence per 代字 and year),
    # who a report is sent to (主送) and who receives a 问责建议.
    document_issuer: str = Field(default="云岭市优化营商环境工作领导小组办公室", min_length=2)
    document_word_monthly_dispatch: str = Field(default="云营改办调", min_length=1, max_length=16)
    document_word_quarterly_notice: str = Field(default="云营改办通", min_length=1, max_length=16)
    document_word_supervision: str = Field(default="云营改办督", min_length=1, max_length=16)
    document_word_accountability: str = Field(default="云营改办问", min_length=1, max_length=16)
    document_addressee: str = "各县（市、区）人民政府，市直各有关单位："
    accountability_addressee: str = "中共云岭市纪律检查委员会、云岭市监察委员会"
    # PDF conversions (LibreOffice, one at a time) a process runs or queues; more are a 503 with
    # Retry-After, so a flood of PDF requests cannot pile up.
    pdf_queue_limit: int = Field(default=4, ge=1, le=100)
    # Office default: a unit's to-do list (待办, GET /api/tasks/v1/todo) shows the milestones
    # due within this many days from today (today + 7 in, today + 8 out), besides every overdue
    # one. docs/RULES.md: "A unit's to-do list shows …".
    todo_due_within_days: int = Field(default=7, ge=0, le=60)
    # Optional: reminders also POSTed to the city's OA system, signed (Standard Webhooks).
    oa_webhook_url: str = ""
    oa_webhook_secret: str = ""

    @property
    def is_dev_like(self) -> bool:
        return self.environment in (Environment.dev, Environment.test)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or embedded_database_url("reform")

    @property
    def asyncpg_dsn(self) -> str:
        """The database as asyncpg names it (for a connection of its own, outside SQLAlchemy)."""
        return self.effective_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    @property
    def key_ring(self) -> KeyRing:
        return key_ring(self.jwt_signing_key, self.jwt_key_id, self.jwt_verify_keys)

    def _key_problems(self) -> list[str]:
        """A key that does not parse, or no key for the issuer of people's tokens (no login
        would be accepted): refused in every environment."""
        try:
            ring = self.key_ring
        except ValueError as exc:
            return [f"JWT_SIGNING_KEY / JWT_VERIFY_KEYS: {exc}"]
        if self.jwt_person_issuer not in ring.verifying:
            return [
                f"JWT_VERIFY_KEYS has no key for JWT_PERSON_ISSUER ({self.jwt_person_issuer}),"
                " so no person's token could be verified"
            ]
        return []

    @model_validator(mode="after")
    def _every_kind_has_its_limits(self) -> Settings:
        """The hotline's limits name every appeal kind, and only kinds and urgencies that exist:
        a kind left out would fall back to a guess, a misspelt one would never apply."""
        for name, known in (
            ("hotline_response_days", APPEAL_KINDS),
            ("hotline_closing_days", APPEAL_KINDS),
            ("hotline_urgent_signing_minutes", URGENCIES[1:]),  # not `normal`
        ):
            limits: dict[str, int] = getattr(self, name)
            problems = [f"unknown {k}" for k in sorted(set(limits) - set(known))]
            if known is APPEAL_KINDS:
                problems += [f"no limit for {k}" for k in known if k not in limits]
            if problems:
                raise ValueError(
                    f"{name.upper()}: {'; '.join(problems)} (known: {', '.join(known)})"
                )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_outside_dev(self) -> Settings:
        problems = self._key_problems()
        if self.is_dev_like:
            if problems:
                raise ValueError("refusing to start: " + "; ".join(problems))
            return self
        if self.environment is None:
            problems.append(
                "ENVIRONMENT is not set (ENVIRONMENT=dev for development, test, or production);"
                " without it production's rules apply"
            )
        value = self.pii_encryption_key
        if not value or any(marker in value.lower() for marker in PLACEHOLDER_MARKERS):
            problems.append("PII_ENCRYPTION_KEY is missing or a placeholder")
        if self.jwt_signing_key == DEV_JWT_SIGNING_KEY:
            problems.append(
                "JWT_SIGNING_KEY must be this process's own key, not the dev key"
                " (python -m shared.signing_keys new NAME), or empty if it signs nothing"
            )
        if _dev_public_key() in self.jwt_verify_keys:
            problems.append("JWT_VERIFY_KEYS must not trust the dev key")
        if self.pii_encryption_key == DEV_PII_KEY:
            problems.append("PII_ENCRYPTION_KEY must not be the dev key")
        if not self.database_url:
            problems.append("DATABASE_URL must be set outside dev")
        if self.evidence_scanner != "command":
            problems.append("EVIDENCE_SCANNER must be command (with EVIDENCE_SCAN_COMMAND)")
        if problems:
            raise ValueError("refusing to start: " + "; ".join(problems))
        return self


@lru_cache(maxsize=1)
def _dev_public_key() -> str:
    return public_text(private_key(DEV_JWT_SIGNING_KEY))


def embedded_database_url(database: str, port: int = EMBEDDED_PG_PORT) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
