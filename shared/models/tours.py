"""`tasks` schema: "4+2" 项目观摩 rounds (seed 003_fe0a5556b3029276.txt item 21, issue #27).

Twice a year (early July, late December) the city's leaders tour each district's key projects —
four newly started and two completed — and the inspection team scores each district on a score
sheet. A round has its sheet (items with maximum points, the office's defaults editable until the
first score), the projects each district shows, the team's scores per district and item, and is
published once (the scores locked; each district's total and rank go to evaluation). Every row
carries its programme (a closed year refuses changes, tasks.refuse_closed_programme).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import PLATFORM, TASKS, Base, TimestampMixin, str_enum
from shared.models.platform import Unit


class TourKind(StrEnum):
    mid_year = "mid_year"  # 年中观摩, early July
    year_end = "year_end"  # 年末观摩, late December


class TourStatus(StrEnum):
    open = "open"  # the sheet (until the first score) and the scores can change
    published = "published"  # scores locked, results sent to evaluation


class TourProjectRole(StrEnum):
    new_start = "new_start"  # 新开工项目
    completed = "completed"  # 竣工项目


class TourRound(TimestampMixin, Base):
    __tablename__ = "tour_rounds"
    __table_args__ = (UniqueConstraint("programme_id", "kind"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    kind: Mapped[TourKind] = mapped_column(str_enum(TourKind, "tour_kind"))
    name: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    status: Mapped[TourStatus] = mapped_column(
        str_enum(TourStatus, "tour_status"), default=TourStatus.open
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))

    items: Mapped[list[TourSheetItem]] = relationship(
        lazy="raise", order_by="TourSheetItem.ordinal"
    )


class TourSheetItem(Base):
    """One line of the round's score sheet (评分表): a name and its maximum points."""

    __tablename__ = "tour_sheet_items"
    __table_args__ = (
        UniqueConstraint("round_id", "ordinal"),
        UniqueConstraint("round_id", "name"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    round_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.tour_rounds.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(32))
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))


class TourProject(Base):
    """A key project a district shows in the round (4 newly started + 2 completed expected)."""

    __tablename__ = "tour_projects"
    __table_args__ = (UniqueConstraint("round_id", "project_id"), {"schema": TASKS})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    round_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.tour_rounds.id", ondelete="CASCADE"), index=True
    )
    district_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.projects.id"))
    role: Mapped[TourProjectRole] = mapped_column(str_enum(TourProjectRole, "tour_project_role"))


class TourScore(Base):
    """The inspection team's points for one district on one sheet item (0..its maximum)."""

    __tablename__ = "tour_scores"
    __table_args__ = (
        UniqueConstraint("round_id", "district_unit_id", "item_id"),
        {"schema": TASKS},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey(f"{TASKS}.programmes.id"))
    round_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.tour_rounds.id", ondelete="CASCADE"), index=True
    )
    district_unit_id: Mapped[int] = mapped_column(ForeignKey(f"{PLATFORM}.units.id"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey(f"{TASKS}.tour_sheet_items.id", ondelete="CASCADE")
    )
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    scored_by: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    district_unit: Mapped[Unit] = relationship(lazy="raise")
