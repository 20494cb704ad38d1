from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.hotline_ingest.webhook.schemas import Text
from services.hotline_ingest.work_order.schemas import WorkOrderOut


class ReturnOut(BaseModel):
    """A return (退单) waiting for the office's review."""

    order: WorkOrderOut
    returned_at: datetime | None = Field(description="退单时间")
    reason: str | None = Field(description="退单理由")


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"] = Field(
        description="approve 同意退单并改派（选择新的承办单位）；reject 驳回（退回原单位继续办理）"
    )
    unit_code: str | None = Field(
        default=None, min_length=1, max_length=32, description="改派的承办单位（同意时必填）"
    )
    reason: Text = Field(min_length=1, max_length=2000, description="审核意见")

    @model_validator(mode="after")
    def _unit_for_approval(self) -> DecisionIn:
        if self.decision == "approve" and self.unit_code is None:
            raise ValueError("同意退单须选择改派的承办单位（unit_code）")
        return self


class DecisionOut(BaseModel):
    order: WorkOrderOut
    decision: Literal["approve", "reject"]


class ReturnSummary(BaseModel):
    """One unit's returns in the period (by the day returned)."""

    unit_code: str
    unit_name: str
    returned: int = Field(description="退单数")
    approved: int = Field(description="经审核同意并改派")
    rejected: int = Field(description="被驳回")
    pending: int = Field(description="待审核")
