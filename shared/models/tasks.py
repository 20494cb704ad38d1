"""`tasks` schema: programmes, domains, reform tasks, milestones (the battle map) and progress.

Seed 001_643c54550577dac0.txt: a programme's task list has numbered tasks in domains, each classed
A/B/C with a goal, its lead unit, responsible units and a deadline; the battle map dates each task's
milestones and monthly dispatch compares them with actual progress.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, TASKS, Base, TimestampMixin, str_enum
from shared.models.files import StoredFile
from shared.models.platform import Unit, User


class TaskClass(StrEnum):
    """A: below the benchmark (fill the gap); B: at or above it; C: needs legal authorisation."""

    A = "A"
    B = "B"
    C = "C"


class TaskStatus(StrEnum):
    in_progress = "in_progress"
    closed_out = "closed_out"


class MilestoneState(StrEnum):
    """Workflow state; the battle-map status (on track, lagging …) is computed from dates."""

    open = "open"
    reported = "reported"
    accepted = "accepted"
    closed_out = "closed_out"


class ReviewStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    returned = "returned"


def default_programme_settings() -> dict[str, Any]:
    return {
        "lagging_after_days": 0,
        "seriously_lagging_after_days": 30,
        # 三色预警 (issue #27), office defaults (shared/warning_light.py): yellow from 10 points
        # behind the expected pace, red beyond 30 or a node more than 3 months late.
        "warning_yellow_behind_points": 10,
        "warning_red_behind_points": 30,
        "warning_red_late_months": 3,
    }


class Programme(TimestampMixin, Base):
    __tablename__ = "programmes"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    year: Mapped[int] = mapped_column(SmallInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    benchmark_city: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=default_programme_settings)
    # Closed (issue #21): the year's record is read-only from then on, enforced in the database
    # by tasks.refuse_closed_programme (migration 0028r).
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))


class Domain(Base):
    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("programme_id", "code"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    ordinal: Mapped[int] = mapped_column(SmallInteger)


task_responsible_units = Table(
    "task_responsible_units",
    Base.metadata,
    Column("task_id", ForeignKey(f"{TASKS}.tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey(f"{PLATFORM}.units.id"), primary_key=True),
    schema=TASKS,
)


class Task(TimestampMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("programme_id", "number"),
        # Chinese-aware search: trigrams match any 2+ character substring of the texts.
        Index(
            "ix_tasks_search_trgm",
            text("(title || ' ' || goal || ' ' || measures || ' ' || benchmark) gin_trgm_ops"),
            postgresql_using="gin",
        ),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    number: Mapped[int] = mapped_column(Integer)
    domain_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.domains.id"))
    task_class: Mapped[TaskClass] = mapped_column(str_enum(TaskClass, "task_class"))
    title: Mapped[str] = mapped_column(String(200))
    benchmark: Mapped[str] = mapped_column(Text, server_default="", default="")
    goal: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text, server_default="", default="")
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    deadline: Mapped[date] = mapped_column(Date)
    deadline_text: Mapped[str] = mapped_column(String(64), server_default="", default="")
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.in_progress
    )
    closed_out_on: Mapped[date | None] = mapped_column(Date)
    # The last year's task this one carries on (结转, issue #21), if it was carried over.
    continues_task_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{TASKS}.tasks.id"), unique=True
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}

    domain: Mapped[Domain] = relationship(lazy="raise")
    lead_unit: Mapped[Unit] = relationship(lazy="raise")
    responsible_units: Mapped[list[Unit]] = relationship(
        secondary=task_responsible_units, lazy="raise"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="task", lazy="raise", order_by="Milestone.ordinal"
    )


class Milestone(TimestampMixin, Base):
    """A dated step of a task. `baseline_date` is the first approved plan and never moves;
    approved extensions move `planned_date`, so the battle map shows the slippage."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("task_id", "ordinal"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.tasks.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(200))
    planned_date: Mapped[date] = mapped_column(Date)
    baseline_date: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[MilestoneState] = mapped_column(
        str_enum(MilestoneState, "milestone_state"), default=MilestoneState.open
    )
    # The severity last announced with `milestone.lagging`, so the sweep announces each once.
    lagging_level: Mapped[str] = mapped_column(String(32), server_default="none", default="none")
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}

    task: Mapped[Task] = relationship(back_populates="milestones", lazy="raise")
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="milestone", lazy="raise", order_by="ProgressReport.submitted_at"
    )


class ProgressReport(Base):
    __tablename__ = "progress_reports"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.milestones.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.users.id"))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    content: Mapped[str] = mapped_column(Text)
    # A report either updates progress or claims the milestone is done on `completion_date`.
    claims_completion: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), default=False
    )
    completion_date: Mapped[date | None] = mapped_column(Date)
    review_status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, "review_status"), default=ReviewStatus.pending
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)

    milestone: Mapped[Milestone] = relationship(back_populates="reports", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="raise")


class LaggingLevel(StrEnum):
    """Battle-map severity of a milestone past its planned date and not done (thresholds per
    programme: `lagging_after_days`, `seriously_lagging_after_days`)."""

    none = "none"
    lagging = "lagging"
    seriously_lagging = "seriously_lagging"


class ExtensionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ExtensionRequest(Base):
    """A unit asks to move a milestone; approval moves `planned_date`, never `baseline_date`."""

    __tablename__ = "extension_requests"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.milestones.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    current_date: Mapped[date] = mapped_column(Date)
    requested_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ExtensionStatus] = mapped_column(
        str_enum(ExtensionStatus, "extension_status"), default=ExtensionStatus.pending
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)

    milestone: Mapped[Milestone] = relationship(lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class EvidenceFile(StoredFile, Base):
    """A file attached to a progress report."""

    __tablename__ = "evidence_files"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.progress_reports.id", ondelete="CASCADE"), index=True
    )


class RatingWindow(Base):
    """A period in which lead units rate their responsible units (e.g. each quarter)."""

    __tablename__ = "rating_windows"
    __table_args__ = (UniqueConstraint("programme_id", "code"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    code: Mapped[str] = mapped_column(String(32))  # e.g. 2026-Q3
    name: Mapped[str] = mapped_column(String(64))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    scale_max: Mapped[int] = mapped_column(SmallInteger, server_default=text("100"), default=100)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Rating(Base):
    """One lead unit's score for one responsible unit on one task in one window."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("window_id", "task_id", "rated_unit_id"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.rating_windows.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.tasks.id", ondelete="CASCADE"))
    rater_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    rated_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    score: Mapped[float] = mapped_column(Numeric(5, 1))
    comment: Mapped[str] = mapped_column(Text, server_default="", default="")
    rated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}


class ProblemSource(StrEnum):
    inspection = "inspection"
    hotline = "hotline"
    survey = "survey"
    self_check = "self_check"


class ProblemStatus(StrEnum):
    open = "open"
    closed = "closed"


class Problem(TimestampMixin, Base):
    """An item of the problem list with its cause and measure (seed 003_fe0a5556b3029276.txt:
    problem / cause / measure lists; seed 002_c95ffdd180ea7e81.txt: closed out item by item;
    docs/RULES.md: "Problems are listed with a responsible unit …", "Each problem records the
    problem, its cause and the measure (三张清单)")."""

    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("programme_id", "number"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[ProblemSource] = mapped_column(str_enum(ProblemSource, "problem_source"))
    problem: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text, server_default="", default="")
    measure: Mapped[str] = mapped_column(Text, server_default="", default="")
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    found_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ProblemStatus] = mapped_column(
        str_enum(ProblemStatus, "problem_status"), default=ProblemStatus.open
    )
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Set when `problem.overdue` was emitted, so the sweep emits it once.
    overdue_reported_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}

    responsible_unit: Mapped[Unit] = relationship(lazy="raise")


class SupervisionLevel(StrEnum):
    """督办 → 二次督办 → 问责 (seed 002_c95ffdd180ea7e81.txt; docs/RULES.md: "An unresolved first
    supervision past its date becomes a second supervision …")."""

    first = "first"
    second = "second"
    accountability = "accountability"


class SupervisionStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    escalated = "escalated"
    # Accountability (问责) is the office's decision: proposed by the escalation sweep, then
    # held (costs points) or dismissed with a reason.
    proposed = "proposed"
    held_accountable = "held_accountable"
    dismissed = "dismissed"


class Supervision(Base):
    __tablename__ = "supervisions"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    level: Mapped[SupervisionLevel] = mapped_column(str_enum(SupervisionLevel, "supervision_level"))
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{TASKS}.milestones.id", ondelete="CASCADE")
    )
    problem_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{TASKS}.problems.id", ondelete="CASCADE")
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey(f"{TASKS}.supervisions.id"))
    reason: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[SupervisionStatus] = mapped_column(
        str_enum(SupervisionStatus, "supervision_status"), default=SupervisionStatus.open
    )
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolution: Mapped[str | None] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Its 督办单 (first, second) or 问责建议 (accountability, once held); none for a proposal.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{TASKS}.official_documents.id"), unique=True
    )

    unit: Mapped[Unit] = relationship(lazy="raise")
    document: Mapped[OfficialDocument | None] = relationship(lazy="raise")


class SupervisionReply(Base):
    """A supervised unit's answer to an open supervision (督办回复): what it did to rectify
    (整改落实情况), with evidence files. It does not resolve the supervision; the office does."""

    __tablename__ = "supervision_replies"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supervision_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.supervisions.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    facts: Mapped[str] = mapped_column(Text)
    replied_by: Mapped[str] = mapped_column(String(64))
    replied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    files: Mapped[list[SupervisionReplyFile]] = relationship(
        lazy="raise", order_by="SupervisionReplyFile.id"
    )


class SupervisionReplyFile(StoredFile, Base):
    """An evidence file attached to a supervision reply."""

    __tablename__ = "supervision_reply_files"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reply_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.supervision_replies.id", ondelete="CASCADE"), index=True
    )


class TimelineEntry(Base):
    """What happened to a task or a problem, in order, for its timeline view."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_subject", "subject_type", "subject_id", "occurred_at"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # task | problem
    subject_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    kind: Mapped[str] = mapped_column(String(64))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_unit_code: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"), default=dict)


class UnitMessage(Base):
    """A unit's inbox (单位收件箱): supervisions, reminders, published reports and notices."""

    __tablename__ = "unit_messages"
    __table_args__ = (Index("ix_unit_messages_unit_read", "unit_id", "read_at"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, server_default="", default="")
    link: Mapped[str | None] = mapped_column(String(255))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by: Mapped[str | None] = mapped_column(String(64))


class ReportKind(StrEnum):
    """月度调度 and 季度通报 (seed 001_643c54550577dac0.txt: monthly dispatch against the battle
    map, quarterly meetings and notices; seed 002_c95ffdd180ea7e81.txt: monthly dispatch, typical
    cases notified at least quarterly)."""

    monthly_dispatch = "monthly_dispatch"
    quarterly_notice = "quarterly_notice"


class ReportStatus(StrEnum):
    """草稿 → 已核稿 (核稿, office staff) → 已签发 (签发, the office's leader: numbered, stored,
    published to every unit); a signed report corrected by a later signed version of the same
    period is 已被替代 (its document stays as it was)."""

    draft = "draft"
    reviewed = "reviewed"
    published = "published"
    superseded = "superseded"


class Publicity(StrEnum):
    """公开属性, chosen at sign-off (printed as the 附注)."""

    public = "public"  # 主动公开
    on_request = "on_request"  # 依申请公开
    not_public = "not_public"  # 不予公开


class DocumentKind(StrEnum):
    monthly_dispatch = "monthly_dispatch"
    quarterly_notice = "quarterly_notice"
    supervision = "supervision"  # 督办单 (first and second level)
    accountability = "accountability"  # 问责建议


class OfficialDocument(Base):
    """A document the office issued (公文): its 文号 (`word`〔`year`〕`serial`号, the serial
    allocated from one gap-free sequence per 代字 and year when it is signed), what it was
    rendered from (`content`) and the files as signed. Never changed after it is written, except
    that a PDF missing at sign-off (LibreOffice absent) is stored once when first rendered."""

    __tablename__ = "official_documents"
    __table_args__ = (UniqueConstraint("word", "year", "serial"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, "document_kind"))
    word: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    publicity: Mapped[Publicity | None] = mapped_column(str_enum(Publicity, "publicity"))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_by: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    docx: Mapped[bytes] = mapped_column(LargeBinary)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The quarterly notice's public version (no internal scores), when the office asked for one.
    public_docx: Mapped[bytes | None] = mapped_column(LargeBinary)
    public_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)


class Report(Base):
    """A generated report or notice: an immutable snapshot of its numbers (`data`) as of a
    moment, with the rule-set version it was scored under. Regenerating adds a version; a draft
    notice's free-text parts (`editable`) change until it is published."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("programme_id", "kind", "period", "version"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, "report_kind"))
    period: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.draft
    )
    title: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    editable: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'"), default=dict
    )
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    generated_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    # Signed off (签发) and published: the same moment.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{TASKS}.official_documents.id"), unique=True
    )
    # The signed report this one corrects (a correction is a new document with its own number).
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey(f"{TASKS}.reports.id"))

    document: Mapped[OfficialDocument | None] = relationship(lazy="raise")
