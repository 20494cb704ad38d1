from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator

from shared.models import ProjectStage, TourKind, TourProjectRole, TourStatus
from shared.validation import BusinessDate, Name

Points = Decimal  # two decimals, as the sheet is kept (Numeric(6, 2))


class TourRoundIn(BaseModel):
    kind: TourKind = Field(description="mid_year 年中观摩（7月初）/ year_end 年末观摩（12月底）")
    held_on: BusinessDate = Field(description="观摩日期（须在本改革工程年度内）")
    name: Name | None = Field(
        default=None,
        min_length=2,
        max_length=64,
        description="名称（默认“2026年年中“4+2”项目观摩”）",
    )


class SheetItemIn(BaseModel):
    name: Name = Field(min_length=1, max_length=32, description="评分项，如“项目质量”")
    max_points: Points = Field(gt=0, le=100, max_digits=5, decimal_places=2, description="满分")


class SheetIn(BaseModel):
    items: list[SheetItemIn] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _distinct(self) -> SheetIn:
        names = [i.name for i in self.items]
        if len(names) != len(set(names)):
            raise ValueError("评分项名称不能重复")
        return self


class ShownProjectIn(BaseModel):
    project_id: int = Field(ge=1, le=2_147_483_647)
    role: TourProjectRole = Field(description="new_start 新开工项目 / completed 竣工项目")


class ShownProjectsIn(BaseModel):
    projects: list[ShownProjectIn] = Field(max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> ShownProjectsIn:
        ids = [p.project_id for p in self.projects]
        if len(ids) != len(set(ids)):
            raise ValueError("同一项目不能重复列入")
        return self


class ScoreIn(BaseModel):
    item_id: int = Field(ge=1, le=2_147_483_647)
    points: Points = Field(ge=0, le=100, max_digits=5, decimal_places=2, description="得分")


class ScoresIn(BaseModel):
    scores: list[ScoreIn] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _distinct(self) -> ScoresIn:
        ids = [s.item_id for s in self.scores]
        if len(ids) != len(set(ids)):
            raise ValueError("同一评分项不能重复打分")
        return self


class SheetItemOut(BaseModel):
    id: int
    ordinal: int
    name: str
    max_points: float


class ShownProjectOut(BaseModel):
    project_id: int
    code: str
    name: str
    stage: ProjectStage
    role: TourProjectRole


class ScoreOut(BaseModel):
    item_id: int
    points: float


class DistrictOut(BaseModel):
    unit_code: str
    unit_name: str
    projects: list[ShownProjectOut]
    mix_warning: str | None = Field(
        description="展示项目与“4+2”（4个新开工、2个竣工）不符时的提示（只提示，不拒绝）"
    )
    scores: list[ScoreOut] | None = Field(
        description="各评分项得分（改革办和只读账号随时可见；区县只在发布后看到本区县的）"
    )
    scored_items: int = Field(description="已打分的评分项数")
    total: float | None = Field(description="总分（发布后公布）")
    rank: int | None = Field(description="名次（发布后公布；并列同名次）")


class TourRoundOut(BaseModel):
    id: int
    kind: TourKind
    name: str
    held_on: date
    status: TourStatus
    sheet_editable: bool = Field(description="尚未开始打分、未发布时评分表可修改")
    max_total: float = Field(description="评分表满分")
    published_at: datetime | None
    published_by: str | None


class TourRoundDetailOut(TourRoundOut):
    items: list[SheetItemOut]
    districts: list[DistrictOut] = Field(description="各区县（发布后按名次排列，否则按代码）")
