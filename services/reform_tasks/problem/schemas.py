from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shared.models import ProblemSource, ProblemStatus
from shared.validation import BusinessDate, PatchModel, Text


class ProblemIn(BaseModel):
    source: ProblemSource
    problem: Text = Field(min_length=4, max_length=2000, description="问题")
    cause: Text = Field(default="", max_length=2000, description="原因")
    measure: Text = Field(default="", max_length=2000, description="整改措施")
    responsible_unit: str
    found_on: BusinessDate
    due_on: BusinessDate


class ProblemUpdate(PatchModel):
    problem: Text | None = Field(default=None, min_length=4, max_length=2000)
    cause: Text | None = Field(default=None, max_length=2000)
    measure: Text | None = Field(default=None, max_length=2000)
    responsible_unit: str | None = None
    due_on: BusinessDate | None = None


class NoteIn(BaseModel):
    note: Text = Field(min_length=2, max_length=2000)


class ProblemOut(BaseModel):
    number: int
    source: ProblemSource
    problem: str
    cause: str
    measure: str
    responsible_unit: str
    responsible_unit_name: str
    found_on: date
    due_on: date
    status: ProblemStatus
    closed_on: date | None
    overdue: bool
    version: int
    updated_at: datetime
