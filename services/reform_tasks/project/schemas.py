from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from services.reform_tasks.project import rules
from shared.models import ProjectLevel, ProjectProblemStatus, ProjectStage, ProjectStatus
from shared.validation import BusinessDate, Name, PatchModel, Text
from shared.warning_light import WarningLight

WEEK_PATTERN = r"^\d{4}-W\d{2}$"
Code = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class NodeIn(BaseModel):
    name: Name = Field(min_length=2, max_length=128, description="节点名称")
    planned_on: BusinessDate = Field(description="计划日期")


class NodeOut(BaseModel):
    id: int
    ordinal: int
    name: str
    planned_on: date
    actual_on: date | None
    done: bool
    late: bool = Field(description="未按计划完成：实际日期晚于计划，或计划已过仍未完成")


class NodeDoneIn(BaseModel):
    actual_on: BusinessDate | None = Field(default=None, description="实际完成日期（默认今天）")


class ProjectIn(BaseModel):
    code: str = Code
    name: Name = Field(min_length=2, max_length=200)
    level: ProjectLevel
    district: str = Field(description="所在县（市、区）单位代码")
    lead_unit: str = Field(description="责任单位代码（报送周报）")
    owner: Name = Field(default="", max_length=200, description="业主")
    investment: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=Decimal("999999999999.99"),
        decimal_places=2,
        description="总投资（万元）",
    )
    industry: Name = Field(default="", max_length=64, description="行业")
    stage: ProjectStage = ProjectStage.negotiating
    status: ProjectStatus = Field(
        default=ProjectStatus.proposed, description="proposed 申报（待评价）/ admitted 已列入"
    )
    started_on: BusinessDate | None = None
    completed_on: BusinessDate | None = None
    nodes: list[NodeIn] = Field(default_factory=list, max_length=50)


class ProjectUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"started_on", "completed_on"})

    name: Name | None = Field(default=None, min_length=2, max_length=200)
    level: ProjectLevel | None = None
    district: str | None = None
    lead_unit: str | None = None
    owner: Name | None = Field(default=None, max_length=200)
    investment: Decimal | None = Field(
        default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2
    )
    industry: Name | None = Field(default=None, max_length=64)
    started_on: BusinessDate | None = None
    completed_on: BusinessDate | None = None
    leader_name: Name | None = Field(default=None, max_length=64, description="市级领导")
    leader_title: Name | None = Field(default=None, max_length=128, description="领导职务")
    team_members: Text | None = Field(default=None, max_length=2000, description="工作班子")


class StageIn(BaseModel):
    stage: ProjectStage
    on: BusinessDate | None = Field(default=None, description="进入该阶段的日期（默认今天）")


class PlanFileOut(BaseModel):
    id: int
    filename: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: datetime


class ProjectOut(BaseModel):
    id: int
    code: str
    name: str
    level: ProjectLevel
    district: str
    district_name: str
    lead_unit: str
    lead_unit_name: str
    owner: str
    investment: Decimal
    industry: str
    stage: ProjectStage
    stage_changed_on: date | None
    status: ProjectStatus
    started_on: date | None
    completed_on: date | None
    leader_name: str
    leader_title: str
    team_members: str
    weekly_report_required: bool
    weekly_report_missing: bool = Field(description="本周未报：到报送日仍未报送本周周报")
    open_problems: int
    # 三色预警 (issue #27; shared/warning_light.py): expected pace from the nodes' planned dates,
    # actual from the nodes done; red also when a node is more than 3 months late.
    warning_light: WarningLight = Field(
        default=WarningLight.green, description="今天的三色预警：green / yellow / red"
    )
    warning_reason: str = Field(default="", description="预警原因，如“落后序时进度 18 个百分点”")
    version: int
    nodes: list[NodeOut]
    plan: PlanFileOut | None = None


class AspectScores(BaseModel):
    """The seven aspects of seed 003 item 17, each 0–100."""

    investment_scale: Decimal = Field(ge=0, le=100, decimal_places=2, description="投资规模")
    industry_category: Decimal = Field(ge=0, le=100, decimal_places=2, description="行业类别")
    owner_strength: Decimal = Field(ge=0, le=100, decimal_places=2, description="业主实力")
    preliminary_procedures: Decimal = Field(ge=0, le=100, decimal_places=2, description="前期手续")
    overall_benefit: Decimal = Field(ge=0, le=100, decimal_places=2, description="综合效益")
    technology_level: Decimal = Field(ge=0, le=100, decimal_places=2, description="技术水平")
    resource_use: Decimal = Field(ge=0, le=100, decimal_places=2, description="资源利用")


class EvaluationIn(BaseModel):
    scores: AspectScores
    comment: Text = Field(default="", max_length=2000)


class EvaluationOut(BaseModel):
    project_id: int
    evaluated: bool
    scores: dict[str, Decimal] | None
    weights: dict[str, int] = Field(description="权重（改革办默认，合计 100）")
    threshold: Decimal = Field(description="列入门槛（改革办默认）")
    total: Decimal | None
    admitted: bool | None
    status: ProjectStatus
    comment: str
    evaluated_by: str | None
    evaluated_at: datetime | None


class ProblemItemIn(BaseModel):
    problem: Text = Field(min_length=2, max_length=2000)


class CloseItemIn(BaseModel):
    note: Text = Field(min_length=2, max_length=2000, description="销号说明")


class ProblemItemOut(BaseModel):
    id: int
    problem: str
    status: ProjectProblemStatus
    raised_by: str
    raised_at: datetime
    closed_by: str | None
    closed_on: date | None
    closing_note: str | None


class NodeProgress(BaseModel):
    node_id: int
    progress: Text = Field(max_length=2000)


class PhotoOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int


class WeeklyReportOut(BaseModel):
    id: int
    project_id: int
    week: str
    unit: str
    node_progress: list[NodeProgress]
    summary: str
    problems: str
    solutions: str
    submitted_by: str
    submitted_at: datetime
    photos: list[PhotoOut]


class DigestRow(BaseModel):
    project_id: int
    code: str
    name: str
    level: ProjectLevel
    district_name: str
    lead_unit: str
    lead_unit_name: str
    stage: ProjectStage
    required: bool
    missing: bool
    report: WeeklyReportOut | None = Field(description="本周周报；未报时为此前最近一期")
    open_problems: list[str]


class WeeklyDigest(BaseModel):
    week: str
    due_on: date
    projects: list[DigestRow]
    missing: int


class ImportResult(BaseModel):
    dry_run: bool
    created: list[str]
    updated: list[str]
    unchanged: int


class ProjectRuleSettings(BaseModel):
    """A programme's key-project settings (`project_rules`), all office defaults: the quality
    evaluation's weights (the seven aspects, summing to 100) and admission threshold, and the
    weekday by which a week's report is due (1 Monday … 7 Sunday)."""

    weights: dict[str, int] = Field(
        default_factory=lambda: dict(rules.DEFAULT_WEIGHTS),
        description="七个方面的权重，合计 100（改革办默认 20/15/15/15/15/10/10）",
    )
    threshold: Decimal = Field(
        default=rules.DEFAULT_THRESHOLD,
        ge=0,
        le=100,
        decimal_places=2,
        description="列入门槛（改革办默认 70）",
    )
    due_weekday: int = Field(
        default=rules.DEFAULT_DUE_WEEKDAY,
        ge=1,
        le=7,
        description="周报报送日（改革办默认 5，周五）",
    )

    @model_validator(mode="after")
    def _weights_cover_the_seven_aspects(self) -> ProjectRuleSettings:
        if set(self.weights) != set(rules.ASPECTS):
            raise ValueError("权重须覆盖七个方面：" + "、".join(rules.ASPECTS))
        if (
            any(not 0 <= w <= 100 for w in self.weights.values())
            or sum(self.weights.values()) != 100
        ):
            raise ValueError("各方面权重须在 0–100 之间且合计为 100")
        return self
