from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from shared.validation import BusinessDate


class WorkOrderSort(StrEnum):
    received_desc = "-received_at"
    received = "received_at"
    due = "due_at"
    due_desc = "-due_at"
    updated_desc = "-updated_at"


class WorkOrderFilters(BaseModel):
    """The office's (and a unit's) filters; a unit's own scope is applied on top."""

    unit: str | None = None
    district: str | None = None
    kind: str | None = None
    status: str | None = None
    channel: str | None = None
    category: str | None = None
    domain: str | None = None
    quarantined: bool | None = None
    overdue: bool | None = None
    received_from: BusinessDate | None = None
    received_to: BusinessDate | None = None
    q: str | None = None
    sort: WorkOrderSort = WorkOrderSort.received_desc


class WorkOrderOut(BaseModel):
    order_no: str
    status: str = Field(description="created/assigned/accepted/replied/closed/visited/returned")
    channel: str | None
    kind: str | None
    urgency: str = Field(
        description="normal 一般 / utilities 公用事业 / life_property 生命财产安全"
    )
    title: str | None
    category_code: str | None
    domain_code: str | None = Field(default=None, description="分类对应的任务清单领域")
    district_code: str | None
    handling_unit_code: str | None
    enterprise_name: str | None
    credit_code: str | None
    contact_name: str | None = Field(description="脱敏（张*）")
    contact_phone: str | None = Field(description="脱敏（138****5678）")
    received_at: datetime | None
    assigned_at: datetime | None
    due_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    visited_at: datetime | None
    satisfaction: str | None
    resolved: bool | None
    overdue: bool = Field(description="未办结且已过办理期限")
    quarantine_reason: str | None
    repeat_of: str | None = Field(
        default=None, description="重复诉求：本工单是哪张工单的重复诉求；null：不是"
    )
    repeat_count: int = Field(default=0, description="关联为本工单重复诉求的工单数")


class WorkOrderEventOut(BaseModel):
    type: str
    occurred_at: datetime
    source: str = Field(description="webhook / open311 / office / import")
    received_at: datetime = Field(description="when this service stored it")
    data: dict[str, Any]


class WorkOrderDetail(WorkOrderOut):
    content: str | None = Field(description="诉求内容（其中的手机号、身份证号已脱敏）")
    reply: str | None
    returned_reason: str | None
    # issue #26: 先行联系, a return waiting for review, a dissatisfied rating overturned.
    first_contacted_at: datetime | None = Field(default=None, description="先行联系时间（最早）")
    returned_at: datetime | None = Field(default=None, description="退单时间（待审核时）")
    satisfaction_overturned: bool = Field(
        default=False, description="不满意评价经申诉改判，不计入满意率"
    )
    events: list[WorkOrderEventOut]


class RevealIn(BaseModel):
    reason: str = Field(
        min_length=4, max_length=500, description="查看联系人信息的理由（记入审计）"
    )


class Contact(BaseModel):
    order_no: str
    contact_name: str | None
    contact_phone: str | None
