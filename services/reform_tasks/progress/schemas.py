from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shared.models import EvidenceScanStatus, ReviewStatus


class EvidenceOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    scan_status: EvidenceScanStatus
    download_url: str


class ReportOut(BaseModel):
    id: int
    task_number: int
    milestone_ordinal: int
    unit_code: str
    content: str
    claims_completion: bool
    completion_date: date | None
    submitted_at: datetime
    review_status: ReviewStatus
    reviewed_at: datetime | None
    review_comment: str | None
    evidence: list[EvidenceOut]


class ReviewIn(BaseModel):
    decision: str = Field(pattern="^(accept|return)$", description="accept 通过 / return 退回")
    comment: str = Field(default="", max_length=2000, description="退回时必须说明理由")


class CloseOutResult(BaseModel):
    task_number: int
    milestone_ordinal: int | None
    completed_on: date
    on_time: bool
