from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.warning_light import WarningLight


class TodoKind(StrEnum):
    """What a to-do item asks of the unit."""

    milestone_overdue = "milestone_overdue"  # 时间节点已逾期: planned date passed, not done
    milestone_due = "milestone_due"  # 时间节点即将到期: due within the office's window
    progress_report_returned = "progress_report_returned"  # 报送被退回: report again
    supervision = "supervision"  # 督办 / 二次督办 awaiting the unit's reply (督办回复)
    rating = "rating"  # 评分: an open window with responsible units not yet rated
    instruction = "instruction"  # 领导批示 assigned to the unit, open, not yet answered
    weekly_report = "weekly_report"  # 重点项目周报: this week's report of a project it leads
    quarterly_report = "quarterly_report"  # 季度工作报告 of this quarter, not yet submitted
    problem_list_returned = "problem_list_returned"  # 问题清单被退回: edit and resubmit
    message = "message"  # 未读消息


class TodoItem(BaseModel):
    kind: TodoKind
    id: int = Field(
        description="按 kind：时间节点、进展报送、督办、评分窗口、领导批示、重点项目、问题清单"
        "或消息的 id；季度工作报告为 年×10+季度（如 20264）",
    )
    title: str = Field(description="简短标题（中文）")
    due_on: date | None = Field(description="期限（消息无期限）")
    days_left: int | None = Field(
        description="距期限天数（Asia/Shanghai 的今天起算）：0 为今天到期，负数为已逾期天数"
    )
    overdue: bool = Field(description="期限已过（早于今天）")
    route: str = Field(description="前端处理该事项的页面路径，如 /tasks/12")
    task_number: int | None = None
    task_title: str | None = None
    milestone_ordinal: int | None = None
    milestone_title: str | None = None
    warning_light: WarningLight | None = Field(
        default=None, description="所涉任务今天的三色预警（无任务的事项为空）"
    )
    warning_reason: str | None = Field(default=None, description="预警原因")


class TaskWarning(BaseModel):
    """One of the unit's tasks showing a yellow or red light today (三色预警)."""

    task_number: int
    task_title: str
    warning_light: WarningLight
    warning_reason: str
    route: str = Field(description="前端页面路径，如 /tasks/12")


class TodoCounts(BaseModel):
    milestone_overdue: int
    milestone_due: int
    progress_report_returned: int
    supervision: int
    rating: int
    instruction: int = Field(description="待回复的领导批示")
    weekly_report: int = Field(description="本周待报的重点项目周报")
    quarterly_report: int = Field(description="本季度待报的季度工作报告（0 或 1）")
    problem_list_returned: int = Field(description="被退回待修改的问题清单")
    message: int = Field(description="全部未读消息数（items 只列最新的若干条）")


class TodoOut(BaseModel):
    unit_code: str
    unit_name: str
    as_of: date = Field(description="今天（Asia/Shanghai）")
    due_within_days: int = Field(description="“即将到期”的天数（改革办默认 7 天）")
    total: int = Field(description="各类待办之和（= counts 之和）")
    counts: TodoCounts
    items: list[TodoItem] = Field(description="逾期在前，其余按期限先后，无期限的消息最后")
    warnings: list[TaskWarning] = Field(
        default_factory=list, description="本单位亮黄灯、红灯的任务（红灯在前）"
    )
