"""Scoring rules as pure functions: what a fact does to the ledger and counters, and how a
unit's component points, total and grade follow from them.

Sources, each a row of docs/RULES.md (quoted):

- seed 001_643c54550577dac0.txt: lead units rate responsible units ("The lead unit rates its
  task's responsible units …"); districts out of 80 ("A district's business-environment score is
  out of 80"); national top 10 / provincial first → full marks and 优秀 ("An indicator in the
  national top 10 or first in the province …"); inspections' results go into the year-end
  evaluation ("Inspections (including unannounced 四不两直 checks) …"), and 12345 complaints are
  read as part of that supervision ("12345 complaints feed the evaluation …");
- seed 002_c95ffdd180ea7e81.txt: first / second supervision then accountability ("An unresolved
  first supervision past its date …"); problem lists closed item by item by a deadline ("Problems
  are listed with a responsible unit …"); the half-yearly enterprise survey of departments
  ("Enterprises rate departments every half-year …");
- seed 004_1871f105e1d7927d.txt: 12345's tracking, supervision and evaluation, and raising its
  satisfaction rate (满意率). The rates' formulas, the response and resolution rates among them,
  and every weight and point are office defaults (their rows say so).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.evaluation.rule_set.schemas import (
    DeductionComponent,
    DeliveryRateComponent,
    HotlineComponent,
    RatingComponent,
    RuleSetBody,
    SurveyComponent,
    TourComponent,
)
from shared import hotline_rates
from shared.events import (
    EventData,
    InspectionRecorded,
    MilestoneCompleted,
    MilestoneLagging,
    MilestoneLagReversed,
    MilestoneRef,
    MilestoneReopened,
    ProblemClosed,
    ProblemOverdue,
    RatingSubmitted,
    SupervisionEscalated,
    TaskClosedOut,
    TaskUnits,
    WorkOrderFacts,
)
from shared.models.evaluation import MILESTONE_STATE_EVENTS

# A milestone's announced severity → its rule in `task_delivery`.
SEVERITY_RULES = {
    "lagging": "milestone_lagging",
    "seriously_lagging": "milestone_seriously_lagging",
}


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


def effects(unit_code: str, data: EventData, rules: RuleSetBody) -> list[Effect]:
    """What one fact (its data as the catalogue's model) does."""
    match data:
        case WorkOrderFacts():
            return [
                CounterEffect(unit, name)
                for unit in hotline_units(unit_code, data, rules)
                for name in hotline_rates.fact_counters(data)
            ]
        case MilestoneRef():
            return _milestone_effects(unit_code, data, rules)
        case TaskClosedOut(on_time=False):
            return _ledger(rules, unit_code, "task_delivery", "task_closed_late")
        case SupervisionEscalated():
            return _ledger(rules, data.unit, "supervision", data.level)
        case ProblemOverdue():
            return _ledger(rules, unit_code, "problems", "problem_overdue")
        case ProblemClosed(on_time=False):
            return _ledger(rules, unit_code, "problems", "problem_closed_late")
        case InspectionRecorded() if data.deduction:
            return [LedgerEffect(unit_code, "inspection", "finding", -abs(data.deduction))]
        case RatingSubmitted():
            return [
                RatingEffect(
                    window=data.window,
                    task_number=data.task_number,
                    rated_unit=unit_code,
                    rater_unit=data.rater_unit,
                    score=data.score,
                    scale_max=data.scale_max,
                    version=data.version,
                )
            ]
    return []


def _milestone_effects(unit_code: str, data: MilestoneRef, rules: RuleSetBody) -> list[Effect]:
    """A milestone late or lagging counts against the lead unit and every responsible unit."""
    match data:
        case MilestoneCompleted(on_time=False):
            rule, points = "milestone_late", _rule_points(rules, "task_delivery", "milestone_late")
        case MilestoneLagging():
            rule = SEVERITY_RULES[data.severity]
            points = _rule_points(rules, "task_delivery", rule)
            if points is not None and (data.severity, data.previous_severity) == (
                "seriously_lagging",
                "lagging",
            ):
                # Escalation of an already-announced lagging milestone: only the difference,
                # so a seriously lagging milestone costs the same however it got there.
                points -= _severity_points(rules, "lagging")
        case MilestoneLagReversed():
            # A lagging severity announced for a milestone found done before it: taken back.
            rule = "milestone_lag_reversed"
            points = _severity_points(rules, data.to_severity) - _severity_points(
                rules, data.from_severity
            )
        case MilestoneReopened(on_time=False):
            # The office refused the close-out: the completion (and its lateness) is undone.
            late = _rule_points(rules, "task_delivery", "milestone_late")
            rule, points = "milestone_completion_withdrawn", -late if late else None
        case _:
            return []
    if not points:
        return []
    return [
        LedgerEffect(unit, "task_delivery", rule, points) for unit in task_units(unit_code, data)
    ]


def _severity_points(rules: RuleSetBody, severity: str) -> float:
    """What a milestone's announced severity costs in all (a seriously lagging one costs the
    seriously-lagging points however it got there); none costs nothing."""
    rule = SEVERITY_RULES.get(severity)
    return (_rule_points(rules, "task_delivery", rule) or 0.0) if rule else 0.0


def task_units(unit_code: str, data: TaskUnits) -> list[str]:
    """A milestone late or lagging counts against the lead unit and every responsible unit:
    districts are mostly responsible units, and their 80 points (seed 001_643c54550577dac0.txt)
    must see it. Counting every responsible unit is the office's default in both models of
    改革任务推进 (docs/RULES.md: "改革任务推进 is weight × the on-time completion rate …",
    "Option (deduction model of 改革任务推进) …")."""
    return list(dict.fromkeys([unit_code, *data.responsible_units]))


def hotline_options(rules: RuleSetBody) -> tuple[bool, bool]:
    """(counts for the district it came from, counts consultations) — rule-set options, office
    defaults both no (issue #19, fix 3)."""
    for component in rules.components:
        if isinstance(component, HotlineComponent):
            return component.counts_for_origin_district, component.counts_consultations
    return False, False


def hotline_units(unit_code: str, data: WorkOrderFacts, rules: RuleSetBody) -> list[str]:
    """Whose rates a work order counts for: its handling unit; also the district it came from
    if the rule set says so; nobody's if it is a consultation (咨询) the rule set leaves out.
    `LedgerRepository.bulk_hotline_counters` is the same rule in SQL (the property test holds
    them together). Which counters each fact adds to is shared.hotline_rates.fact_counters."""
    for_district, consultations = hotline_options(rules)
    if data.kind == "consult" and not consultations:
        return []
    units = [unit_code]
    if for_district and data.district_code and data.district_code != unit_code:
        units.append(data.district_code)
    return units


@dataclass(frozen=True, slots=True)
class MilestoneFact:
    """A milestone event as the delivery rate reads it."""

    event_id: str
    event_type: str
    occurred_at: datetime
    day: date  # business day of the event
    task_number: int
    milestone: int
    state: str  # done | reopened | lagging | seriously_lagging
    on_time: bool
    lead_unit: str
    responsible_units: tuple[str, ...]


# Milestone event type → its state for the delivery rate ("": the lagging event's severity).
# LedgerRepository.milestone_facts reads these events' fields in SQL.
MILESTONE_STATES = {
    "milestone.completed": "done",
    "milestone.reopened": "reopened",
    "milestone.lagging": "",
}
assert set(MILESTONE_STATES) == set(MILESTONE_STATE_EVENTS)  # the index covers exactly these


def milestone_histories(facts: list[MilestoneFact]) -> list[list[MilestoneFact]]:
    """Each milestone's events in the order they happened (ties by id), whatever order they
    arrived in."""
    history: dict[tuple[int, int], list[MilestoneFact]] = {}
    for f in sorted(facts, key=lambda f: (f.occurred_at, f.event_id)):
        history.setdefault((f.task_number, f.milestone), []).append(f)
    return list(history.values())


def milestone_outcomes(
    histories: list[list[MilestoneFact]], start: date, end: date
) -> list[tuple[MilestoneFact, str]]:
    """Each milestone that counts in the period, with its outcome as of `end`: on_time or late if
    done in the period; lagging or seriously_lagging if announced so and not done by `end`. A
    completion dated before a lagging announcement wins over it; a refused close-out
    (`reopened`) undoes the completion and the lag announced before it."""
    outcomes: list[tuple[MilestoneFact, str]] = []
    for events in histories:
        done: MilestoneFact | None = None
        lag: MilestoneFact | None = None
        for f in events:
            if f.day > end:
                break
            if f.state == "done":
                done = f
            elif f.state == "reopened":
                done = lag = None
            else:
                lag = f
        if done is not None:
            if done.day >= start:
                outcomes.append((done, "on_time" if done.on_time else "late"))
        elif lag is not None:
            outcomes.append((lag, lag.state))
    return outcomes


OUTCOMES = ("on_time", "late", "lagging", "seriously_lagging")


@dataclass
class Delivery:
    """A unit's milestones in a period: weighted (by role) counted and on time, and how many of
    each outcome."""

    counted: float = 0.0
    on_time: float = 0.0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, outcome: str, weight: float) -> None:
        self.counted += weight
        self.on_time += weight if outcome == "on_time" else 0.0
        self.outcomes[outcome] += 1

    def counts(self) -> dict[str, float]:
        return {
            "milestones": float(sum(self.outcomes.values())),
            **{k: float(v) for k, v in self.outcomes.items()},
            "weighted_counted": self.counted,
            "weighted_on_time": self.on_time,
        }


def delivery_by_unit(
    component: DeliveryRateComponent,
    histories: list[list[MilestoneFact]],
    units: set[str],
    start: date,
    end: date,
) -> dict[str, Delivery]:
    """Each unit's delivery in a period: the lead unit and each responsible unit count every
    milestone of the task with their role's weight."""
    result: dict[str, Delivery] = {}
    for fact, outcome in milestone_outcomes(histories, start, end):
        roles = [(fact.lead_unit, component.lead_weight)] + [
            (u, component.responsible_weight) for u in fact.responsible_units if u != fact.lead_unit
        ]
        for unit, weight in roles:
            if unit in units:
                result.setdefault(unit, Delivery()).add(outcome, weight)
    return result


@dataclass
class UnitInputs:
    """Everything a unit's score for one period depends on, already aggregated."""

    ledger: dict[str, float] = field(default_factory=dict)  # component → Σ points
    counters: dict[str, float] = field(default_factory=dict)  # hotline counter → Σ
    ratings: list[tuple[float, float]] = field(default_factory=list)  # (score, scale_max)
    surveys: list[float] = field(default_factory=list)
    external_full_marks: list[str] = field(default_factory=list)  # indicators earning it
    delivery: Delivery = field(default_factory=Delivery)
    tours: list[float] = field(default_factory=list)  # share of the sheet per round


# What a component shows besides its points: counts and rates (None: a rate nothing counts for).
Detail = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class ComponentScore:
    key: str
    name: str
    points: float
    max: float
    detail: Detail
    no_data: bool = False  # nothing to score it on: counted full, or its weight redistributed


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
) -> tuple[float, Detail, bool]:
    """(points, detail, whether the unit has data for it). A component with no data scores its
    full weight here; `score_unit` applies the rule set's `no_data`."""
    if isinstance(component, DeductionComponent):
        moved = inputs.ledger.get(component.key, 0.0)
        return min(weight, max(0.0, weight + moved)), {"moved": moved}, True
    if isinstance(component, DeliveryRateComponent):
        d = inputs.delivery
        rate = _rate(d.on_time, d.counted)
        return weight * rate, {"rate": rate, **d.counts()}, d.counted > 0
    if isinstance(component, RatingComponent):
        if not inputs.ratings:
            return weight, {"ratings": 0}, False
        average = sum(s / m for s, m in inputs.ratings if m > 0) / len(inputs.ratings)
        return weight * average, {"ratings": len(inputs.ratings), "average_share": average}, True
    if isinstance(component, HotlineComponent):
        return _hotline_score(component, weight, inputs.counters)
    if isinstance(component, SurveyComponent):
        if not inputs.surveys:
            return weight, {"surveys": 0}, False
        average = sum(inputs.surveys) / len(inputs.surveys)
        return weight * min(100.0, max(0.0, average)) / 100, {"survey_score": average}, True
    if isinstance(component, TourComponent):
        return _tour_score(weight, inputs.tours)
    raise TypeError(f"unknown component {component!r}")


def _tour_score(weight: float, shares: list[float]) -> tuple[float, Detail, bool]:
    """The "4+2" 观摩: weight × the average share of the rounds in the period; no round → full
    (无数据). A side the component does not weigh (departments, weight 0) is not toured: it
    is not 无数据 either (there is nothing to redistribute)."""
    if not shares:
        return weight, {"rounds": 0}, weight == 0
    average = sum(shares) / len(shares)
    share = min(1.0, max(0.0, average))
    return weight * share, {"rounds": len(shares), "average_share": average}, True


def _hotline_score(
    component: HotlineComponent, weight: float, c: dict[str, float]
) -> tuple[float, Detail, bool]:
    """The four rates as shared.hotline_rates defines them; a rate nothing counts for yet
    scores as full."""
    r = hotline_rates.rates(c)
    shares = (
        (component.response_share, r.response),
        (component.resolution_share, r.resolution),
        (component.satisfaction_share, r.satisfaction),
        (component.on_time_closing_share, r.on_time_closing),
    )
    share = sum(part * (1.0 if rate is None else rate) for part, rate in shares)
    detail: dict[str, float | None] = {
        "response_rate": r.response,  # None: nothing counts for it yet (scored full)
        "resolution_rate": r.resolution,
        "satisfaction_rate": r.satisfaction,
        "on_time_closing_rate": r.on_time_closing,
        "first_contact_rate": r.first_contact,  # 先行联系率: shown, not scored
        **{k: int(c.get(k, 0)) for k in hotline_rates.COUNTERS},  # whole orders
    }
    has_data = any(c.get(k, 0) for k in ("orders", "response_due", "visited", "closing_due"))
    return weight * share, detail, has_data


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
        points, detail, has_data = component_score(component, weight, inputs)
        components.append(
            ComponentScore(
                component.key, component.name, round(points, 4), weight, detail, not has_data
            )
        )
    total = round(_total(rules, components, max_total), 4)
    if inputs.external_full_marks:
        # Seed 001_643c54550577dac0.txt: the indicator's lead unit gets full marks and the grade
        # 优秀 (docs/RULES.md: "An indicator in the national top 10 or first in the province …").
        indicators = "、".join(inputs.external_full_marks)
        override = (
            f"国评/省评指标领先：{indicators}（牵头部门直接得满分；"
            "牵头部门和部门主要负责人年终考核定为优秀等次）"
        )
        return UnitScore(max_total, max_total, "优秀", components, override)
    return UnitScore(total, max_total, grade_of(rules, total, max_total), components, None)


def _total(rules: RuleSetBody, components: list[ComponentScore], max_total: float) -> float:
    """Σ points; with `no_data: redistribute`, the components with data are scaled up to the
    full total (their share of what could be scored), the others left out."""
    scored = [c for c in components if not c.no_data]
    if rules.no_data == "full" or len(scored) == len(components) or not scored:
        return sum(c.points for c in components)
    possible = sum(c.max for c in scored)
    return sum(c.points for c in scored) * max_total / possible if possible else max_total


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
    # the units' milestone events from the programme's start (a lag carries across periods)
    milestones: list[MilestoneFact] = field(default_factory=list)
    # (district, the round's day, its share of the score sheet): published "4+2" 观摩 rounds
    tours: list[tuple[str, date, float]] = field(default_factory=list)

    @functools.cached_property
    def milestone_histories(self) -> list[list[MilestoneFact]]:
        return milestone_histories(self.milestones)

    def _add_tours(self, result: dict[str, UnitInputs], start: date, end: date) -> None:
        """The published "4+2" 观摩 rounds held in the period, for each district scored."""
        for unit, day, share in self.tours:
            if unit in result and start <= day <= end:
                result[unit].tours.append(share)

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
                for name, value in zip(hotline_rates.COUNTERS, values, strict=True):
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
        self._add_tours(result, start, end)
        rate = next((c for c in rules.components if isinstance(c, DeliveryRateComponent)), None)
        if rate is not None:
            for unit, delivery in delivery_by_unit(
                rate, self.milestone_histories, set(result), start, end
            ).items():
                result[unit].delivery = delivery
        return result
