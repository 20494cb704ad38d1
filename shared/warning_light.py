"""三色预警 (issue #27): a task's or project's light from its progress against the expected pace
(序时进度). One pure function, used by the battle map, the task list, the unit's to-do and the
key-project list; nothing else computes a light (so there is no second, SQL, rule to agree with).

The measure (office default; docs/RULES.md: "A task's warning light compares …"): the work is
its dated nodes (a task's milestones, a project's nodes). The expected share done by a day is the
share of nodes whose planned date (the plan in force that day) has passed; the actual share is the
share completed by that day. Points behind = expected − actual, in percentage points. Counting
nodes against their own planned dates, rather than the elapsed share of the whole span, is what a
reform office can defend in a meeting: a unit that met every dated node is on pace by definition,
and a unit that missed one sees exactly which one. A task without nodes is its own single node
due on its deadline.

Lights (office defaults in the programme's settings, `warning_*`): green when less than
`yellow_behind_points` (10) behind; yellow from 10 up to and including `red_behind_points` (30);
red when more than 30 behind, or when any node not done is more than `red_late_months` (3)
months past its planned date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class WarningLight(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"


LIGHT_LABELS = {WarningLight.green: "绿灯", WarningLight.yellow: "黄灯", WarningLight.red: "红灯"}

# Office defaults (no seed gives the numbers; the example): stored in the programme's
# settings, edited with the lagging thresholds (PUT /programmes/{code}/settings).
DEFAULT_YELLOW_BEHIND_POINTS = 10
DEFAULT_RED_BEHIND_POINTS = 30
DEFAULT_RED_LATE_MONTHS = 3


@dataclass(frozen=True, slots=True)
class WarningThresholds:
    yellow_behind_points: int = DEFAULT_YELLOW_BEHIND_POINTS
    red_behind_points: int = DEFAULT_RED_BEHIND_POINTS
    red_late_months: int = DEFAULT_RED_LATE_MONTHS

    @classmethod
    def of(cls, settings: dict[str, Any]) -> WarningThresholds:
        return cls(
            yellow_behind_points=int(
                settings.get("warning_yellow_behind_points", DEFAULT_YELLOW_BEHIND_POINTS)
            ),
            red_behind_points=int(
                settings.get("warning_red_behind_points", DEFAULT_RED_BEHIND_POINTS)
            ),
            red_late_months=int(settings.get("warning_red_late_months", DEFAULT_RED_LATE_MONTHS)),
        )


@dataclass(frozen=True, slots=True)
class Node:
    """A dated node: `planned` is the plan in force on the day asked about; `completed_on`
    counts only if it is on or before that day."""

    planned: date
    completed_on: date | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    light: WarningLight
    reason: str
    expected_pct: float
    actual_pct: float
    behind_points: float


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _points(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def warning_light(nodes: Sequence[Node], as_of: date, thresholds: WarningThresholds) -> Verdict:
    """The light of work made of `nodes` on `as_of`, with the why in Chinese."""
    if not nodes:
        return Verdict(WarningLight.green, "无时间节点", 0.0, 0.0, 0.0)
    total = len(nodes)
    done = [n.completed_on is not None and n.completed_on <= as_of for n in nodes]
    due = sum(1 for n in nodes if n.planned <= as_of)
    expected = 100.0 * due / total
    actual = 100.0 * sum(done) / total
    behind = max(0.0, expected - actual)
    very_late = [
        n
        for n, finished in zip(nodes, done, strict=True)
        if not finished and as_of > add_months(n.planned, thresholds.red_late_months)
    ]
    pace = f"应完成 {_points(expected)}%，已完成 {_points(actual)}%"
    reasons: list[str] = []
    if behind > thresholds.red_behind_points:
        light = WarningLight.red
    elif behind >= thresholds.yellow_behind_points:
        light = WarningLight.yellow
    else:
        light = WarningLight.green
    reasons.append(f"落后序时进度 {_points(behind)} 个百分点" if behind > 0 else "符合序时进度")
    if very_late:
        light = WarningLight.red
        first = min(very_late, key=lambda n: n.planned)
        name = f"“{first.label}”" if first.label else ""
        reasons.append(
            f"时间节点{name}逾期超过 {thresholds.red_late_months} 个月（计划 {first.planned}）"
        )
    return Verdict(light, f"{'；'.join(reasons)}（{pace}）", expected, actual, behind)


def task_verdict(
    milestones: Iterable[tuple[int, date, date | None]],
    deadline: date,
    closed_out_on: date | None,
    as_of: date,
    thresholds: WarningThresholds,
) -> Verdict:
    """`milestones`: (ordinal, planned date in force on `as_of`, completed on). A task without
    milestones is one node due on its deadline, done when closed out."""
    nodes = [
        Node(planned, completed, f"第{ordinal}个节点") for ordinal, planned, completed in milestones
    ]
    if not nodes:
        nodes = [Node(deadline, closed_out_on, "任务完成时限")]
    return warning_light(nodes, as_of, thresholds)
