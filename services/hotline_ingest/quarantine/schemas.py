from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.hotline_ingest.work_order.schemas import WorkOrderOut
from shared.validation import Name


class CategoryIn(BaseModel):
    name: Name = Field(min_length=1, max_length=64, description="分类名称，如 企业开办")
    domain_code: str | None = Field(default=None, max_length=32, description="任务清单领域代码")


class CategoryOut(CategoryIn):
    model_config = ConfigDict(from_attributes=True)

    code: str


class ResolveIn(BaseModel):
    unit_code: str | None = Field(
        default=None,
        max_length=32,
        description="本平台的单位代码：把平台的承办单位代码映射过来；工单尚无承办单位时即派单",
    )
    category: CategoryIn | None = Field(default=None, description="登记平台的新分类")
    category_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="待分类工单：归入一个已登记的分类（分类代码）",
    )


class ResolveOut(BaseModel):
    order: WorkOrderOut
    released: list[str] = Field(description="因同一映射一并放行（重放）的工单号")


class UnitMappingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_code: str
    unit_code: str
    mapped_by: str
    mapped_at: datetime
