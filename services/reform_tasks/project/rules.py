"""The key-project rules that are pure functions of data (seed 003_fe0a5556b3029276.txt items
17–21): the stage order, the weighted quality evaluation, which projects report weekly, when a
week's report is due and whether it is missing. The office defaults live here, labelled, and a
programme may override them in its settings (`project_rules`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.models import PROJECT_STAGE_ORDER, ProjectLevel, ProjectStage, ProjectStatus

# The seven aspects of seed 003 item 17 (投资规模、行业类别、业主实力、前期手续、综合效益、
# 技术水平、资源利用), in the seed's order, with their labels.
ASPECTS: dict[str, str] = {
    "investment_scale": "投资规模",
    "industry_category": "行业类别",
    "owner_strength": "业主实力",
    "preliminary_procedures": "前期手续",
    "overall_benefit": "综合效益",
    "technology_level": "技术水平",
    "resource_use": "资源利用",
}
# Office default (the seed names the aspects, not their weights): weights summing to 100.
DEFAULT_WEIGHTS: dict[str, int] = {
    "investment_scale": 20,
    "industry_category": 15,
    "owner_strength": 15,
    "preliminary_procedures": 15,
    "overall_benefit": 15,
    "technology_level": 10,
    "resource_use": 10,
}
# Office default: a weighted total of at least 70 admits a proposed project to the list.
DEFAULT_THRESHOLD = Decimal(70)
# Office default: a week's report is due by Friday (ISO weekday 5) of that week.
DEFAULT_DUE_WEEKDAY = 5

STAGE_LABELS: dict[ProjectStage, str] = {
    ProjectStage.negotiating: "洽谈",
    ProjectStage.signed: "签约",
    ProjectStage.preparing: "前期",
    ProjectStage.started: "开工",
    ProjectStage.building: "在建",
    ProjectStage.completed: "竣工投产",
}
LEVEL_LABELS: dict[ProjectLevel, str] = {
    ProjectLevel.provincial: "省重点",
    ProjectLevel.municipal: "市重点",
    ProjectLevel.major_industrial: "重大产业项目",
}
STATUS_LABELS: dict[ProjectStatus, str] = {
    ProjectStatus.proposed: "申报",
    ProjectStatus.admitted: "已列入",
    ProjectStatus.refused: "未列入",
}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class RuleSettingsInvalid(ValueError):
    """The programme's `project_rules` cannot be used (weights not summing to 100 …)."""


@dataclass(frozen=True, slots=True)
class ProjectRules:
    weights: dict[str, int]
    threshold: Decimal
    due_weekday: int

    @classmethod
    def of(cls, settings: dict[str, Any]) -> ProjectRules:
        """The programme's `project_rules` over the office defaults."""
        own = settings.get("project_rules") or {}
        weights = {
            key: int(value) for key, value in (own.get("weights") or DEFAULT_WEIGHTS).items()
        }
        if set(weights) != set(ASPECTS) or sum(weights.values()) != 100:
            raise RuleSettingsInvalid("重点项目质量评价的权重须覆盖七个方面且合计为 100")
        due = int(own.get("due_weekday", DEFAULT_DUE_WEEKDAY))
        if not 1 <= due <= 7:
            raise RuleSettingsInvalid("周报报送日须为周一至周日（1–7）")
        return cls(weights, Decimal(str(own.get("threshold", DEFAULT_THRESHOLD))), due)


def stage_index(stage: ProjectStage) -> int:
    return PROJECT_STAGE_ORDER.index(stage)


def is_forward(current: ProjectStage, new: ProjectStage) -> bool:
    """洽谈 → 签约 → 前期 → 开工 → 在建 → 竣工投产: a stage moves forward only (it may skip)."""
    return stage_index(new) > stage_index(current)


def weighted_total(scores: dict[str, Decimal], weights: dict[str, int]) -> Decimal:
    """Σ score × weight / 100, to two decimals (each score 0–100, so the total is 0–100)."""
    total = sum((scores[key] * weights[key] for key in ASPECTS), Decimal(0)) / 100
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def admitted(total: Decimal, threshold: Decimal) -> bool:
    return total >= threshold


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week written 2026-W49, or None when it is not one."""
    match = _WEEK.match(text)
    if match is None:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def due_on(week: str, due_weekday: int) -> date:
    monday = parse_week(week)
    if monday is None:
        raise ValueError(f"not an ISO week: {week}")
    return monday + timedelta(days=due_weekday - 1)


def reports_weekly(level: ProjectLevel, status: ProjectStatus, stage: ProjectStage) -> bool:
    """Seed 003 item 18 (对事关我市发展全局的重大产业项目,实行周报制度): a major industrial
    project on the list reports every week until it is completed (竣工投产)."""
    return (
        level is ProjectLevel.major_industrial
        and status is ProjectStatus.admitted
        and stage is not ProjectStage.completed
    )


def report_missing(
    *, required: bool, reported: bool, week: str, today: date, due_weekday: int
) -> bool:
    """本周未报: a project that reports weekly has no report for `week` and the week's due day
    (office default Friday) has come."""
    return required and not reported and today >= due_on(week, due_weekday)
