from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.reform_tasks.battle_map.status import MilestoneStatus
from shared.models import TaskClass


class UnitBrief(BaseModel):
    code: str
    short_name: str


class MapMilestone(BaseModel):
    ordinal: int
    title: str
    month: str = Field(description="计划日期所在月份 YYYY-MM（as_of 时有效的计划）")
    planned_date: date = Field(description="as_of 时有效的计划日期")
    baseline_date: date = Field(description="首次批准的计划日期")
    completed_on: date | None = Field(description="as_of 之前的实际完成日期")
    slip_days: int = Field(description="计划日期相对基线推迟的天数")
    status: MilestoneStatus
    status_label: str


class MapTask(BaseModel):
    number: int
    title: str
    domain: str
    domain_name: str
    task_class: TaskClass
    lead_unit: UnitBrief
    responsible_units: list[UnitBrief]
    deadline: date
    task_status: MilestoneStatus
    milestones: list[MapMilestone]


class StatusCounts(BaseModel):
    key: str
    name: str
    counts: dict[str, int]


class BattleMap(BaseModel):
    programme: str
    as_of: date
    months: list[str]
    thresholds: dict[str, int]
    tasks: list[MapTask]
    by_domain: list[StatusCounts]
    by_unit: list[StatusCounts]
    totals: dict[str, int]
