from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shared.models import ProblemListStatus, ProblemStatus
from shared.validation import BusinessDate, Name, Text

MAX_ITEMS = 200  # office default: lines of one filed list


class ItemIn(BaseModel):
    problem: Text = Field(min_length=4, max_length=2000, description="问题")
    cause: Text = Field(min_length=2, max_length=2000, description="原因")
    measure: Text = Field(min_length=2, max_length=2000, description="措施")
    responsible_person: Name = Field(min_length=2, max_length=64, description="责任人")
    due_on: BusinessDate = Field(description="完成时限")


class ProblemListIn(BaseModel):
    title: Name = Field(min_length=2, max_length=200, description="清单名称")
    items: list[ItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)


class ReturnIn(BaseModel):
    reason: Text = Field(min_length=2, max_length=2000, description="退回理由")


class ItemOut(BaseModel):
    position: int
    problem: str
    cause: str
    measure: str
    responsible_person: str
    due_on: date
    problem_number: int | None = Field(description="备案后对应的问题编号（对单销号）")
    problem_status: ProblemStatus | None


class ProblemListOut(BaseModel):
    id: int
    unit: str
    unit_name: str
    title: str
    status: ProblemListStatus
    item_count: int
    created_by: str
    submitted_at: datetime | None
    submitted_by: str | None
    decided_at: datetime | None
    decided_by: str | None
    return_reason: str | None
    updated_at: datetime


class ProblemListDetail(ProblemListOut):
    items: list[ItemOut]


class ImportResult(BaseModel):
    imported: int
    list: ProblemListDetail
