"""`tasks` schema: key projects (重点项目) and what the office tracks about them (issue #27).

Seed 003_fe0a5556b3029276.txt items 17–21: the register of 省、市重点项目 and 重大产业项目 with
their stages and nodes, the quality evaluation on seven aspects that decides admission (item 17),
weekly reports on major industrial projects (item 18, 周报), uploads of node progress in text and
pictures (item 19) and the "五个一" of a major project (item 20). Every table carries its
`programme_id`, so a closed year refuses changes (tasks.refuse_closed_programme, migration 0035r).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, TASKS, Base, TimestampMixin, str_enum
from shared.models.files import StoredFile
from shared.models.platform import Unit


class ProjectLevel(StrEnum):
    """省重点 / 市重点 / 重大产业项目 (seed 003 items 16–18)."""

    provincial = "provincial"  # 省重点项目
    municipal = "municipal"  # 市重点项目
    major_industrial = "major_industrial"  # 重大产业项目


class ProjectStage(StrEnum):
    """洽谈 → 签约 → 前期 → 开工 → 在建 → 竣工投产, in this order (seed 003 items 18–19)."""

    negotiating = "negotiating"
    signed = "signed"
    preparing = "preparing"
    started = "started"
    building = "building"
    completed = "completed"


PROJECT_STAGE_ORDER: tuple[ProjectStage, ...] = tuple(ProjectStage)


class ProjectStatus(StrEnum):
    """Admission to the list: a proposed (申报) project is admitted or refused by its quality
    evaluation (seed 003 item 17)."""

    proposed = "proposed"
    admitted = "admitted"
    refused = "refused"


class ProjectProblemStatus(StrEnum):
    open = "open"
    closed = "closed"


class Project(TimestampMixin, Base):
    """A key project: its district (属地), its lead unit (责任单位, files the weekly reports), its
    stage and, for a major project, the 五个一 (one city leader, one team, one plan, one problem
    list)."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("programme_id", "code"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[ProjectLevel] = mapped_column(str_enum(ProjectLevel, "project_level"))
    district_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    owner: Mapped[str] = mapped_column(String(200), server_default="", default="")
    investment: Mapped[Decimal] = mapped_column(Numeric(14, 2), server_default="0", default=0)
    industry: Mapped[str] = mapped_column(String(64), server_default="", default="")
    stage: Mapped[ProjectStage] = mapped_column(
        str_enum(ProjectStage, "project_stage"), default=ProjectStage.negotiating
    )
    stage_changed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, "project_status"), default=ProjectStatus.admitted
    )
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    # 五个一 (seed 003 item 20): one city leader and one team; the plan is a ProjectPlanFile.
    leader_name: Mapped[str] = mapped_column(String(64), server_default="", default="")
    leader_title: Mapped[str] = mapped_column(String(128), server_default="", default="")
    team_members: Mapped[str] = mapped_column(Text, server_default="", default="")
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}

    district_unit: Mapped[Unit] = relationship(foreign_keys=[district_unit_id], lazy="raise")
    lead_unit: Mapped[Unit] = relationship(foreign_keys=[lead_unit_id], lazy="raise")
    nodes: Mapped[list[ProjectNode]] = relationship(
        lazy="raise", order_by="ProjectNode.ordinal", cascade="all, delete-orphan"
    )


class ProjectNode(Base):
    """A dated node of a project (签约、开工、竣工投产 …), in order; done when it has its actual
    date."""

    __tablename__ = "project_nodes"
    __table_args__ = (UniqueConstraint("project_id", "ordinal"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.projects.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(128))
    planned_on: Mapped[date] = mapped_column(Date)
    actual_on: Mapped[date | None] = mapped_column(Date)


class ProjectEvaluation(Base):
    """The quality evaluation of a project (seed 003 item 17): a 0–100 score per aspect, the
    weights and threshold it was scored under, the weighted total and the admission result."""

    __tablename__ = "project_evaluations"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.projects.id", ondelete="CASCADE"), unique=True
    )
    scores: Mapped[dict[str, Any]] = mapped_column(JSONB)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    admitted: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, server_default="", default="")
    evaluated_by: Mapped[str] = mapped_column(String(64))
    evaluated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ProjectPlanFile(StoredFile, Base):
    """A major project's construction plan (一个建设方案); the latest upload is the current one."""

    __tablename__ = "project_plan_files"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.projects.id", ondelete="CASCADE"), index=True
    )
    uploaded_by: Mapped[str] = mapped_column(String(64))


class ProjectProblem(Base):
    """An item of a major project's problem list (一个问题清单), closed one by one."""

    __tablename__ = "project_problems"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.projects.id", ondelete="CASCADE"), index=True
    )
    problem: Mapped[str] = mapped_column(Text)
    status: Mapped[ProjectProblemStatus] = mapped_column(
        str_enum(ProjectProblemStatus, "project_problem_status"), default=ProjectProblemStatus.open
    )
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)

    __mapper_args__ = {"version_id_col": version}


class WeeklyReport(Base):
    """A project's weekly report (周报, seed 003 item 18) for one ISO week, by its lead unit:
    progress per node, problems and proposed solutions, photos."""

    __tablename__ = "project_weekly_reports"
    __table_args__ = (UniqueConstraint("project_id", "week"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.projects.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, e.g. 2026-W49
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    # [{"node_id": …, "progress": "…"}] in node order.
    node_progress: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'"), default=list
    )
    summary: Mapped[str] = mapped_column(Text, server_default="", default="")
    problems: Mapped[str] = mapped_column(Text, server_default="", default="")
    solutions: Mapped[str] = mapped_column(Text, server_default="", default="")
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    photos: Mapped[list[WeeklyReportPhoto]] = relationship(
        lazy="raise", order_by="WeeklyReportPhoto.id"
    )


class WeeklyReportPhoto(StoredFile, Base):
    """A photo (jpg/png) of a weekly report: node progress in pictures (seed 003 item 19)."""

    __tablename__ = "project_weekly_report_photos"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    report_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.project_weekly_reports.id", ondelete="CASCADE"), index=True
    )
