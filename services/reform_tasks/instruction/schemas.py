from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from shared.models import InstructionStatus, InstructionSubject
from shared.validation import BusinessDate, Name, Text


class InstructionIn(BaseModel):
    subject_type: InstructionSubject = Field(
        description="task 改革任务 / project 重点项目 / case 典型案例"
    )
    subject_id: int = Field(
        ge=1, le=2_147_483_647, description="task：任务序号；project、case：项目或案例的 id"
    )
    text: Text = Field(min_length=2, max_length=4000, description="批示内容")
    leader_name: Name = Field(min_length=1, max_length=64, description="批示领导姓名")
    leader_title: Name = Field(min_length=1, max_length=64, description="批示领导职务")
    instructed_on: BusinessDate = Field(description="批示日期")
    due_on: BusinessDate = Field(description="办理期限")
    unit_codes: list[str] = Field(
        min_length=1, max_length=50, description="承办单位代码（一个或多个，不重复）"
    )

    @model_validator(mode="after")
    def _dates_and_units(self) -> InstructionIn:
        if self.due_on < self.instructed_on:
            raise ValueError("办理期限不能早于批示日期")
        if len(set(self.unit_codes)) != len(self.unit_codes):
            raise ValueError("承办单位不能重复")
        return self


ANSWER_MAX_CHARS = 2000


def _check_answer(value: str) -> str:
    """Counted after stripping the surrounding blanks, which are not kept."""
    answer = value.strip()
    if not answer:
        raise ValueError("请填写落实情况")
    if len(answer) > ANSWER_MAX_CHARS:
        raise ValueError(f"落实情况不能超过 {ANSWER_MAX_CHARS} 字（当前 {len(answer)} 字）")
    return answer


# A unit's answer (落实情况): free text, 1–2000 characters once stripped.
AnswerText = Annotated[Text, AfterValidator(_check_answer)]


class AcknowledgeIn(BaseModel):
    acknowledged_on: BusinessDate = Field(description="领导阅示日期")
    note: Text = Field(default="", max_length=2000, description="阅示意见（可空）")


class AnswerFileOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="字节数")
    download_url: str


class AnswerOut(BaseModel):
    id: int
    unit_code: str
    unit_name: str
    text: str = Field(description="落实情况")
    files: list[AnswerFileOut]
    answered_by: str
    answered_at: datetime


class AssignmentOut(BaseModel):
    unit_code: str
    unit_name: str
    answered: bool = Field(description="该单位已回复")
    overdue: bool = Field(description="期限已过而该单位仍未回复")


class InstructionOut(BaseModel):
    id: int
    subject_type: InstructionSubject
    subject_id: int
    subject_label: str = Field(description="批示对象，如“任务1 企业开办全程网办”")
    text: str
    leader_name: str
    leader_title: str
    instructed_on: date
    due_on: date
    status: InstructionStatus
    overdue: bool = Field(description="未阅示且期限已过而仍有承办单位未回复")
    units: list[AssignmentOut]
    acknowledged_on: date | None
    acknowledgement: str | None
    acknowledged_by: str | None
    created_by: str
    created_at: datetime


class InstructionDetailOut(InstructionOut):
    answers: list[AnswerOut] = Field(description="承办单位的回复，先回复的在前")
