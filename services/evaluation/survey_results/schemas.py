from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models import SurveyDecisionStatus
from shared.validation import Text


class SurveyRound(BaseModel):
    period: str = Field(description="评议轮次（半年度），如 2026-H1")
    programme: str
    units: int = Field(description="参评单位数")
    sub_units: int = Field(description="参评处室、站所数")
    published_at: datetime | None = Field(description="公布时间；未公布为空（单位看不到）")
    published_by: str | None


class RankedUnit(BaseModel):
    rank: int = Field(description="名次（同分同名次）")
    unit_code: str
    unit_name: str
    score: float
    respondents: int
    bottom_five: bool = Field(description="本轮处于后五位")


class RankedSubUnit(RankedUnit):
    sub_unit: str = Field(description="处室 / 站所名称")


class SurveyRanking(BaseModel):
    period: str
    programme: str
    published_at: datetime | None
    previous_period: str | None = Field(description="上一轮（连续两次后五位的比较轮次）")
    units: list[RankedUnit]
    sub_units: list[RankedSubUnit] = Field(description="处室、站所排名（调查表有该列时）")


class SurveyDecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme: str
    period: str
    previous_period: str
    unit_code: str
    unit_name: str = ""
    sub_unit: str = Field(description="处室 / 站所；为空表示单位本身")
    rank: int
    previous_rank: int
    ranked: int = Field(description="本轮参与排名的数量")
    status: SurveyDecisionStatus
    note: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class SurveyDecisionIn(BaseModel):
    status: Literal["adopted", "dismissed"] = Field(
        description="adopted 采纳问责建议 / dismissed 不予问责（须说明理由）"
    )
    note: Text = Field(default="", max_length=2000, description="决定说明")

    @model_validator(mode="after")
    def _reason(self) -> SurveyDecisionIn:
        if self.status == "dismissed" and len(self.note.strip()) < 2:
            raise ValueError("不予问责须说明理由")
        return self


class PublishResult(BaseModel):
    period: str
    published_at: datetime
    proposals: list[SurveyDecisionOut] = Field(description="本次公布新提出的问责建议")
