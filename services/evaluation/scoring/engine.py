"""Scoring rules as pure functions: what a fact does to the ledger and counters, and how a
unit's component points, total and grade follow from them.

Sources: seed 001_643c54550577dac0.txt (lead units rate responsible units; districts out of 80;
national top-10 / provincial first → full marks and 优秀; 12345 complaints and inspections feed the
year-end evaluation), seed 002_c95ffdd180ea7e81.txt (first / second supervision then
accountability; problem lists closed item by item; half-yearly enterprise survey of departments),
seed 004_1871f105e1d7927d.txt (the hotline's response, resolution and satisfaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.evaluation.rule_set.schemas import (
    DeductionComponent,
    HotlineComponent,
    RatingComponent,
    RuleSetBody,
    SurveyComponent,
)

# A milestone's announced severity → its rule in `task_delivery`.
SEVERITY_RULES = {
    "lagging": "milestone_lagging",
    "seriously_lagging": "milestone_seriously_lagging",
}
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
HOTLINE_COUNTERS = (
    "orders",
    "responded",
    "responded_in_time",
    "visited",
    "resolved",
    "satisfied",
    "overdue",
    "closed",
)


@dataclass(frozen=True, slots=True)
class LedgerEffect:
    unit_code: str
    component: str
    rule: str
    points: float


@dataclass(frozen=True, slots=True)
class CounterEffect:
    unit_code: str
    name: str
    value: float = 1.0


@dataclass(frozen=True, slots=True)
class RatingEffect:
    window: str
    task_number: int
    rated_unit: str
    rater_unit: str
    score: float
    scale_max: float
    version: int


Effect = LedgerEffect | CounterEffect | RatingEffect


def _rule_points(rules: RuleSetBody, component: str, rule: str) -> float | None:
    for c in rules.components:
        if c.key == component and isinstance(c, DeductionComponent):
            return c.rules.get(rule)
    return None


def _ledger(rules: RuleSetBody, unit: str, component: str, rule: str) -> list[Effect]:
    points = _rule_points(rules, component, rule)
    return [] if points is None else [LedgerEffect(unit, component, rule, points)]


def _truthy(value: Any) -> bool:
    return value is True or value == "true" or value == 1


def effects(
    event_type: str, unit_code: str, data: dict[str, Any], rules: RuleSetBody
) -> list[Effect]:
    """What one fact does. Unknown types do nothing (they are still kept as facts)."""
    match event_type:
        case "milestone.completed":
            if not _truthy(data.get("on_time", True)):
                return [
                    e
                    for unit in task_units(unit_code, data)
                    for e in _ledger(rules, unit, "task_delivery", "milestone_late")
                ]
        case "milestone.lagging":
            rule = SEVERITY_RULES.get(str(data.get("severity")))
            points = _rule_points(rules, "task_delivery", rule) if rule else None
            if rule and points is not None:
                if rule == "milestone_seriously_lagging" and (
                    data.get("previous_severity") == "lagging"
                ):
                    # Escalation of an already-announced lagging milestone: only the difference,
                    # so a seriously lagging milestone costs the same however it got there.
                    points -= _rule_points(rules, "task_delivery", "milestone_lagging") or 0
                return [
                    LedgerEffect(unit, "task_delivery", rule, points)
                    for unit in task_units(unit_code, data)
                ]
        case "milestone.lag_reversed":
            # A lagging severity announced for a milestone found done before it: taken back.
            points = _severity_points(rules, data.get("to_severity")) - _severity_points(
                rules, data.get("from_severity")
            )
            if points:
                return [
                    LedgerEffect(unit, "task_delivery", "milestone_lag_reversed", points)
                    for unit in task_units(unit_code, data)
                ]
        case "milestone.reopened":
            # The office refused the close-out: the completion (and its lateness) is undone.
            late = _rule_points(rules, "task_delivery", "milestone_late")
            if not _truthy(data.get("on_time", True)) and late:
                return [
                    LedgerEffect(unit, "task_delivery", "milestone_completion_withdrawn", -late)
                    for unit in task_units(unit_code, data)
                ]
        case "task.closed_out":
            if not _truthy(data.get("on_time", True)):
                return _ledger(rules, unit_code, "task_delivery", "task_closed_late")
        case "supervision.escalated":
            level = str(data.get("level", ""))
            return _ledger(rules, str(data.get("unit") or unit_code), "supervision", level)
        case "problem.overdue":
            return _ledger(rules, unit_code, "problems", "problem_overdue")
        case "problem.closed":
            if not _truthy(data.get("on_time", True)):
                return _ledger(rules, unit_code, "problems", "problem_closed_late")
        case "inspection.recorded":
            deduction = float(data.get("deduction", 0))
            if deduction:
                return [LedgerEffect(unit_code, "inspection", "finding", -abs(deduction))]
        case "rating.submitted":
            return [
                RatingEffect(
                    window=str(data["window"]),
                    task_number=int(data["task_number"]),
                    rated_unit=unit_code,
                    rater_unit=str(data.get("rater_unit", "")),
                    score=float(data["score"]),
                    scale_max=float(data.get("scale_max", 100)),
                    version=int(data.get("version", 1)),
                )
            ]
        case _ if event_type.startswith("work_order."):
            return [
                CounterEffect(unit, name)
                for unit in hotline_units(unit_code, data, rules)
                for name in hotline_counters(event_type, data)
            ]
    return []


def _severity_points(rules: RuleSetBody, severity: object) -> float:
    """What a milestone's announced severity costs in all (a seriously lagging one costs the
    seriously-lagging points however it got there); none costs nothing."""
    rule = SEVERITY_RULES.get(str(severity))
    return (_rule_points(rules, "task_delivery", rule) or 0.0) if rule else 0.0


def task_units(unit_code: str, data: dict[str, Any]) -> list[str]:
    """A milestone late or lagging counts against the lead unit and every responsible unit:
    districts are mostly responsible units, and their 80 points must see it (seed 001)."""
    units = [unit_code]
    for code in data.get("responsible_units") or []:
        if isinstance(code, str) and code and code not in units:
            units.append(code)
    return units


def hotline_options(rules: RuleSetBody) -> tuple[bool, bool]:
    """(counts for the district it came from, counts consultations) — rule-set options, office
    defaults both no (issue #19, fix 3)."""
    for component in rules.components:
        if isinstance(component, HotlineComponent):
            return component.counts_for_origin_district, component.counts_consultations
    return False, False


def hotline_units(unit_code: str, data: dict[str, Any], rules: RuleSetBody) -> list[str]:
    """Whose rates a work order counts for: its handling unit; also the district it came from
    if the rule set says so; nobody's if it is a consultation (咨询) the rule set leaves out.
    `ScoringRepository.bulk_hotline_counters` is the same rule in SQL (the property test holds
    them together)."""
    for_district, consultations = hotline_options(rules)
    if data.get("kind") == "consult" and not consultations:
        return []
    units = [unit_code]
    district = data.get("district_code")
    if for_district and isinstance(district, str) and district and district != unit_code:
        units.append(district)
    return units


def hotline_counters(event_type: str, data: dict[str, Any]) -> list[str]:
    match event_type:
        case "work_order.created":
            return ["orders"]
        case "work_order.responded":
            return (
                ["responded", "responded_in_time"]
                if _truthy(data.get("within_limit"))
                else ["responded"]
            )
        case "work_order.visited":
            names = ["visited"]
            if _truthy(data.get("resolved")):
                names.append("resolved")
            if data.get("satisfaction") in SATISFIED:
                names.append("satisfied")
            return names
        case "work_order.overdue":
            return ["overdue"]
        case "work_order.closed":
            return ["closed"]
    return []


@dataclass
class UnitInputs:
    """Everything a unit's score for one period depends on, already aggregated."""

    ledger: dict[str, float] = field(default_factory=dict)  # component → Σ points
    counters: dict[str, float] = field(default_factory=dict)  # hotline counter → Σ
    ratings: list[tuple[float, float]] = field(default_factory=list)  # (score, scale_max)
    surveys: list[float] = field(default_factory=list)
    external_full_marks: list[str] = field(default_factory=list)  # indicators earning it


@dataclass(frozen=True, slots=True)
class ComponentScore:
    key: str
    name: str
    points: float
    max: float
    detail: dict[str, float]


@dataclass(frozen=True, slots=True)
class UnitScore:
    total: float
    max_total: float
    grade: str
    components: list[ComponentScore]
    override: str | None


def _rate(numerator: float, denominator: float) -> float:
    return 1.0 if denominator <= 0 else numerator / denominator


def component_score(
    component: Any, weight: float, inputs: UnitInputs
) -> tuple[float, dict[str, float]]:
    if isinstance(component, DeductionComponent):
        moved = inputs.ledger.get(component.key, 0.0)
        return min(weight, max(0.0, weight + moved)), {"moved": moved}
    if isinstance(component, RatingComponent):
        if not inputs.ratings:
            return weight, {"ratings": 0}
        average = sum(s / m for s, m in inputs.ratings if m > 0) / len(inputs.ratings)
        return weight * average, {"ratings": len(inputs.ratings), "average_share": average}
    if isinstance(component, HotlineComponent):
        c = inputs.counters
        response = _rate(c.get("responded_in_time", 0), c.get("responded", 0))
        resolution = _rate(c.get("resolved", 0), c.get("visited", 0))
        satisfaction = _rate(c.get("satisfied", 0), c.get("visited", 0))
        share = (
            component.response_share * response
            + component.resolution_share * resolution
            + component.satisfaction_share * satisfaction
        )
        return weight * share, {
            "response_rate": response,
            "resolution_rate": resolution,
            "satisfaction_rate": satisfaction,
            **{k: c.get(k, 0) for k in HOTLINE_COUNTERS},
        }
    if isinstance(component, SurveyComponent):
        if not inputs.surveys:
            return weight, {"surveys": 0}
        average = sum(inputs.surveys) / len(inputs.surveys)
        return weight * min(100.0, max(0.0, average)) / 100, {"survey_score": average}
    raise TypeError(f"unknown component {component!r}")


def grade_of(rules: RuleSetBody, total: float, max_total: float) -> str:
    share = total / max_total if max_total else 0
    if share >= rules.grades.excellent - 1e-9:
        return "优秀"
    if share >= rules.grades.good - 1e-9:
        return "良好"
    if share >= rules.grades.fair - 1e-9:
        return "一般"
    return "较差"


def score_unit(rules: RuleSetBody, unit_kind: str, inputs: UnitInputs) -> UnitScore:
    side = "district" if unit_kind == "district" else "unit"
    max_total = rules.district_total if side == "district" else rules.unit_total
    components = []
    for component in rules.components:
        weight = float(getattr(component.weight, side))
        points, detail = component_score(component, weight, inputs)
        components.append(
            ComponentScore(component.key, component.name, round(points, 4), weight, detail)
        )
    total = round(sum(c.points for c in components), 4)
    if inputs.external_full_marks:
        # Seed 001: the indicator's lead unit gets full marks and the grade 优秀.
        indicators = "、".join(inputs.external_full_marks)
        override = (
            f"国评/省评指标领先：{indicators}（牵头部门直接得满分；"
            "牵头部门和部门主要负责人年终考核定为优秀等次）"
        )
        return UnitScore(max_total, max_total, "优秀", components, override)
    return UnitScore(total, max_total, grade_of(rules, total, max_total), components, None)


@dataclass
class DailyInputs:
    """Score inputs per unit and day for a date range, as loaded from the database."""

    ledger: list[tuple[str, date, str, float]] = field(default_factory=list)
    counters: list[tuple[str, date, tuple[float, ...]]] = field(default_factory=list)
    ratings: list[tuple[str, date, float, float]] = field(default_factory=list)
    # (unit, half-year period id, score, day the result was recorded)
    surveys: list[tuple[str, str, float, date]] = field(default_factory=list)
    # (lead unit, year, indicator, national rank, provincial rank, day recorded)
    external: list[tuple[str, int, str, int | None, int | None, date]] = field(default_factory=list)

    def for_period(
        self, units: list[str], start: date, end: date, rules: RuleSetBody
    ) -> dict[str, UnitInputs]:
        """Sum a period's inputs for every unit (end is the period end or the as-of date)."""
        from shared.periods import parse_period

        result = {u: UnitInputs() for u in units}
        for unit, day, component, points in self.ledger:
            if unit in result and start <= day <= end:
                ledger = result[unit].ledger
                ledger[component] = ledger.get(component, 0.0) + points
        for unit, day, values in self.counters:
            if unit in result and start <= day <= end:
                counters = result[unit].counters
                for name, value in zip(HOTLINE_COUNTERS, values, strict=True):
                    counters[name] = counters.get(name, 0.0) + value
        for unit, day, score, scale in self.ratings:
            if unit in result and start <= day <= end:
                result[unit].ratings.append((score, scale))
        for unit, half, score, recorded in self.surveys:
            period = parse_period(half)
            if unit in result and recorded <= end and period.start <= end and period.end >= start:
                result[unit].surveys.append(score)
        national, provincial = rules.external_rank.national_top, rules.external_rank.provincial_top
        for unit, year, indicator, n_rank, p_rank, recorded in self.external:
            if (
                unit in result
                and year == start.year - 1
                and recorded <= end
                and (
                    (n_rank is not None and n_rank <= national)
                    or (p_rank is not None and p_rank <= provincial)
                )
            ):
                result[unit].external_full_marks.append(indicator)
        return result
