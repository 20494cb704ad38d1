from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.models import EvidenceScanStatus, ReviewStatus
from shared.validation import Text


class EvidenceOut(BaseModel):
    id: int
    filename: str = Field(description="上传时的文件名（已清理，仅用于显示和下载）")
    content_type: str
    size_bytes: int
    sha256: str
    scan_status: EvidenceScanStatus
    download_url: str


class ReportOut(BaseModel):
    id: int
    task_number: int
    milestone_ordinal: int
    unit_code: str = Field(description="报送单位")
    content: str
    claims_completion: bool
    completion_date: date | None
    submitted_at: datetime
    review_status: ReviewStatus
    reviewed_at: datetime | None
    review_comment: str | None
    evidence: list[EvidenceOut]


class ReviewIn(BaseModel):
    decision: Literal["accept", "return"] = Field(description="accept 通过 / return 退回")
    comment: Text = Field(default="", max_length=2000, description="退回时必须说明理由")


class CloseOutRefusal(BaseModel):
    reason: Text = Field(
        min_length=1, max_length=2000, description="不予销号的理由（告知牵头单位）"
    )


class CloseOutResult(BaseModel):
    task_number: int
    milestone_ordinal: int | None = Field(description="时间节点序号；任务销号时为空")
    completed_on: date = Field(description="完成日期（任务：最后一个时间节点的完成日期）")
    on_time: bool = Field(description="时间节点：不晚于计划日期；任务：不晚于完成时限")
