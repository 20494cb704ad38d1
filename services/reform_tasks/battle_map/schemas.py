from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from shared.milestone_status import MilestoneStatus
from shared.models import TaskClass
from shared.warning_light import WarningLight


class UnitBrief(BaseModel):
    code: str
    short_name: str


class MapMilestone(BaseModel):
    ordinal: int
    title: str
    month: str = Field(description="计划日期所在月份 YYYY-MM（as_of 时有效的计划）")
    planned_date: date = Field(description="as_of 时有效的计划日期")
    baseline_date: date = Field(description="首次批准的计划日期（延期不改变）")
    completed_on: date | None = Field(description="实际完成日期（仅当不晚于 as_of）")
    slip_days: int = Field(description="计划日期相对基线推迟的天数")
    status: MilestoneStatus
    status_label: str = Field(description="状态中文名")


class MapTask(BaseModel):
    number: int
    title: str
    domain: str
    domain_name: str
    task_class: TaskClass
    lead_unit: UnitBrief
    responsible_units: list[UnitBrief]
    deadline: date
    task_status: MilestoneStatus = Field(description="各时间节点中最差的状态")
    warning_light: WarningLight = Field(description="三色预警：green / yellow / red（序时进度）")
    warning_reason: str = Field(description="预警原因，如“落后序时进度 18 个百分点”")
    milestones: list[MapMilestone]


class StatusCounts(BaseModel):
    key: str = Field(description="领域代码或牵头单位代码")
    name: str
    counts: dict[str, int] = Field(description="各状态的时间节点数（为 0 的状态省略）")


class BattleMap(BaseModel):
    programme: str
    as_of: date
    months: list[str] = Field(description="改革工程的 12 个月 YYYY-MM")
    thresholds: dict[str, int] = Field(description="滞后 / 严重滞后阈值（天），来自改革工程设置")
    tasks: list[MapTask]
    by_domain: list[StatusCounts] = Field(description="按领域汇总")
    by_unit: list[StatusCounts] = Field(description="按牵头单位汇总")
    totals: dict[str, int] = Field(description="全部时间节点按状态汇总")
