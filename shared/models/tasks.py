"""`tasks` schema: programmes, domains, reform tasks, milestones (the battle map) and progress.

Seed 001_643c54550577dac0.txt: a programme's task list has numbered tasks in domains, each classed
A/B/C with a goal, one lead unit, responsible units and a deadline; the battle map dates each task's
milestones and monthly dispatch compares them with actual progress.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
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
    return {"lagging_after_days": 0, "seriously_lagging_after_days": 30}


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
    __table_args__ = (UniqueConstraint("programme_id", "number"), {"schema": TASKS})

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
    review_status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, "review_status"), default=ReviewStatus.pending
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey(f"{PLATFORM}.users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)

    milestone: Mapped[Milestone] = relationship(back_populates="reports", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="raise")
