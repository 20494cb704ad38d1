from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shared.models import SupervisionLevel, SupervisionStatus
from shared.validation import BusinessDate, Text


class Subject(BaseModel):
    task_number: int | None = None
    milestone_ordinal: int | None = None
    problem_number: int | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Subject:
        milestone = self.task_number is not None and self.milestone_ordinal is not None
        if milestone == (self.problem_number is not None):
            raise ValueError("督办对象须为一个时间节点（任务序号+节点序号）或一个问题（问题序号）")
        return self


class SupervisionIn(BaseModel):
    unit_code: str
    subject: Subject
    reason: Text = Field(min_length=4, max_length=2000)
    due_on: BusinessDate


class DecisionIn(BaseModel):
    decision: Literal["hold", "dismiss"] = Field(description="hold 问责 / dismiss 不予问责")
    reason: Text = Field(min_length=2, max_length=2000, description="决定的理由")


class ResolveIn(BaseModel):
    resolution: Text = Field(min_length=2, max_length=2000)


class SupervisionOut(BaseModel):
    id: int
    level: SupervisionLevel
    status: SupervisionStatus
    unit_code: str
    unit_name: str
    task_number: int | None
    milestone_ordinal: int | None
    problem_number: int | None
    reason: str
    issued_on: date
    due_on: date | None
    resolved_on: date | None
    resolution: str | None
    parent_id: int | None
    issued_by: str
    created_at: datetime


class EscalationSummary(BaseModel):
    as_of: date
    escalated_to_second: int
    escalated_to_accountability: int
    resolved: int
