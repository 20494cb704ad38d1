from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class RepeatOut(BaseModel):
    order_no: str
    title: str | None = Field(description="标题（其中的手机号、身份证号已脱敏）")
    status: str
    handling_unit_code: str | None
    received_at: datetime | None
    manual: bool = Field(description="由改革办人工关联（否：系统按同一来电人、同一事项自动关联）")
    linked_by: str | None = Field(description="system（系统）或改革办用户名")
    linked_at: datetime | None


class RepeatsOut(BaseModel):
    """One order's place among repeat requests (重复诉求): the first order of its matter, or the
    repeats linked to it."""

    order_no: str
    repeat_of: str | None = Field(description="本工单是哪张工单的重复诉求；null：不是")
    manual: bool = Field(description="本工单的关联状态由改革办人工确定（系统不再自动调整）")
    linked_by: str | None
    linked_at: datetime | None
    unlinked_by: str | None
    unlinked_at: datetime | None
    reason: str | None
    repeat_count: int = Field(description="关联为本工单重复诉求的工单数")
    repeats: list[RepeatOut] = Field(description="本工单的重复诉求（仅列出当前用户可查看的）")


class RepeatChange(BaseModel):
    """Link the order as a repeat of another (`repeat_of`), or unlink it (not a repeat)."""

    action: Literal["link", "unlink"]
    repeat_of: str | None = Field(
        default=None, min_length=1, max_length=64, description="link：首次诉求的工单号"
    )
    reason: str = Field(min_length=2, max_length=500, description="理由（记入审计）")
