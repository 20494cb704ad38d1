from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.models import InspectionMode
from shared.periods import PeriodId
from shared.validation import BusinessDate, Name, Text


class InspectionIn(BaseModel):
    unit_code: str
    inspected_on: BusinessDate
    mode: InspectionMode = Field(description="scheduled 计划督查 / unannounced 四不两直")
    finding: Text = Field(min_length=2, max_length=2000)
    deduction: float = Field(ge=0, le=20, description="扣分")


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_code: str
    inspected_on: date
    mode: InspectionMode
    finding: str
    deduction: float
    recorded_by: str


class SurveyIn(BaseModel):
    period: PeriodId = Field(pattern=r"^\d{4}-H[12]$", description="半年度，如 2026-H1")
    unit_code: str
    score: float = Field(ge=0, le=100)
    respondents: int = Field(ge=0)


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: str
    unit_code: str
    score: float
    respondents: int


class SurveyImportResult(BaseModel):
    rows: int
    dry_run: bool


class ExternalRankIn(BaseModel):
    year: int = Field(ge=2015, le=2100)
    indicator: Name = Field(min_length=2, max_length=64)
    lead_unit: str
    national_rank: int | None = Field(default=None, ge=1)
    provincial_rank: int | None = Field(default=None, ge=1)


class ExternalRankOut(BaseModel):
    year: int
    indicator: str
    lead_unit: str
    national_rank: int | None
    provincial_rank: int | None
    full_marks: bool = Field(description="国评前10或省评第1（规则集）：次年牵头部门考核直接得满分")
    consequence: str = Field(description="按种子文件001的后果（含部门主要负责人年终考核优秀）")


class ParkedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: str
    type: str
    reason: str
    envelope: dict[str, Any]
    parked_at: datetime
    replayed_at: datetime | None
