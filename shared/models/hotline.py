"""`hotline` schema: 12345 webhook deliveries (raw, kept), work-order events (deduplicated) and
the work orders derived from them (seed 004_1871f105e1d7927d.txt: 12345 as the single service
line, tracked, supervised and evaluated)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
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
from shared.models.files import StoredFile


class Delivery(Base):
    """One verified webhook request, stored raw before anything else (2xx only after commit)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The review list of deliveries kept but not applied (docs/HOTLINE.md "Responses").
        Index(
            "ix_deliveries_rejected",
            "id",
            postgresql_where=text("outcome IN ('rejected_schema', 'rejected_mapping')"),
        ),
        {"schema": HOTLINE},
    )

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
    # applied | duplicate_event | ignored_type | rejected_schema | rejected_mapping
    outcome: Mapped[str] = mapped_column(String(32))
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    # The platform whose secret verified it (None: our own contract) and the version of its
    # field mapping that translated it (`PlatformMapping`).
    platform: Mapped[str | None] = mapped_column(String(32))
    mapping_version: Mapped[int | None] = mapped_column(Integer)


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
    # 先行联系: the first contact with the caller (`work_order.first_contacted`, issue #26).
    first_contacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the unit returned the order (退单), while the return waits for the office's review.
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The office upheld the unit's appeal (申诉) of the dissatisfied visit: the rating leaves the
    # satisfaction rate.
    satisfaction_overturned: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), default=False
    )
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


class PlatformMapping(Base):
    """One version of a platform's field mapping (issue #26): its event type names, field names
    and code values to ours, applied before validation. Edited by the office admin; each edit a
    new version, the newest applies (services/hotline_ingest/platform/)."""

    __tablename__ = "platform_mappings"
    __table_args__ = (
        UniqueConstraint("platform", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        {"schema": HOTLINE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Appeal(Base):
    """申诉 (issue #26): the handling unit asks the office to overturn its order's dissatisfied
    visit, with evidence; the office upholds the rating or overturns it (the visit then leaves
    the satisfaction rate, told to evaluation as `work_order.visit_overturned`)."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'upheld', 'overturned')", name="status"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
        # One appeal per visit of an order.
        UniqueConstraint("order_no", "visited_at"),
        Index("ix_appeals_unit_code", "unit_code"),
        {"schema": HOTLINE},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), ForeignKey(f"{HOTLINE}.work_orders.order_no"))
    unit_code: Mapped[str] = mapped_column(String(32))
    # The visit appealed (the order's `visited_at` when the unit appealed).
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    # The unit's account of its evidence (call records, on-site notes, what the caller was
    # told); the files themselves are its `AppealFile`s.
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="pending", default="pending")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class AppealFile(StoredFile, Base):
    """An evidence file the unit attached to its appeal (shared/evidence: the same types, size
    and scan as any evidence), at most HOTLINE_APPEAL_MAX_FILES per appeal."""

    __tablename__ = "appeal_files"
    __table_args__ = {"schema": HOTLINE}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey(f"{HOTLINE}.appeals.id", ondelete="CASCADE"), index=True
    )


class OrderCaller(Base):
    """Who called about an order, without the number: the keyed hash of the phone number its
    `created` carried (services/hotline_ingest/repeats/caller.py), for repeat requests. Kept
    apart from the event log, which holds the platform's facts only."""

    __tablename__ = "order_callers"
    __table_args__ = (Index("ix_order_callers_caller_key", "caller_key"), {"schema": HOTLINE})

    order_no: Mapped[str] = mapped_column(
        ForeignKey(f"{HOTLINE}.work_orders.order_no"), primary_key=True
    )
    caller_key: Mapped[str] = mapped_column(String(64))


class RepeatLink(Base):
    """Whether an order is a repeat request (重复诉求, issue #26) of an earlier order of the same
    caller about the same matter: linked by the system at intake (`hotline.link_repeats`) or by
    the office by hand (`manual`: the system leaves it alone from then on). `repeat_of` NULL:
    not a repeat (unlinked). `told_*`: what evaluation was last told (`work_order.linked_as_repeat`
    / `work_order.unlinked`, each with the next version), so the rates count the matter once."""

    __tablename__ = "repeat_links"
    __table_args__ = (
        CheckConstraint("repeat_of <> order_no", name="not_itself"),
        Index("ix_repeat_links_repeat_of", "repeat_of"),
        {"schema": HOTLINE},
    )

    order_no: Mapped[str] = mapped_column(
        ForeignKey(f"{HOTLINE}.work_orders.order_no"), primary_key=True
    )
    repeat_of: Mapped[str | None] = mapped_column(ForeignKey(f"{HOTLINE}.work_orders.order_no"))
    manual: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    # `system`, or the office user's username
    linked_by: Mapped[str | None] = mapped_column(String(64))
    linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unlinked_by: Mapped[str | None] = mapped_column(String(64))
    unlinked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    told_version: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    told_repeat: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)


class OverdueReminder(Base):
    """One step of 催办 (issue #26) for an order past its signing (签收) or closing (办结) limit:
    step 1 to the handling unit's liaison, step 2 copied to the unit's leader, each once per
    order, limit and deadline (a reassignment starts a new signing limit)."""

    __tablename__ = "overdue_reminders"
    __table_args__ = (
        UniqueConstraint("order_no", "limit_kind", "deadline", "step"),
        CheckConstraint("step IN (1, 2)", name="step"),
        CheckConstraint("limit_kind IN ('signing', 'closing')", name="limit_kind"),
        Index("ix_overdue_reminders_unit_sent", "unit_code", "sent_at"),
        {"schema": HOTLINE},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(ForeignKey(f"{HOTLINE}.work_orders.order_no"))
    unit_code: Mapped[str] = mapped_column(String(32))
    limit_kind: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    step: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
