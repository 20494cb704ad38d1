from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.hotline_ingest.webhook.schemas import Text
from shared.models import EvidenceScanStatus

AppealStatus = Literal["pending", "upheld", "overturned"]


OrderNo = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=2000)]
EvidenceText = Annotated[Text, StringConstraints(min_length=1, max_length=20000)]


class AppealFileOut(BaseModel):
    """An evidence file of the appeal; its bytes at `GET …/appeals/{id}/files/{file_id}`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size_bytes: int
    scan_status: EvidenceScanStatus = Field(description="clean 已扫描 / unscanned 未扫描")
    uploaded_at: datetime


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_no: str
    unit_code: str
    visited_at: datetime = Field(description="被申诉的回访时间")
    reason: str
    evidence: str = Field(description="证据说明")
    files: list[AppealFileOut] = Field(default_factory=list, description="证据材料文件")
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
