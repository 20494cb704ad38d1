from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.models import ReportKind, ReportStatus
from shared.validation import Text

# Free-text parts of a quarterly notice the office writes before publishing.
NOTICE_EDITABLE_FIELDS = ("foreword", "typical_cases", "requirements")


class ReportIn(BaseModel):
    kind: ReportKind
    period: str = Field(description="月度调度：2026-10；季度通报：2026-Q3", max_length=16)
    programme: str | None = Field(default=None, description="改革工程代码（默认最新）")
    if_absent: bool = Field(
        default=False,
        description="已有覆盖整个期次的版本时不再生成，返回该版本（调度器补跑时使用）",
    )
    publish: bool = Field(default=False, description="生成后立即发布并分发到各单位收件箱")


class ReportEdit(BaseModel):
    editable: dict[str, Text] = Field(description="可编辑的文字部分：foreword / typical_cases / …")


class ReportOut(BaseModel):
    id: int
    programme: str
    kind: ReportKind
    period: str
    version: int
    status: ReportStatus
    title: str
    as_of: datetime = Field(description="数据截至时间")
    rule_set_version: int | None
    generated_at: datetime
    published_at: datetime | None
    read_count: int = Field(description="已阅单位数")
    unit_count: int = Field(description="已分发单位数")


class ReportDetail(ReportOut):
    editable: dict[str, str]
    data: dict[str, Any] = Field(description="快照：生成时的全部数字")


class Receipt(BaseModel):
    unit_code: str
    unit_name: str
    delivered_at: datetime
    read_at: datetime | None
