"""`hotline` schema: 12345 webhook deliveries (raw, kept), work-order events (deduplicated) and
the work orders derived from them (seed 004_1871f105e1d7927d.txt: 12345 as the single service
line, tracked, supervised and evaluated)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import HOTLINE, Base


class Delivery(Base):
    """One verified webhook request, stored raw before anything else (2xx only after commit)."""

    __tablename__ = "deliveries"
    __table_args__ = {"schema": HOTLINE}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # webhook | open311 | office | import: where the event came from (only webhooks are signed)
    source: Mapped[str] = mapped_column(String(16), server_default="webhook")
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The raw body as received, encrypted (PII_ENCRYPTION_KEY): it carries the contact's name
    # and phone (shared.crypto.decrypt reads it back).
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    verified: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    event_type: Mapped[str | None] = mapped_column(String(64))
    # applied | duplicate_event | ignored_type | rejected_schema
    outcome: Mapped[str] = mapped_column(String(32))
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)


class WorkOrderEvent(Base):
    __tablename__ = "work_order_events"
    __table_args__ = (
        UniqueConstraint("order_no", "type", "occurred_at"),
        {"schema": HOTLINE},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivery_id: Mapped[int] = mapped_column(ForeignKey(f"{HOTLINE}.deliveries.id"))
    # Event data without personal fields (those live encrypted on the work order).
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)


class WorkOrder(Base):
    """The state derived from all of an order's events by occurred_at (any arrival order gives
    the same result). Derived fields are written only by the SQL function `hotline.settle`
    (services/hotline_ingest/sql/settle/, the newest version), which `hotline.receive_batch`
    calls once per group for every order with a new event."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_unit", "handling_unit_code"),
        Index("ix_work_orders_received_at", "received_at"),
        {"schema": HOTLINE, "postgresql_with": {"fillfactor": 70}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    # normal, utilities or life_property: an urgent order's signing limit is minutes.
    urgency: Mapped[str] = mapped_column(String(16), server_default="normal", default="normal")
    title: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(64))
    district_code: Mapped[str | None] = mapped_column(String(32))
    handling_unit_code: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    contact_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the current handling unit got the order (receipt, or the last reassignment): the
    # response limit runs from here.
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    reply: Mapped[str | None] = mapped_column(Text)
    returned_reason: Mapped[str | None] = mapped_column(Text)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    # Set when `work_order.overdue` was sent, so the sweep tells evaluation once per order.
    overdue_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The signing clock (receipt or last reassignment) `work_order.response_expired` was sent
    # for, so the sweep tells each handling unit's expiry once.
    response_expired_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CalendarDay(Base):
    """An exception to the Monday–Friday working week: a holiday on a weekday, or a 调休
    make-up working day on a weekend (State Council notices; editable by the office)."""

    __tablename__ = "calendar_days"
    __table_args__ = {"schema": HOTLINE}

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))


class Category(Base):
    """The hotline platform's category codes, mapped by the office to a task-list domain."""

    __tablename__ = "categories"
    __table_args__ = {"schema": HOTLINE}

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    domain_code: Mapped[str | None] = mapped_column(String(32))


class UnitCodeMapping(Base):
    """A handling-unit code the platform uses that is not ours, mapped by the office."""

    __tablename__ = "unit_code_mappings"
    __table_args__ = {"schema": HOTLINE}

    external_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(32))
    mapped_by: Mapped[str] = mapped_column(String(64))
    mapped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Open311Key(Base):
    """An api_key another city system uses to POST Open311 service requests (scope `create`) or
    to read their text (scope `read`); only its SHA-256 is kept (the office admin sees the key
    once, when it is created)."""

    __tablename__ = "open311_keys"
    __table_args__ = {"schema": HOTLINE}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # `create`: POST service requests; `read`: see the requests' text (the public sees none).
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default=text("'{create}'::varchar[]")
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
