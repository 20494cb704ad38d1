from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shared.errors import FieldError


class CreatedTask(BaseModel):
    number: int
    title: str


class ChangedTask(BaseModel):
    number: int
    title: str
    fields: dict[str, list[Any]] = Field(
        description="字段 → [原值, 新值]；领域、单位以代码表示，时间节点为 [[日期, 内容], …]"
    )
    columns: list[str] = Field(description="变化的列（表格中的中文列名），供界面显示")


class ImportPreview(BaseModel):
    dry_run: bool = Field(description="true：仅预览，未写入任何数据")
    created: list[CreatedTask] = Field(description="将新增（或已新增）的任务")
    changed: list[ChangedTask] = Field(description="将修改（或已修改）的任务及其变化")
    unchanged: int = Field(description="文件中与现有数据一致的任务数")
    errors: list[FieldError] = Field(
        default_factory=list,
        description="总是为空：有任何错误时返回 422，errors 的 loc 为 [工作表, 行号, 列名]",
    )
