from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ComponentOut(BaseModel):
    key: str
    name: str
    points: float
    max: float
    detail: dict[str, Any] = Field(default_factory=dict)
    no_data: bool = Field(
        default=False,
        description="无数据（规则集 no_data：按满分计，或权重分摊到有数据的评分项）",
    )


class ScoreOut(BaseModel):
    unit_code: str
    unit_name: str
    unit_kind: str
    period: str
    total: float
    max_total: float
    grade: str = Field(description="优秀 / 良好 / 一般 / 较差")
    components: list[ComponentOut]
    rule_set_version: int
    updated_at: datetime | None = None


class ExplainEntry(BaseModel):
    event_id: str
    event_type: str
    day: date
    rule: str
    points: float


class ExplainComponent(BaseModel):
    key: str
    name: str
    points: float
    max: float
    formula: str
    detail: dict[str, Any]
    no_data: bool
    entries: list[ExplainEntry]


class Explanation(BaseModel):
    unit_code: str
    unit_name: str
    period: str
    as_of: date
    total: float
    max_total: float
    grade: str
    override: str | None
    components: list[ExplainComponent]


class RankingItem(BaseModel):
    rank: int = Field(description="并列者名次相同（1, 2, 2, 4）")
    unit_code: str
    unit_name: str
    unit_kind: str
    total: float
    max_total: float
    grade: str
    previous_rank: int | None
    previous_total: float | None
    rank_change: int | None = Field(description="正数表示名次上升")
    previous_year_rank: int | None = Field(
        default=None,
        description="去年同期名次（上一年度改革工程同一考核期、同一排名分组；已结束的取最终成绩）",
    )
    previous_year_total: float | None = Field(default=None, description="去年同期总分")
    top: bool
    bottom: bool
    survey_accountability: bool = Field(
        description="万企评机关连续两次排名末位（种子文件002）→ 问责"
    )


class RankingGroupOut(BaseModel):
    key: str
    name: str
    unit_kinds: list[str]


class Ranking(BaseModel):
    programme: str
    period: str
    previous_period: str
    previous_year_period: str | None = Field(
        default=None, description="去年同期（如 2027-Q3 → 2026-Q3）"
    )
    group: str = Field(description="排名分组（规则集定义）")
    group_name: str
    groups: list[RankingGroupOut] = Field(description="规则集中的全部排名分组")
    top_n: int = Field(description="表扬名额：名次在前 N 位者（并列同享）")
    bottom_n: int = Field(
        description="点名名额：倒数 N 位内（并列同享）且低于中位数超过 naming_margin"
    )
    naming_margin: float
    items: list[RankingItem]


class HotlineBoardItem(BaseModel):
    rank: int = Field(description="并列者名次相同（1, 2, 2, 4）")
    unit_code: str
    unit_name: str
    score: float = Field(description="热线综合得分率（%）：热线评分项得分 ÷ 满分 × 100")
    orders: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_closing_rate: float | None
    red: bool = Field(description="红榜：前 N 位（并列同享）")
    black: bool = Field(
        description="黑榜：倒数 N 位内（并列同享）且低于中位数超过 naming_margin 个百分点"
    )
    escalated: int = Field(
        default=0, description="二次催办（已抄送单位负责人）的工单数（本期受理）"
    )


class HotlineBoard(BaseModel):
    """12345 红黑榜 of one ranking group (issue #26): the units any order counts for, ranked by
    the hotline component's share of its weight."""

    programme: str
    period: str
    group: str
    group_name: str
    groups: list[RankingGroupOut] = Field(description="规则集中的全部排名分组")
    top_n: int
    bottom_n: int
    naming_margin: float
    items: list[HotlineBoardItem]


class RecomputeResult(BaseModel):
    programme: str
    facts_replayed: int
    scores: int
