from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class WorkOrderOut(BaseModel):
    order_no: str
    status: str
    channel: str | None
    kind: str | None
    title: str | None
    category_code: str | None
    district_code: str | None
    handling_unit_code: str | None
    enterprise_name: str | None
    contact_name: str | None = Field(description="脱敏（张*）")
    contact_phone: str | None = Field(description="脱敏（138****5678）")
    received_at: datetime | None
    due_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    satisfaction: str | None
    resolved: bool | None
    quarantine_reason: str | None


class WorkOrderEventOut(BaseModel):
    type: str
    occurred_at: datetime
    data: dict[str, Any]


class WorkOrderDetail(WorkOrderOut):
    content: str | None
    reply: str | None
    events: list[WorkOrderEventOut]


class RevealIn(BaseModel):
    reason: str = Field(
        min_length=4, max_length=500, description="查看联系人信息的理由（记入审计）"
    )


class Contact(BaseModel):
    order_no: str
    contact_name: str | None
    contact_phone: str | None
