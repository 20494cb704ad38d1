from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.models import MilestoneState, TaskClass, TaskStatus
from shared.validation import BusinessDate, Name, PatchModel, Text
from shared.warning_light import WarningLight


class UnitRef(BaseModel):
    code: str
    name: str
    short_name: str


class DomainRef(BaseModel):
    code: str
    name: str


class MilestoneOut(BaseModel):
    ordinal: int
    title: str
    planned_date: date = Field(description="计划日期（批准延期后移动）")
    baseline_date: date = Field(description="基线日期（首次确定，不随延期移动）")
    completed_on: date | None
    state: MilestoneState
    version: int


class TaskOut(BaseModel):
    number: int
    programme: str
    domain: DomainRef
    task_class: TaskClass
    title: str
    benchmark: str
    goal: str
    measures: str
    lead_unit: UnitRef
    responsible_units: list[UnitRef]
    deadline: date
    deadline_text: str = Field(description="完成时限原文，如“2026年6月底前”“长期坚持”")
    status: TaskStatus
    closed_out_on: date | None
    milestones: list[MilestoneOut]
    warning_light: WarningLight = Field(description="今天的三色预警：green / yellow / red")
    warning_reason: str = Field(description="预警原因，如“落后序时进度 18 个百分点”")
    version: int = Field(description="乐观锁版本号；修改时以 If-Match 携带")
    updated_at: datetime


class TaskSort(StrEnum):
    number = "number"
    number_desc = "-number"
    deadline = "deadline"
    deadline_desc = "-deadline"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class MilestoneIn(BaseModel):
    ordinal: int | None = Field(
        default=None, ge=1, description="序次（可省略；给出时须为 1、2、3… 连续）"
    )
    planned_date: BusinessDate
    title: Name = Field(min_length=2, max_length=200)


class TaskCreate(BaseModel):
    number: int = Field(ge=1, le=100000, description="序号（改革工程内唯一）")
    domain: str = Field(description="领域代码")
    task_class: TaskClass
    title: Name = Field(min_length=2, max_length=200)
    benchmark: Text = Field(default="", max_length=2000)
    goal: Text = Field(min_length=2, max_length=4000)
    measures: Text = Field(default="", max_length=8000)
    lead_unit: str = Field(description="牵头单位代码")
    responsible_units: list[str] = Field(min_length=1, max_length=20, description="责任单位代码")
    deadline: BusinessDate
    deadline_text: Name = Field(default="", max_length=64, description="完成时限原文")
    milestones: list[MilestoneIn] = Field(min_length=1, max_length=12)


class TaskUpdate(PatchModel):
    """Only the fields sent are changed. Milestones change through extensions or the import."""

    domain: str | None = None
    task_class: TaskClass | None = None
    title: Name | None = Field(default=None, min_length=2, max_length=200)
    benchmark: Text | None = Field(default=None, max_length=2000)
    goal: Text | None = Field(default=None, min_length=2, max_length=4000)
    measures: Text | None = Field(default=None, max_length=8000)
    lead_unit: str | None = None
    responsible_units: list[str] | None = Field(default=None, min_length=1, max_length=20)
    deadline: BusinessDate | None = None
    deadline_text: Name | None = Field(default=None, max_length=64)
