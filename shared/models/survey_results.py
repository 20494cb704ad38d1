"""`evaluation` schema: the published 万企评机关 results (issue #27; seed
002_c95ffdd180ea7e81.txt: "每半年组织企业家对涉企部门及重点处室、基层站所进行满意度评议，
公布满意度排名" and "对在“万企评机关”活动中连续两次处于后五位的部门和处室负责人进行严肃问责处理").

- `survey_sub_results`: a round's scores of 处室 / 站所 (sub-units: names under a unit, not
  accounts), from the survey sheet's optional sub-unit column. The unit's own score stays in
  `survey_results` (it scores through the ledger); sub-unit scores are published, never scored.
- `survey_publications`: a round (half-year period) the office has published; units read a
  round's ranking only from then on.
- `survey_decisions`: the accountability proposal (问责建议) for a unit or sub-unit in the bottom
  five of two consecutive rounds, decided by the office: proposed → adopted / dismissed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Float, Integer, SmallInteger, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import EVALUATION, Base, str_enum


class SurveySubResult(Base):
    __tablename__ = "survey_sub_results"
    __table_args__ = (
        UniqueConstraint("period", "unit_code", "sub_unit"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16), index=True)  # 2026-H1
    unit_code: Mapped[str] = mapped_column(String(32))
    sub_unit: Mapped[str] = mapped_column(String(64))  # 处室 / 站所 name under the unit
    score: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SurveyPublication(Base):
    __tablename__ = "survey_publications"
    __table_args__ = {"schema": EVALUATION}

    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SurveyDecisionStatus(StrEnum):
    proposed = "proposed"  # 问责建议：待改革办决定
    adopted = "adopted"  # 采纳：问责
    dismissed = "dismissed"  # 不予问责（附说明）


class SurveyDecision(Base):
    """One accountability proposal: `sub_unit` is "" for the unit itself."""

    __tablename__ = "survey_decisions"
    __table_args__ = (
        UniqueConstraint("period", "unit_code", "sub_unit"),
        {"schema": EVALUATION},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # the second of the two rounds
    previous_period: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(32))
    sub_unit: Mapped[str] = mapped_column(String(64), server_default="", default="")
    rank: Mapped[int] = mapped_column(SmallInteger)  # in `period`
    previous_rank: Mapped[int] = mapped_column(SmallInteger)
    ranked: Mapped[int] = mapped_column(SmallInteger)  # how many were ranked in `period`
    status: Mapped[SurveyDecisionStatus] = mapped_column(
        str_enum(SurveyDecisionStatus, "survey_decision_status"),
        default=SurveyDecisionStatus.proposed,
    )
    note: Mapped[str] = mapped_column(Text, server_default="", default="")
    proposed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
