"""`platform` schema: units, users, audit log, outbox, inbox and the scheduler's run ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, Base, TimestampMixin, str_enum


class UnitKind(StrEnum):
    office = "office"
    department = "department"
    district = "district"
    other = "other"


class Role(StrEnum):
    office_admin = "office_admin"
    office_staff = "office_staff"
    # 改革办领导: everything office staff can do, and signs off (签发) official documents.
    office_leader = "office_leader"
    lead_unit = "lead_unit"
    unit = "unit"
    hotline_platform = "hotline_platform"
    viewer = "viewer"
    # Machine identity of our own services (outbox relay → /internal/events).
    service = "service"


OFFICE_ROLES = frozenset({Role.office_admin, Role.office_staff, Role.office_leader})
UNIT_ROLES = frozenset({Role.lead_unit, Role.unit})


class Unit(TimestampMixin, Base):
    __tablename__ = "units"
    __table_args__ = (
        # A merged unit is inactive and lives on in another unit (issue #21, 机构改革).
        CheckConstraint(
            "merged_into_id IS NULL OR (NOT is_active AND merged_into_id <> id)",
            name="merged_is_inactive",
        ),
        {"schema": PLATFORM},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    short_name: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'"), default=list
    )
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), default=True)
    # The survivor of a merge: the link from this unit's closed history to where it lives on.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    # When it was last merged, split or deactivated by a reorganisation.
    reorganised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="raise"
    )
    merged_into: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id], lazy="raise"
    )


class ReorganisationKind(StrEnum):
    merger = "merge"
    division = "split"
    deactivation = "deactivate"


class UnitReorganisation(Base):
    """One merge, split or deactivation of a unit (机构改革, issue #21): the units that took its
    open items (`into_codes`; none for a plain deactivation), who and when, and how many items
    of each kind moved. The audit log holds the same with the item ids."""

    __tablename__ = "unit_reorganisations"
    __table_args__ = {"schema": PLATFORM}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ReorganisationKind] = mapped_column(
        str_enum(ReorganisationKind, "reorganisation_kind")
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    into_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    moved: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reorganised_by: Mapped[str] = mapped_column(String(64))
    reorganised_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = {"schema": PLATFORM}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), default=True)
    # In every token issued to the user; raised to revoke them all (shared/auth.py).
    token_version: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)

    unit: Mapped[Unit | None] = relationship(lazy="raise")


class LoginThrottle(Base):
    """Failed logins per username and per client (`user:…`, `client:…`), shared by every
    replica: counted in a window, locked out with a doubling backoff (services/reform_tasks/auth).
    """

    __tablename__ = "login_throttle"
    __table_args__ = {"schema": PLATFORM}

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditLog(Base):
    """Append-only: who did what to which entity, with before/after, in the change's transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        {"schema": PLATFORM},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(32))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_unit_code: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class OutboxEvent(Base):
    """An event written in the producer's transaction; the relay delivers it over HTTP."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "producer",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
        ),
        {"schema": PLATFORM},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    programme: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    producer: Mapped[str] = mapped_column(String(32))
    consumer: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class InboxEvent(Base):
    """Event ids a consumer has applied; inserted in the same transaction as the effect."""

    __tablename__ = "inbox"
    __table_args__ = {"schema": PLATFORM}

    consumer: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class JobRunStatus(StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class JobRun(Base):
    """The scheduler's run ledger: one row per (job kind, period)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_kind", "period"), {"schema": PLATFORM})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_kind: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[JobRunStatus] = mapped_column(str_enum(JobRunStatus, "job_run_status"))
    attempt: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
