from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.hotline_ingest.webhook.schemas import Text

AppealStatus = Literal["pending", "upheld", "overturned"]


class AppealIn(BaseModel):
    order_no: str = Field(min_length=1, max_length=64)
    reason: Text = Field(min_length=1, max_length=2000, description="申诉理由")
    evidence: Text = Field(
        min_length=1,
        max_length=20000,
        description="证据说明：通话记录、现场核查、向诉求人说明的情况等",
    )


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_no: str
    unit_code: str
    visited_at: datetime = Field(description="被申诉的回访时间")
    reason: str
    evidence: str
    status: AppealStatus = Field(description="pending 待复核 / upheld 维持 / overturned 改判")
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    appeal_deadline: datetime | None = Field(
        default=None, description="申诉期限（回访后 HOTLINE_APPEAL_DAYS 个工作日）"
    )


class AppealDecisionIn(BaseModel):
    decision: Literal["upheld", "overturned"] = Field(
        description="upheld 维持不满意评价；overturned 改判（不计入满意率）"
    )
    reason: Text = Field(min_length=1, max_length=2000, description="复核意见")
