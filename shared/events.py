"""The event envelope and catalogue between services (docs/ARCHITECTURE.md "Events between
services")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import models_json_schema

from shared.appeals import AppealKind
from shared.audit import jsonable
from shared.settings import EVENT_BATCH_MAX

INTERNAL_EVENTS_PATH = "/internal/events"
INTERNAL_EVENTS_BATCH_PATH = "/internal/events/batch"


# --- The catalogue: one pydantic model per event type -------------------------------------------
#
# Every event's `data` is one of these models. A producer's data is validated when it is enqueued
# (`shared.outbox.enqueue`); every row written to the outbox, data built in SQL (the hotline's
# `hotline.settle`) included, is checked by the database's guard generated from these models
# (shared/event_guard.py); the consumer validates again and parks what does not fit, with the
# error (`services.evaluation.event.service`). Validation is JSON mode and strict: what is checked
# is exactly what travels and is stored, and nothing is coerced or filled in.
# docs/schemas/events.schema.json is generated from these models (`python -m shared.events`),
# kept equal by a test.

Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]
Severity = Literal["lagging", "seriously_lagging"]
SeverityOrNone = Literal["none", "lagging", "seriously_lagging"]
UnitCode = Annotated[str, Field(min_length=1, max_length=32)]  # as platform.units.code
Number = Annotated[int, Field(ge=1)]
Days = Annotated[int, Field(ge=0)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TaskUnits(EventData):
    lead_unit: UnitCode
    responsible_units: list[UnitCode] = Field(description="责任单位（不含牵头单位），按代码排序")


class MilestoneRef(TaskUnits):
    task_number: Number
    milestone: Number = Field(description="时间节点序号")
    title: str
    planned_date: date
    baseline_date: date | None = Field(description="原计划日期（延期前），未延期为 null")


class MilestoneLagging(MilestoneRef):
    """The sweep found the milestone past its planned date and not done (battle-map severity)."""

    severity: Severity
    previous_severity: SeverityOrNone = Field(description="此前已通报的程度")
    days_late: Days
    as_of: date


class MilestoneDone(MilestoneRef):
    completed_on: date
    on_time: bool
    days_late: Days


class MilestoneCompleted(MilestoneDone):
    """The lead unit accepted the completion report: done on `completed_on` (issue #19, fix 1)."""


class MilestoneLagReversed(MilestoneRef):
    """A lagging severity announced after the milestone was in fact done: taken back."""

    completed_on: date
    from_severity: Severity
    to_severity: SeverityOrNone


class MilestoneReopened(MilestoneDone):
    """The office refused the close-out: the completion (and its lateness) is undone."""

    reason: str = Field(min_length=1)


class TaskClosedOut(TaskUnits):
    task_number: Number
    deadline: date
    closed_out_on: date
    on_time: bool


class RatingSubmitted(EventData):
    window: str = Field(min_length=1, max_length=32)
    task_number: Number
    rater_unit: UnitCode
    rated_unit: UnitCode
    score: float = Field(ge=0)
    scale_max: float = Field(gt=0)
    version: Number


class SupervisionEscalated(EventData):
    """督办 → 二次督办 → 问责 (seed 002_c95ffdd180ea7e81.txt), of a milestone or a problem."""

    supervision_id: Number
    parent_id: Number | None
    level: Literal["first", "second", "accountability"]
    unit: UnitCode
    reason: str
    task_number: Number | None
    milestone: Number | None
    problem_number: Number | None
    issued_on: date
    due_on: date | None

    @model_validator(mode="after")
    def _one_subject(self) -> SupervisionEscalated:
        """One subject, never both: a milestone (task_number and milestone) or a problem."""
        of_milestone = self.task_number is not None and self.milestone is not None
        of_problem = self.problem_number is not None
        if of_milestone == of_problem or (self.task_number is None) != (self.milestone is None):
            raise ValueError("督办对象须为一个时间节点（task_number 和 milestone）或一个问题")
        return self


class ProblemOverdue(EventData):
    problem_number: Number
    unit: UnitCode
    found_on: date
    due_on: date
    as_of: date
    days_overdue: Days


class ProblemClosed(EventData):
    problem_number: Number
    unit: UnitCode
    source: Literal["inspection", "hotline", "survey", "self_check"]
    found_on: date
    due_on: date
    closed_on: date
    on_time: bool


class WorkOrderFacts(EventData):
    """What every work-order event says about a 12345 order (seed 004_1871f105e1d7927d.txt), with no
    personal data. Rates count an order in the period of `received_on` (shared.hotline_rates;
    docs/RULES.md: "An order counts in the period it was received …")."""

    order_no: str = Field(min_length=1)
    kind: AppealKind
    district_code: UnitCode | None = Field(description="来源区县；无则 null")
    received_on: date = Field(description="受理日（北京时间）：工单计入受理日所在期间")


class WorkOrderCreated(WorkOrderFacts):
    category_code: str | None
    domain_code: str | None


class WorkOrderResponded(WorkOrderFacts):
    within_limit: bool = Field(description="在签收时限内签收（按工作日历）")
    after_expiry: bool = Field(
        description="签收时限届满未签收已告知（work_order.response_expired）后才签收：不再计入响应率分母"
    )


class WorkOrderResponseExpired(WorkOrderFacts):
    """The signing limit passed with the order unsigned (the hotline's sweep)."""

    limit: str = Field(min_length=1, max_length=32, description="签收时限，如 15分钟、1个工作日")


class WorkOrderVisited(WorkOrderFacts):
    resolved: bool
    satisfaction: Satisfaction


class WorkOrderOverdue(WorkOrderFacts):
    working_days_over: Days


class WorkOrderClosed(WorkOrderFacts):
    on_time: bool = Field(description="在办理期限（due_at，无则办结时限）内办结")
    after_overdue: bool = Field(
        description="超期未办结已告知（work_order.overdue）后才办结：不再计入按时办结率分母"
    )


class WorkOrderLinkedAsRepeat(WorkOrderFacts):
    """The order is a repeat request (重复诉求) of `repeat_of`: the same caller about the same
    matter (issue #26). Evaluation counts the matter once: the order's facts leave the rates
    while its newest link fact (by `version`) says so (docs/HOTLINE.md "Repeat requests")."""

    repeat_of: str = Field(min_length=1, description="同一诉求的首次工单号")
    version: Number = Field(description="该工单关联状态的版本号：以最大版本为准")


class WorkOrderUnlinked(WorkOrderFacts):
    """The order is no longer a repeat request (the office unlinked it, or the matter changed):
    its facts count again."""

    version: Number = Field(description="该工单关联状态的版本号：以最大版本为准")


class WorkOrderFirstContacted(WorkOrderFacts):
    """先行联系 (issue #26): the first contact with the caller, told once per order."""

    within_limit: bool = Field(
        description="在先行联系时限内联系（办公室默认：签收时限，自受理起算）"
    )


class WorkOrderVisitOverturned(WorkOrderFacts):
    """申诉 (issue #26): the office overturned the order's dissatisfied visit on the handling
    unit's appeal; the visit leaves the satisfaction rate."""

    reason: str = Field(min_length=1, description="改判理由")
    appeal_id: Number


class WorkOrderEscalated(WorkOrderFacts):
    """The second step of 催办 (issue #26): the order was still past its signing (签收) or
    closing (办结) limit an interval after the reminder to the unit's liaison, so the reminder
    was copied to the unit's leader. Counted on the 12345 红黑榜; no rate moves."""

    limit_kind: Literal["signing", "closing"] = Field(description="signing 签收 / closing 办结")


class Reminder(EventData):
    """`reminder.<kind>` for the city's OA system."""

    id: Number
    unit_code: UnitCode
    kind: str = Field(min_length=1)
    title: str
    body: str
    link: str


class TourPublished(EventData):
    """A district's result in a published "4+2" 观摩 round (seed 003_fe0a5556b3029276.txt item 21:
    "观摩评价结果作为年中考评和年末考核的重要依据"): its total on the round's score sheet, the
    sheet's maximum, and its rank among the districts toured. The event's day is the round's
    date (观摩日期); evaluation scores the district's `tour` component from it."""

    round_code: str = Field(min_length=1, max_length=32)
    round_name: str = Field(min_length=1, max_length=64)
    held_on: date
    total: float = Field(ge=0)
    max_total: float = Field(gt=0)
    rank: Number
    districts: Number = Field(description="参加本轮观摩排名的区县数")


# Facts the office enters in evaluation itself (never between services, so not in EVENTS).
class InspectionRecorded(EventData):
    unit_code: UnitCode
    inspected_on: date
    mode: Literal["scheduled", "unannounced"]
    finding: str
    deduction: float = Field(ge=0)
    recorded_by: str


class SurveyResultRecorded(EventData):
    period: str = Field(pattern=r"^\d{4}-H[12]$")
    unit_code: UnitCode
    score: float = Field(ge=0, le=100)
    respondents: Days
    recorded_by: str


class ExternalRankRecorded(EventData):
    year: int
    indicator: str = Field(min_length=1, max_length=64)
    lead_unit: UnitCode
    national_rank: Number | None
    provincial_rank: Number | None
    recorded_by: str


ProgrammeCode = Annotated[str, Field(min_length=1, max_length=32)]  # as tasks.programmes.code


class ProgrammeCreated(EventData):
    """The office created a programme (issue #21). With `copy_from`, evaluation copies that
    programme's rule set in force as the new programme's first draft, for the office to edit
    and publish (docs/EVALUATION.md)."""

    code: ProgrammeCode
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date
    copy_from: ProgrammeCode | None = Field(description="复制其领域、设置和评分规则的改革工程")


class ProgrammeClosed(EventData):
    """The office closed a programme's year (issue #21): it is read-only from now on, and
    evaluation freezes its scores as the year's final results (the year-end 结果 list)."""

    code: ProgrammeCode
    year: int = Field(ge=2000, le=2100)
    closed_on: date
    closed_by: str = Field(min_length=1, max_length=64)


@dataclass(frozen=True, slots=True)
class EventType:
    model: type[EventData]
    consumer: str


# type → its model and consuming service. The outbox refuses a type that is not listed here.
EVENTS: dict[str, EventType] = {
    "milestone.completed": EventType(MilestoneCompleted, "evaluation"),
    "milestone.lagging": EventType(MilestoneLagging, "evaluation"),
    "milestone.lag_reversed": EventType(MilestoneLagReversed, "evaluation"),
    "milestone.reopened": EventType(MilestoneReopened, "evaluation"),
    "task.closed_out": EventType(TaskClosedOut, "evaluation"),
    "rating.submitted": EventType(RatingSubmitted, "evaluation"),
    "supervision.escalated": EventType(SupervisionEscalated, "evaluation"),
    "problem.closed": EventType(ProblemClosed, "evaluation"),
    "problem.overdue": EventType(ProblemOverdue, "evaluation"),
    "work_order.created": EventType(WorkOrderCreated, "evaluation"),
    "work_order.responded": EventType(WorkOrderResponded, "evaluation"),
    "work_order.response_expired": EventType(WorkOrderResponseExpired, "evaluation"),
    "work_order.visited": EventType(WorkOrderVisited, "evaluation"),
    "work_order.overdue": EventType(WorkOrderOverdue, "evaluation"),
    "work_order.closed": EventType(WorkOrderClosed, "evaluation"),
    "work_order.first_contacted": EventType(WorkOrderFirstContacted, "evaluation"),
    "work_order.visit_overturned": EventType(WorkOrderVisitOverturned, "evaluation"),
    "work_order.linked_as_repeat": EventType(WorkOrderLinkedAsRepeat, "evaluation"),
    "work_order.unlinked": EventType(WorkOrderUnlinked, "evaluation"),
    "work_order.escalated": EventType(WorkOrderEscalated, "evaluation"),
    "programme.created": EventType(ProgrammeCreated, "evaluation"),
    "programme.closed": EventType(ProgrammeClosed, "evaluation"),
    "tour.published": EventType(TourPublished, "evaluation"),
}
# Reminders (`reminder.<kind>`) for the city's OA system: delivered by the producer's relay to
# OA_WEBHOOK_URL, signed with Standard Webhooks, instead of to a service of ours.
OA_CONSUMER = "oa"
REMINDER_PREFIX = "reminder."
# Evaluation's own facts (the office's inputs), typed like the events but never sent.
OFFICE_INPUTS: dict[str, type[EventData]] = {
    "inspection.recorded": InspectionRecorded,
    "survey.result": SurveyResultRecorded,
    "external_rank.recorded": ExternalRankRecorded,
}


class UnknownEventType(ValueError):
    pass


def model_of(event_type: str) -> type[EventData]:
    """The model of any event or fact type; UnknownEventType if the catalogue has none."""
    if event_type in EVENTS:
        return EVENTS[event_type].model
    if event_type in OFFICE_INPUTS:
        return OFFICE_INPUTS[event_type]
    if event_type.startswith(REMINDER_PREFIX) and len(event_type) > len(REMINDER_PREFIX):
        return Reminder
    raise UnknownEventType(f"事件类型 {event_type!r} 不在事件目录中")


def consumer_of(event_type: str) -> str:
    if event_type in EVENTS:
        return EVENTS[event_type].consumer
    if model_of(event_type) is Reminder:
        return OA_CONSUMER
    raise UnknownEventType(f"事件类型 {event_type!r} 不在服务之间传递")


def is_sent_to(event_type: str, consumer: str) -> bool:
    """Whether events of this type travel between services to `consumer` (an office input,
    say, never does)."""
    return event_type in EVENTS and EVENTS[event_type].consumer == consumer


def parse_data(event_type: str, data: Mapping[str, Any]) -> EventData:
    """The event's data as its model, checked as JSON (how it travels and is stored): a missing
    or renamed key, a wrong type or an extra key raises (pydantic's ValidationError is a
    ValueError), so nothing is ever read with a default."""
    return model_of(event_type).model_validate_json(json.dumps(jsonable(dict(data))))


def catalogue_schema() -> dict[str, Any]:
    """The catalogue as one JSON Schema document (docs/schemas/events.schema.json)."""
    types: dict[str, type[EventData]] = {
        **{t: e.model for t, e in EVENTS.items()},
        **OFFICE_INPUTS,
        f"{REMINDER_PREFIX}*": Reminder,
    }
    _, definitions = models_json_schema(
        [(model, "validation") for model in dict.fromkeys(types.values())],
        ref_template="#/$defs/{model}",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "营商环境改革平台事件目录（EventEnvelope.data，按事件类型）",
        "type": "object",
        "properties": {t: {"$ref": f"#/$defs/{m.__name__}"} for t, m in types.items()},
        "$defs": definitions["$defs"],
    }


class EventEnvelope(BaseModel):
    id: uuid.UUID
    type: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    programme: str | None = None
    unit_code: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventAck(BaseModel):
    id: uuid.UUID
    duplicate: bool = Field(description="true when this event id had already been applied")


class EventBatch(BaseModel):
    events: list[EventEnvelope] = Field(min_length=1, max_length=EVENT_BATCH_MAX)


class EventBatchAck(BaseModel):
    acks: list[EventAck]


if __name__ == "__main__":  # python -m shared.events > docs/schemas/events.schema.json
    print(json.dumps(catalogue_schema(), ensure_ascii=False, indent=2))
