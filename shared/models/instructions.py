"""`tasks` schema: leader instructions (领导批示, issue #27).

A city leader's instruction on a reform task, a key project or a typical case; the office assigns
it to one or more units with a deadline, each unit answers (with files), and the office records
the leader's acknowledgement (阅示), which closes it. Every row carries its programme (a closed
year refuses changes, tasks.refuse_closed_programme).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, TASKS, Base, TimestampMixin, str_enum
from shared.models.files import StoredFile
from shared.models.platform import Unit


class InstructionSubject(StrEnum):
    """What the leader wrote the instruction on."""

    task = "task"  # a reform task (subject_id: its 序号)
    project = "project"  # a key project (tasks.projects.id)
    case = "case"  # a typical case (tasks.cases.id)


class InstructionStatus(StrEnum):
    open = "open"  # awaiting the units' answers or the leader's acknowledgement
    acknowledged = "acknowledged"  # 已阅示: closed


class Instruction(TimestampMixin, Base):
    __tablename__ = "instructions"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"), index=True)
    subject_type: Mapped[InstructionSubject] = mapped_column(
        str_enum(InstructionSubject, "instruction_subject")
    )
    subject_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    leader_name: Mapped[str] = mapped_column(String(64))
    leader_title: Mapped[str] = mapped_column(String(64))
    instructed_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[InstructionStatus] = mapped_column(
        str_enum(InstructionStatus, "instruction_status"), default=InstructionStatus.open
    )
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))

    assignments: Mapped[list[InstructionAssignment]] = relationship(
        lazy="raise", order_by="InstructionAssignment.id"
    )


class InstructionAssignment(Base):
    """A unit the office assigned the instruction to; `answered_at` its first answer."""

    __tablename__ = "instruction_units"
    __table_args__ = (UniqueConstraint("instruction_id", "unit_id"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.instructions.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship(lazy="raise")


class InstructionAnswer(Base):
    """An assigned unit's answer (落实情况); a unit may answer again while it is open."""

    __tablename__ = "instruction_answers"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.instructions.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    text: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    unit: Mapped[Unit] = relationship(lazy="raise")
    files: Mapped[list[InstructionAnswerFile]] = relationship(
        lazy="raise", order_by="InstructionAnswerFile.id"
    )


class InstructionAnswerFile(StoredFile, Base):
    """A file attached to an instruction answer (the evidence store's columns)."""

    __tablename__ = "instruction_answer_files"
    __table_args__ = {"schema": TASKS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    answer_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.instruction_answers.id", ondelete="CASCADE"), index=True
    )
