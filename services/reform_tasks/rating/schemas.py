from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator

from shared.validation import BusinessDate, Name, Text


class WindowIn(BaseModel):
    code: str = Field(pattern=r"^\d{4}-(Q[1-4]|H[12]|\d{2}|Y)$", description="如 2026-Q3")
    name: Name = Field(min_length=2, max_length=64, description="如 2026年第三季度")
    opens_on: BusinessDate
    closes_on: BusinessDate
    scale_max: int = Field(default=100, ge=5, le=1000, description="满分（默认 100）")

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        if self.closes_on < self.opens_on:
            raise ValueError("关闭日期不能早于开放日期")
        return self


class WindowOut(BaseModel):
    code: str
    name: str
    opens_on: date
    closes_on: date
    scale_max: int
    closed_at: datetime | None
    is_open: bool = Field(description="今天是否可以评分")


class RatingIn(BaseModel):
    score: Decimal = Field(
        ge=0, le=1000, decimal_places=1, description="评分（0 到满分，最多一位小数）"
    )
    comment: Text = Field(default="", max_length=2000, description="低于满分 60% 时必须说明理由")


class RatingOut(BaseModel):
    """A rating, or an empty cell of a rating sheet (score, version and updated_at null)."""

    window: str
    task_number: int
    task_title: str
    rater_unit: str
    rated_unit: str
    rated_unit_name: str
    score: float | None
    comment: str
    version: int | None
    updated_at: datetime | None
