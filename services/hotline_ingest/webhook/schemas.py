"""The 12345 platform's webhook contract (docs/HOTLINE.md). The JSON Schema of each event is the
pydantic model's (`GET /api/hotline/v1/schemas/events`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters, the last a check character over the first 17."""
    if len(code) != 18 or any(c not in CREDIT_CHARS for c in code):
        return False
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


class Envelope(BaseModel):
    type: str = Field(min_length=1, max_length=64)
    timestamp: datetime
    data: dict[str, Any]


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    occurred_at: datetime


class Created(EventData):
    channel: Literal["phone", "web", "wechat", "app"]
    kind: Literal["consult", "complaint", "help", "suggestion", "report"]
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=20000)
    received_at: datetime
    district_code: str = Field(min_length=1, max_length=32)
    enterprise_name: str | None = Field(default=None, max_length=200)
    credit_code: str | None = None
    contact_name: str | None = Field(default=None, max_length=64)
    contact_phone: str | None = Field(default=None, max_length=32)
    category_code: str = Field(min_length=1, max_length=64)
    handling_unit_code: str = Field(min_length=1, max_length=32)
    due_at: datetime

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        if value is not None and not credit_code_valid(value.upper()):
            raise ValueError("统一社会信用代码校验位不正确")
        return value.upper() if value else value


class Assigned(EventData):
    handling_unit_code: str = Field(min_length=1, max_length=32)
    due_at: datetime


class Accepted(EventData):
    pass


class Replied(EventData):
    reply: str = Field(min_length=1, max_length=20000)


class Closed(EventData):
    pass


class Visited(EventData):
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    resolved: bool


class Returned(EventData):
    reason: str = Field(min_length=1, max_length=2000)


class Extended(EventData):
    new_due_at: datetime


EVENT_MODELS: dict[str, type[EventData]] = {
    "work_order.created": Created,
    "work_order.assigned": Assigned,
    "work_order.accepted": Accepted,
    "work_order.replied": Replied,
    "work_order.closed": Closed,
    "work_order.visited": Visited,
    "work_order.returned": Returned,
    "work_order.extended": Extended,
}
PERSONAL_FIELDS = ("contact_name", "contact_phone")


class WebhookAck(BaseModel):
    status: str = Field(description="applied / duplicate_delivery / duplicate_event / ignored_type")
