from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.validation import Text


class CalendarDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    is_workday: bool
    note: str
    source: str


class CalendarDayIn(BaseModel):
    is_workday: bool
    note: Text = Field(min_length=1, max_length=64, description="如 春节、国庆节调休上班")
