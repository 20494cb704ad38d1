from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.reform_tasks.submission.rules import SubmissionStatus
from shared.models import EvidenceScanStatus
from shared.validation import Text

# Text: no control or private-use characters (shared.validation).
Summary = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)]
QuarterText = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$")]


class SubmissionFileOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    scan_status: EvidenceScanStatus


class SubmissionOut(BaseModel):
    id: int
    unit: str
    unit_name: str
    quarter: str
    due_on: date
    status: SubmissionStatus
    summary: str
    submitted_on: date
    submitted_at: datetime
    submitted_by: str
    files: list[SubmissionFileOut]


class MatrixCell(BaseModel):
    quarter: str
    status: SubmissionStatus
    submitted_on: date | None
    submission_id: int | None


class MatrixRow(BaseModel):
    unit: str
    unit_name: str
    cells: list[MatrixCell]


class QuarterColumn(BaseModel):
    quarter: str
    due_on: date
    counts: dict[SubmissionStatus, int] = Field(description="各状态单位数")


class MatrixOut(BaseModel):
    programme: str
    as_of: date
    quarters: list[QuarterColumn]
    rows: list[MatrixRow]
