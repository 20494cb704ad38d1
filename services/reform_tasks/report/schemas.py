from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.models import Publicity, ReportKind, ReportStatus
from shared.validation import Text

# The parts of a report the office writes before signing it off (the numbers are the snapshot's):
# 主送机关, the opening, (典型案例,) problems and causes, next-step requirements, 抄送机关.
EDITABLE_FIELDS = {
    ReportKind.monthly_dispatch: ("addressee", "foreword", "problems", "requirements", "copy_to"),
    ReportKind.quarterly_notice: (
        "addressee",
        "foreword",
        "typical_cases",
        "problems",
        "requirements",
        "copy_to",
    ),
}


class ReportIn(BaseModel):
    kind: ReportKind
    period: str = Field(description="月度调度：2026-10；季度通报：2026-Q3", max_length=16)
    programme: str | None = Field(default=None, description="改革工程代码（默认最新）")
    if_absent: bool = Field(
        default=False,
        description="已有覆盖整个期次的版本时不再生成，返回该版本（调度器补跑时使用）",
    )


class ReportEdit(BaseModel):
    editable: dict[str, Text] = Field(description="可编辑的文字部分：foreword / typical_cases / …")


class SignOffIn(BaseModel):
    publicity: Publicity = Field(
        description="公开属性：public 主动公开 / on_request 依申请公开 / not_public 不予公开"
    )
    public_edition: bool = Field(
        default=False, description="同时生成公开版（不含内部得分；仅季度通报）"
    )


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
    reviewed_by: str | None = Field(description="核稿人")
    reviewed_at: datetime | None
    signed_by: str | None = Field(description="签发人")
    signed_at: datetime | None = Field(description="签发（即发布）时间")
    published_at: datetime | None
    document_number: str | None = Field(description="文号，签发时编号")
    publicity: Publicity | None
    has_pdf: bool = Field(description="已存有签发时生成的 PDF")
    has_public_edition: bool
    supersedes_id: int | None = Field(description="本版更正的已签发版本")
    superseded_by_id: int | None = Field(description="更正本版的新版本")
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
