from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.models import JobRunStatus


class JobRunOut(BaseModel):
    id: int
    job_kind: str = Field(description="monthly_dispatch / quarterly_notice / reminders / …")
    period: str = Field(description="期次：2026-10、2026-Q3 或日期")
    status: JobRunStatus
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None
