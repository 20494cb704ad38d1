from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class SentReminder(BaseModel):
    id: int
    unit_code: str
    kind: str
    title: str
    body: str
    link: str


class ReminderRunResult(BaseModel):
    as_of: date
    counts: dict[str, int] = Field(description="本次新发出的提醒数（按类型）")
    sent: list[SentReminder] = Field(description="本次新发出的提醒（已发过的不再发）")
