from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shared.models import ProblemSource, ProblemStatus


class ProblemIn(BaseModel):
    source: ProblemSource
    problem: str = Field(min_length=4, max_length=2000, description="问题")
    cause: str = Field(default="", max_length=2000, description="原因")
    measure: str = Field(default="", max_length=2000, description="整改措施")
    responsible_unit: str
    found_on: date
    due_on: date


class ProblemUpdate(BaseModel):
    problem: str | None = Field(default=None, min_length=4, max_length=2000)
    cause: str | None = Field(default=None, max_length=2000)
    measure: str | None = Field(default=None, max_length=2000)
    responsible_unit: str | None = None
    due_on: date | None = None


class NoteIn(BaseModel):
    note: str = Field(min_length=2, max_length=2000)


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
