"""`evaluation` schema: facts (every consumed input, verbatim), rule sets, the score ledger and
counters derived from facts, live scores, and the office's own inputs (inspections, surveys,
external ranks). A full recompute rebuilds ledger, counters and scores from facts alone. A closed
programme's scores are frozen as its final results (issue #21) and never recomputed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import EVALUATION, Base, str_enum

# The milestone events the delivery rate reads (services/evaluation/ledger/:
# `LedgerRepository.milestone_facts`; `engine.MILESTONE_STATES` gives each one's state).
MILESTONE_STATE_EVENTS = ("milestone.completed", "milestone.lagging", "milestone.reopened")


class Fact(Base):
    """One consumed event, kept verbatim: a full recompute is a replay of these rows."""

    __tablename__ = "facts"
    __table_args__ = (
        Index("ix_facts_unit_occurred", "unit_code", "occurred_at"),
        # The delivery rate reads a unit's milestone events on every score refresh.
        Index(
            "ix_facts_milestone_states",
            "programme",
            "occurred_at",
            postgresql_where=text(f"type IN ({', '.join(map(repr, MILESTONE_STATE_EVENTS))})"),
        ),
        # One 12345 order's facts (a repeat request's link takes them out of the rates).
        Index(
            "ix_facts_work_order",
            text("(data ->> 'order_no')"),
            postgresql_where=text("type LIKE 'work_order.%'"),
        ),
        # The link facts alone: which orders are repeats now (`ledger.repeats.REPEAT_ORDERS`),
        # read by every recompute without scanning the year's facts.
        Index(
            "ix_facts_repeat_links",
            text("(data ->> 'order_no')"),
            postgresql_where=text("type IN ('work_order.linked_as_repeat', 'work_order.unlinked')"),
        ),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    programme: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RuleSetStatus(StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


class RuleSet(Base):
    """A programme's scoring rules, versioned; a published version never changes."""

    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("programme", "version"), {"schema": EVALUATION})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[RuleSetStatus] = mapped_column(str_enum(RuleSetStatus, "rule_set_status"))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, server_default="", default="")
    effective_from: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScoreEntry(Base):
    """Points one fact moved for one unit under one rule (deduction-type components)."""

    __tablename__ = "score_entries"
    __table_args__ = (
        UniqueConstraint("event_id", "unit_code", "component", "rule"),
        Index("ix_score_entries_unit_day", "programme", "unit_code", "day"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)  # business date (Asia/Shanghai) of the fact
    component: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    points: Mapped[float] = mapped_column(Float)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(String(64))


# Per unit and receipt day, one column each; what each counts is shared.hotline_rates.
HOTLINE_COUNTER_COLUMNS = (
    "orders",
    "responded",
    "responded_in_time",
    "response_due",
    "visited",
    "resolved",
    "satisfied",
    "overdue",
    "closed",
    "closed_on_time",
    "closing_due",
    # issue #26: orders first contacted (先行联系) within the limit; dissatisfied visits the
    # office overturned on appeal (they leave the satisfaction rate).
    "first_contacted_in_time",
    "overturned",
)


class UnitCounter(Base):
    """Per unit and receipt day hotline counters (one wide row: a year is ~20k rows, not 100k+)."""

    __tablename__ = "unit_counters"
    __table_args__ = (
        UniqueConstraint("programme", "unit_code", "day"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    orders: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    responded: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    responded_in_time: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    visited: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    resolved: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    satisfied: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    overdue: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    closed: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    response_due: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    closing_due: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    first_contacted_in_time: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    overturned: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class LatestRating(Base):
    """The latest version of each lead-unit rating (window, task, rated unit)."""

    __tablename__ = "latest_ratings"
    __table_args__ = (
        UniqueConstraint("programme", "window", "task_number", "rated_unit"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    window: Mapped[str] = mapped_column(String(32))
    task_number: Mapped[int] = mapped_column(Integer)
    rated_unit: Mapped[str] = mapped_column(String(32))
    rater_unit: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    scale_max: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Score(Base):
    """The live score of a unit for a period, updated in the transaction of each fact."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("programme", "period", "unit_code"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_kind: Mapped[str] = mapped_column(String(16))
    total: Mapped[float] = mapped_column(Float)
    max_total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(16))
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ParkedEvent(Base):
    """An event naming an unknown unit or programme: kept for the office, never dropped."""

    __tablename__ = "parked_events"
    __table_args__ = {"schema": EVALUATION}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(Text)
    parked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    replayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InspectionMode(StrEnum):
    scheduled = "scheduled"
    unannounced = "unannounced"  # 四不两直


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = {"schema": EVALUATION}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(String(32))
    inspected_on: Mapped[date] = mapped_column(Date)
    mode: Mapped[InspectionMode] = mapped_column(str_enum(InspectionMode, "inspection_mode"))
    finding: Mapped[str] = mapped_column(Text)
    deduction: Mapped[float] = mapped_column(Float)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SurveyResult(Base):
    """万企评机关: half-yearly satisfaction of firms with a department (seed
    002_c95ffdd180ea7e81.txt; docs/RULES.md: "Enterprises rate departments every half-year …")."""

    __tablename__ = "survey_results"
    __table_args__ = (
        UniqueConstraint("programme", "period", "unit_code"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # 2026-H1
    unit_code: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class ExternalRank(Base):
    """国评 / 省评 rank of one indicator; top-10 national or first provincial → full marks."""

    __tablename__ = "external_ranks"
    __table_args__ = (
        UniqueConstraint("programme", "year", "indicator"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(SmallInteger)
    indicator: Mapped[str] = mapped_column(String(64))
    lead_unit: Mapped[str] = mapped_column(String(32))
    national_rank: Mapped[int | None] = mapped_column(Integer)
    provincial_rank: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class ClosedProgramme(Base):
    """A programme whose year the office closed (`programme.closed`, issue #21): its scores are
    frozen in `final_results`; facts of it that still arrive are parked, never applied."""

    __tablename__ = "closed_programmes"
    __table_args__ = {"schema": EVALUATION}

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    closed_on: Mapped[date] = mapped_column(Date)
    closed_by: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FinalResult(Base):
    """One unit's frozen score for one period of a closed programme: what `GET /scores`
    answered at closing (total, grade, components, the live row's time), with its rank in its
    ranking group; rankings, the 红黑榜, explain and the year-end list read these afterwards."""

    __tablename__ = "final_results"
    __table_args__ = (
        UniqueConstraint("programme", "period", "unit_code"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
        CheckConstraint("(rank IS NULL) = (ranking_group IS NULL)", name="ranked_within_group"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programme: Mapped[str] = mapped_column(
        String(32), ForeignKey(f"{EVALUATION}.closed_programmes.code", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_name: Mapped[str] = mapped_column(String(128))  # as at closing
    unit_kind: Mapped[str] = mapped_column(String(16))
    # The rule set's ranking group the unit was ranked in (None: not ranked, e.g. inactive).
    ranking_group: Mapped[str | None] = mapped_column(String(32))
    rank: Mapped[int | None] = mapped_column(Integer)
    top: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    bottom: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    survey_accountability: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), default=False
    )
    total: Mapped[float] = mapped_column(Float)
    max_total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(16))
    # json, not jsonb: kept verbatim, keys in the order `GET /scores` answered them.
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
