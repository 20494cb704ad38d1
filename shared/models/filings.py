"""`tasks` schema: what units file with the office and what the office registers about them
(issue #27): the unit-filed problem / cause / measure lists (三张清单, 备案), the quarterly work
reports (季度工作报告) and the register of typical cases (典型案例).

Seed 003_fe0a5556b3029276.txt: "形成问题清单、原因清单、措施清单。各有关部门和县(市、区)、开发区要将
问题清单及时报市创优营商环境组备案" and "每季度末月25日前将工作开展情况报市创优营商环境组".
Seed 002_c95ffdd180ea7e81.txt: "每季度至少通报一次破坏营商环境的典型案例，并通过媒体向社会公开" and
"一案双查". Every row carries its programme (a closed year refuses changes,
tasks.refuse_closed_programme).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, TASKS, Base, TimestampMixin, str_enum
from shared.models.files import StoredFile
from shared.models.platform import Unit


class ProblemListStatus(StrEnum):
    """draft → submitted → accepted (备案), or returned with a reason → (edited) → submitted."""

    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


class ProblemList(TimestampMixin, Base):
    """A unit's own 问题/原因/措施 list, filed with the office for the record (备案)."""

    __tablename__ = "problem_lists"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProblemListStatus] = mapped_column(
        str_enum(ProblemListStatus, "problem_list_status"), default=ProblemListStatus.draft
    )
    created_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    return_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship(lazy="raise")
    items: Mapped[list[ProblemListItem]] = relationship(
        lazy="raise", order_by="ProblemListItem.position", cascade="all, delete-orphan"
    )


class ProblemListItem(Base):
    """One line of a filed list: the problem, its cause, the measure, who answers for it and by
    when. Once the list is accepted the line is a problem of the problem list (`problem_id`),
    closed one by one there (对单销号)."""

    __tablename__ = "problem_list_items"
    __table_args__ = (UniqueConstraint("list_id", "position"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    list_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.problem_lists.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)
    responsible_person: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey(f"{TASKS}.problems.id"), unique=True)


class QuarterlySubmission(Base):
    """A unit's quarterly work report (季度工作报告) for one quarter: a summary and files."""

    __tablename__ = "quarterly_submissions"
    __table_args__ = (
        UniqueConstraint("programme_id", "unit_id", "quarter"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # 2026-Q3
    summary: Mapped[str] = mapped_column(Text)
    submitted_on: Mapped[date] = mapped_column(Date)  # Shanghai date, against the due date
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    submitted_by: Mapped[str] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship(lazy="raise")
    files: Mapped[list[QuarterlySubmissionFile]] = relationship(
        lazy="raise", order_by="QuarterlySubmissionFile.id"
    )


class QuarterlySubmissionFile(StoredFile, Base):
    """An attachment of a quarterly work report."""

    __tablename__ = "quarterly_submission_files"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    submission_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.quarterly_submissions.id", ondelete="CASCADE"), index=True
    )


class CaseKind(StrEnum):
    negative = "negative"  # 破坏营商环境的典型案例
    positive = "positive"  # 优化营商环境的示范案例


class TypicalCase(TimestampMixin, Base):
    """A typical case of the quarter: facts, the unit concerned, how it was handled and, for a
    case that damaged the business environment, the 一案双查 results (the people directly
    responsible; the unit's leadership, 主体责任)."""

    __tablename__ = "cases"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"), index=True)
    kind: Mapped[CaseKind] = mapped_column(str_enum(CaseKind, "case_kind"))
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    handling: Mapped[str] = mapped_column(Text, server_default="", default="")
    people_accountability: Mapped[str | None] = mapped_column(Text)
    unit_accountability: Mapped[str | None] = mapped_column(Text)
    quarter: Mapped[str] = mapped_column(String(7))  # 2026-Q3
    public: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    created_by: Mapped[str] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship(lazy="raise")
