from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

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


FACTS_MAX_CHARS = 2000


def _check_facts(value: str) -> str:
    """Counted after stripping the surrounding blanks, which are not kept."""
    facts = value.strip()
    if not facts:
        raise ValueError("请填写整改落实情况")
    if len(facts) > FACTS_MAX_CHARS:
        raise ValueError(f"整改落实情况不能超过 {FACTS_MAX_CHARS} 字（当前 {len(facts)} 字）")
    return facts


# A reply's facts (整改落实情况): free text (line breaks allowed, no other control character),
# 1–2000 characters once stripped.
Facts = Annotated[Text, AfterValidator(_check_facts)]


class ReplyEvidenceOut(BaseModel):
    id: int
    filename: str = Field(description="上传时的文件名（已清理，仅用于显示和下载）")
    content_type: str
    size: int = Field(description="字节数")
    download_url: str = Field(description="下载地址（被督办单位和改革办可下载）")


class SupervisionReplyOut(BaseModel):
    id: int
    supervision_id: int
    facts: str = Field(description="整改落实情况")
    evidence: list[ReplyEvidenceOut]
    replied_by: str = Field(description="回复人账号")
    replied_at: datetime


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
    replied: bool = Field(
        description="被督办单位已回复本次督办（回复不等于办结，办结由改革办决定）"
    )
    document_number: str | None = Field(description="督办单或问责建议的文号（拟问责待决定的没有）")


class SupervisionDetailOut(SupervisionOut):
    replies: list[SupervisionReplyOut] = Field(description="被督办单位的回复，先回复的在前")


class EscalationSummary(BaseModel):
    as_of: date
    escalated_to_second: int
    escalated_to_accountability: int
    resolved: int
