from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.reform_tasks.submission.schemas import QuarterText
from shared.models import CaseKind
from shared.validation import Name, Text


class CaseIn(BaseModel):
    kind: CaseKind = Field(description="negative 破坏营商环境 / positive 优化营商环境示范")
    title: Name = Field(min_length=4, max_length=200, description="案例标题")
    facts: Text = Field(min_length=10, max_length=5000, description="基本案情")
    unit: str = Field(max_length=32, description="涉及单位代码")
    handling: Text = Field(default="", max_length=5000, description="处理情况")
    people_accountability: Text | None = Field(
        default=None, max_length=2000, description="一案双查：对直接责任人的追责结果"
    )
    unit_accountability: Text | None = Field(
        default=None,
        max_length=2000,
        description="一案双查：对失职失责党组织和领导干部（主体责任、监督责任、领导责任）的追责结果",
    )
    quarter: QuarterText = Field(description="通报季度，如 2026-Q3")
    public: bool = Field(default=False, description="是否向社会公开（公开版通报只列公开案例）")


class CaseOut(BaseModel):
    id: int
    kind: CaseKind
    title: str
    facts: str
    unit: str
    unit_name: str
    handling: str
    people_accountability: str | None
    unit_accountability: str | None
    quarter: str
    public: bool
    created_by: str
    updated_at: datetime
