from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shared.models import ExtensionStatus
from shared.validation import BusinessDate, Text


class ExtensionIn(BaseModel):
    requested_date: BusinessDate = Field(
        description="申请延期至（晚于当前计划日期，不晚于改革工程结束日）"
    )
    reason: Text = Field(min_length=2, max_length=2000, description="延期理由")


class DecisionIn(BaseModel):
    comment: Text = Field(default="", max_length=2000, description="审批意见")


class ExtensionOut(BaseModel):
    id: int
    task_number: int
    milestone_ordinal: int
    milestone_title: str
    unit_code: str = Field(description="申请单位")
    requested_by: str
    reason: str
    current_date: date = Field(description="申请时的计划日期")
    requested_date: date
    status: ExtensionStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
