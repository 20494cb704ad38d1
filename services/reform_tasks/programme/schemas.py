from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.validation import Name
from shared.warning_light import (
    DEFAULT_RED_BEHIND_POINTS,
    DEFAULT_RED_LATE_MONTHS,
    DEFAULT_YELLOW_BEHIND_POINTS,
)


class ProgrammeSettings(BaseModel):
    """Battle-map thresholds: days past the planned date before a milestone is lagging /
    seriously lagging; the warning lights' thresholds (三色预警, office defaults, see
    shared/warning_light.py)."""

    lagging_after_days: int = Field(ge=0, le=365)
    seriously_lagging_after_days: int = Field(ge=1, le=365)
    warning_yellow_behind_points: int = Field(
        default=DEFAULT_YELLOW_BEHIND_POINTS,
        ge=1,
        le=100,
        description="黄灯：落后序时进度达到的百分点数（改革办默认 10）",
    )
    warning_red_behind_points: int = Field(
        default=DEFAULT_RED_BEHIND_POINTS,
        ge=1,
        le=100,
        description="红灯：落后序时进度超过的百分点数（改革办默认 30）",
    )
    warning_red_late_months: int = Field(
        default=DEFAULT_RED_LATE_MONTHS,
        ge=1,
        le=24,
        description="红灯：任一节点逾期超过的月数（改革办默认 3）",
    )

    @model_validator(mode="after")
    def _ordered(self) -> ProgrammeSettings:
        if self.seriously_lagging_after_days <= self.lagging_after_days:
            raise ValueError("严重滞后天数必须大于滞后天数")
        if self.warning_red_behind_points < self.warning_yellow_behind_points:
            raise ValueError("红灯的落后百分点不能小于黄灯的")
        return self


class ProgrammeIn(BaseModel):
    """A new year's programme; `copy_from` takes another programme's domains and settings."""

    code: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", description="改革工程代码，如 2027"
    )
    name: Name = Field(min_length=2, max_length=128)
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date
    benchmark_city: Name = Field(min_length=1, max_length=64, description="对标城市")
    copy_from: str | None = Field(
        default=None, max_length=32, description="沿用其领域与滞后阈值设置的改革工程代码"
    )
    carry_over: bool = Field(
        default=False, description="结转 copy_from 中未销号的任务及其未完成的时间节点"
    )
    dry_run: bool = Field(default=False, description="只预览将创建的内容，不写入")

    @model_validator(mode="after")
    def _dates(self) -> ProgrammeIn:
        if self.carry_over and not self.copy_from:
            raise ValueError("结转任务须指定 copy_from（从哪个改革工程结转）")
        if self.ends_on < self.starts_on:
            raise ValueError("结束日期不能早于开始日期")
        if self.starts_on.year != self.year:
            raise ValueError("开始日期应在该年度内")
        return self


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    year: int
    starts_on: date
    ends_on: date
    benchmark_city: str
    settings: ProgrammeSettings
    closed_at: datetime | None = Field(
        default=None, description="结束年度的时间；此后该改革工程只读"
    )
    closed_by: str | None = Field(default=None, description="结束年度的用户")


class ProgrammeClose(BaseModel):
    """Closing a year; a dry run checks what is left and closes nothing."""

    dry_run: bool = Field(default=False, description="只检查能否结束年度，不写入")


class DomainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    ordinal: int


class DomainIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="拼音代码，小写字母开头")
    name: Name = Field(min_length=1, max_length=64, description="领域名称")


class DomainRename(BaseModel):
    name: Name = Field(min_length=1, max_length=64, description="领域名称")


class DomainOrder(BaseModel):
    codes: list[str] = Field(max_length=100, description="该改革工程全部领域代码，按新顺序")


class CarriedTask(BaseModel):
    from_number: int = Field(description="原改革工程中的任务序号")
    number: int = Field(description="新改革工程中的任务序号")
    title: str
    deadline: date
    milestones: int = Field(description="结转的未完成时间节点数")


class ProgrammeCreated(BaseModel):
    """What was created (or, for a dry run, what would be)."""

    programme: ProgrammeOut
    domains: list[DomainOut]
    carried: list[CarriedTask]
    dry_run: bool
