from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ReviewOut(BaseModel):
    """One service review (好差评) from a follow-up visit."""

    order_no: str
    handling_unit_code: str | None
    district_code: str | None
    kind: str | None
    title: str | None
    visited_at: datetime
    satisfaction: str
    resolved: bool | None
    rating: Literal["good", "bad"] = Field(description="好评：满意或基本满意；差评：不满意")


class ReviewSummary(BaseModel):
    unit_code: str
    unit_name: str
    good: int
    bad: int
    total: int
    good_rate: float | None = Field(description="好评率 = 好评 ÷ 评价数")
