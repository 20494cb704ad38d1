from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

LimitKind = Literal["signing", "closing"]


class ReminderOut(BaseModel):
    """One step of 催办 for an order past its limit."""

    id: int
    order_no: str
    unit_code: str
    limit_kind: LimitKind = Field(description="signing 签收时限 / closing 办结时限")
    deadline: datetime = Field(description="已过的时限")
    step: int = Field(description="1：催办单位联络员；2：抄送单位负责人")
    recipient: str = Field(description="联络员 / 单位负责人（抄送）")
    title: str
    body: str
    sent_at: datetime
    order_open: bool = Field(description="工单仍未签收（签收时限）或未办结（办结时限）")
