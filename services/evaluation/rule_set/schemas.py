"""The scoring rule set: a validated JSON document, versioned per programme.

What the seeds give, each a row of docs/RULES.md (quoted):

- seed 001_643c54550577dac0.txt: districts are assessed out of 80 ("A district's
  business-environment score is out of 80"); an indicator in the national top 10 or first in the
  province gives its lead department full marks and 优秀 ("An indicator in the national top 10 or
  first in the province …"); lead units rate their responsible units ("The lead unit rates its
  task's responsible units …");
- seed 002_c95ffdd180ea7e81.txt: first and second supervision, then accountability ("An
  unresolved first supervision past its date becomes a second supervision …"); the half-yearly
  enterprise survey of departments ("Enterprises rate departments every half-year …"), its
  bottom five twice in a row held to account ("A department in the bottom five of the enterprise
  survey …").

Every other number here is an office default (its row in docs/RULES.md says so).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models import RuleSetStatus
from shared.validation import BusinessDate, Text


class Weight(BaseModel):
    """Points a component is worth for departments/other bodies (`unit`) and for districts."""

    model_config = ConfigDict(extra="forbid")

    unit: float = Field(ge=0, le=1000)
    district: float = Field(ge=0, le=1000)


class ComponentKey(StrEnum):
    task_delivery = "task_delivery"
    lead_rating = "lead_rating"
    hotline = "hotline"
    supervision = "supervision"
    problems = "problems"
    inspection = "inspection"
    survey = "survey"
    tour = "tour"


class DeductionComponent(BaseModel):
    """Starts at full weight; each matching fact adds `rules[rule]` points (negative = deduction);
    the result is clamped to 0..weight."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["task_delivery", "supervision", "problems", "inspection"]
    kind: Literal["deduction"] = "deduction"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight
    rules: dict[str, float] = Field(
        default_factory=dict,
        description="rule → points per fact, e.g. milestone_lagging: -1 "
        "(inspection uses each finding's own deduction)",
    )


class DeliveryRateComponent(BaseModel):
    """改革任务推进 as performance, not workload (issue #19, fix 2; office default — no seed gives
    a formula; docs/RULES.md: "改革任务推进 is weight × the on-time completion rate …"): weight ×
    the on-time completion rate (按期完成率) of the unit's milestones in the period. A milestone
    counts in the period it was done (on time: for; late: against) and in every period that ends
    while it is announced lagging or seriously lagging and not done (against). The lead unit and
    each responsible unit count it with their role's weight."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["task_delivery"]
    kind: Literal["delivery_rate"] = "delivery_rate"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight
    lead_weight: float = Field(
        default=1.0, ge=0, le=10, description="牵头单位计入节点的权重（改革办默认 1）"
    )
    responsible_weight: float = Field(
        default=1.0, ge=0, le=10, description="责任单位计入节点的权重（改革办默认 1）"
    )


class RatingComponent(BaseModel):
    """Average of the latest lead-unit ratings received / scale × weight; no rating → full."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["lead_rating"]
    kind: Literal["rating"] = "rating"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight


class HotlineComponent(BaseModel):
    """weight × (response share × response rate + resolution share × resolution rate +
    satisfaction share × satisfaction rate + on-time closing share × on-time closing rate); a
    rate nothing counts for yet counts as 1 (the rates: shared.hotline_rates)."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["hotline"]
    kind: Literal["hotline"] = "hotline"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight
    response_share: float = Field(ge=0, le=1)
    resolution_share: float = Field(ge=0, le=1)
    satisfaction_share: float = Field(ge=0, le=1)
    on_time_closing_share: float = Field(
        default=0, ge=0, le=1, description="按时办结率权重（改革办默认：0，只计三率）"
    )
    counts_for_origin_district: bool = Field(
        default=False,
        description="市直部门承办的工单是否同时计入来源区县（改革办默认：否，只计承办单位）",
    )
    counts_consultations: bool = Field(
        default=False, description="咨询类工单是否计入热线各率（改革办默认：否）"
    )

    @model_validator(mode="after")
    def _shares_add_up(self) -> HotlineComponent:
        total = (
            self.response_share
            + self.resolution_share
            + self.satisfaction_share
            + self.on_time_closing_share
        )
        if abs(total - 1) > 1e-6:
            raise ValueError("各率权重之和必须为 1")
        return self


class SurveyComponent(BaseModel):
    """Enterprise survey score (0–100) of the period / 100 × weight; no survey → full."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["survey"]
    kind: Literal["survey"] = "survey"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight


class TourComponent(BaseModel):
    """The "4+2" 项目观摩 (seed 003_fe0a5556b3029276.txt item 21: "观摩评价结果作为年中考评和年末
    考核的重要依据"): weight × the district's average share (total ÷ the sheet's maximum) over the
    published rounds held in the period; none → full (无数据). Departments are not toured (office
    default weight 0 for them)."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["tour"]
    kind: Literal["tour"] = "tour"
    name: str = Field(min_length=1, max_length=32)
    weight: Weight


Component = Annotated[
    DeductionComponent
    | DeliveryRateComponent
    | RatingComponent
    | HotlineComponent
    | SurveyComponent
    | TourComponent,
    Field(discriminator="kind"),
]


class Grades(BaseModel):
    """Lower bounds as a share of the maximum total. Office defaults: no seed gives grade lines."""

    model_config = ConfigDict(extra="forbid")

    excellent: float = Field(default=0.9, gt=0, le=1, description="优秀（改革办默认）")
    good: float = Field(default=0.8, gt=0, le=1, description="良好（改革办默认）")
    fair: float = Field(default=0.6, gt=0, le=1, description="一般（改革办默认）")

    @model_validator(mode="after")
    def _ordered(self) -> Grades:
        if not self.excellent > self.good > self.fair:
            raise ValueError("等次分数线必须依次降低")
        return self


class RankingGroup(BaseModel):
    """Units ranked against each other (office default: 市直部门, 区县, 中央驻市单位及公用企业 —
    never a court next to a district). A unit kind in no group is not ranked (the office)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern="^[a-z_]{1,32}$")
    name: str = Field(min_length=1, max_length=32)
    unit_kinds: list[Literal["department", "district", "other", "office"]] = Field(min_length=1)


def default_ranking_groups() -> list[RankingGroup]:
    return [
        RankingGroup(key="department", name="市直部门", unit_kinds=["department"]),
        RankingGroup(key="district", name="区县", unit_kinds=["district"]),
        RankingGroup(key="other", name="中央驻市单位及公用企业", unit_kinds=["other"]),
    ]


class ExternalRankOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national_top: int = Field(default=10, ge=1, le=100, description="国评前 N 名")
    provincial_top: int = Field(default=1, ge=1, le=20, description="省评前 N 名")


class RuleSetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_total: float = Field(default=100, gt=0, description="市直部门等单位满分（改革办默认）")
    district_total: float = Field(default=80, gt=0, description="区县满分（种子文件001：80分）")
    top_n: int = Field(default=5, ge=1, le=20, description="通报表扬名额（并列者同享）")
    bottom_n: int = Field(default=5, ge=1, le=20, description="通报批评名额（并列者同享）")
    naming_margin: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="改革办默认：低于本组中位数超过该分值才点名批评",
    )
    ranking_groups: list[RankingGroup] = Field(
        default_factory=default_ranking_groups, min_length=1, max_length=10
    )
    grades: Grades = Field(default_factory=Grades)
    external_rank: ExternalRankOverride = Field(default_factory=ExternalRankOverride)
    survey_bottom_n: int = Field(default=5, ge=1, le=20, description="万企评机关末位名额")
    no_data: Literal["full", "redistribute"] = Field(
        default="full",
        description="评分项对某单位无数据（无到期节点、无评分、无工单、无调查）时：full 按满分计"
        "（改革办默认）；redistribute 其权重按比例分摊到有数据的评分项",
    )
    components: list[Component] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _weights_add_up(self) -> RuleSetBody:
        keys = [c.key for c in self.components]
        if len(keys) != len(set(keys)):
            raise ValueError("评分项不能重复")
        groups = [g.key for g in self.ranking_groups]
        kinds = [k for g in self.ranking_groups for k in g.unit_kinds]
        if len(groups) != len(set(groups)) or len(kinds) != len(set(kinds)):
            raise ValueError("排名分组的代码不能重复，一类单位只能属于一个分组")
        for side, total in (("unit", self.unit_total), ("district", self.district_total)):
            weights = sum(getattr(c.weight, side) for c in self.components)
            if abs(weights - total) > 1e-6:
                raise ValueError(f"{side} 各评分项权重之和 {weights:g} 应等于满分 {total:g}")
        return self


def deduction_task_delivery() -> DeductionComponent:
    """The earlier model of 改革任务推进, still available to a rule set: fixed points per late or
    lagging milestone and per task closed late (office defaults). It charges workload: a unit on
    many tasks loses more for the same share of delays — hence the rate is the default."""
    return DeductionComponent(
        key="task_delivery",
        name="改革任务推进",
        weight=Weight(unit=40, district=30),
        rules={
            "milestone_late": -0.2,
            "milestone_lagging": -0.5,
            "milestone_seriously_lagging": -1,
            "task_closed_late": -0.5,
        },
    )


def default_rule_set() -> RuleSetBody:
    """The office's defaults: the weights and points per fact are not from any seed (seed
    001_643c54550577dac0.txt gives the districts' 80 and the external-rank override, seed
    002_c95ffdd180ea7e81.txt the supervision ladder and the survey's bottom five);
    docs/EVALUATION.md "Totals and grades" and docs/RULES.md say which is which."""
    return RuleSetBody(
        components=[
            DeliveryRateComponent(
                key="task_delivery", name="改革任务推进", weight=Weight(unit=40, district=30)
            ),
            # Office default: a district's 10 points of 牵头单位评价 are split 5 / 5 with the
            # "4+2" 观摩 (tour) below, so the district total stays 80 (seed 001).
            RatingComponent(
                key="lead_rating", name="牵头单位评价", weight=Weight(unit=15, district=5)
            ),
            HotlineComponent(
                key="hotline",
                name="12345热线三率",
                weight=Weight(unit=15, district=20),
                response_share=0.3,
                resolution_share=0.3,
                satisfaction_share=0.4,
            ),
            DeductionComponent(
                key="supervision",
                name="督办问责",
                weight=Weight(unit=10, district=10),
                rules={"first": -1, "second": -3, "accountability": -10},
            ),
            DeductionComponent(
                key="problems",
                name="问题整改",
                weight=Weight(unit=5, district=5),
                rules={"problem_overdue": -1, "problem_closed_late": -0.5},
            ),
            DeductionComponent(
                key="inspection", name="督查检查", weight=Weight(unit=5, district=5)
            ),
            SurveyComponent(key="survey", name="万企评机关", weight=Weight(unit=10, district=0)),
            # Office default weight (seed 003 item 21 makes the tours a basis of the districts'
            # assessment but gives no points): 5 of a district's 80, none for departments.
            TourComponent(key="tour", name="“4+2”项目观摩", weight=Weight(unit=0, district=5)),
        ]
    )


class RuleSetOut(BaseModel):
    programme: str
    version: int
    status: RuleSetStatus
    body: RuleSetBody
    note: str
    effective_from: date | None
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


class RuleSetDraft(BaseModel):
    body: RuleSetBody
    note: Text = Field(default="", max_length=500)


class PublishRequest(BaseModel):
    effective_from: BusinessDate = Field(description="生效日期（业务日期）")
    confirm_mid_period: bool = Field(
        default=False, description="生效日期不在考核期起点时必须显式确认"
    )
