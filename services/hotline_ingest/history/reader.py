"""Reading a year of historical work orders from the hotline platform's export (xlsx or CSV):
one row per order, columns named in Chinese (as the platform exports them) or English.
Each row becomes the events the platform would have pushed: created, then accepted, replied,
closed and visited when their times are filled in."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError

from services.hotline_ingest.webhook.schemas import EVENT_MODELS
from shared.clock import SHANGHAI
from shared.errors import field_errors_from_pydantic

# column → canonical field; Chinese headers first (the platform's export), English accepted.
COLUMNS = {
    "工单号": "order_no",
    "渠道": "channel",
    "诉求类型": "kind",
    "标题": "title",
    "诉求内容": "content",
    "内容": "content",
    "受理时间": "received_at",
    "区县代码": "district_code",
    "企业名称": "enterprise_name",
    "统一社会信用代码": "credit_code",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "分类代码": "category_code",
    "承办单位代码": "handling_unit_code",
    "办理期限": "due_at",
    "签收时间": "accepted_at",
    "答复时间": "replied_at",
    "答复内容": "reply",
    "办结时间": "closed_at",
    "回访时间": "visited_at",
    "满意度": "satisfaction",
    "是否解决": "resolved",
}
VALUES: dict[str, dict[str, Any]] = {
    "channel": {"电话": "phone", "网站": "web", "微信": "wechat", "APP": "app", "app": "app"},
    "kind": {
        "咨询": "consult",
        "投诉": "complaint",
        "求助": "help",
        "建议": "suggestion",
        "举报": "report",
    },
    "satisfaction": {
        "满意": "satisfied",
        "基本满意": "basically_satisfied",
        "不满意": "dissatisfied",
    },
    "resolved": {"是": True, "否": False, "已解决": True, "未解决": False},
}
REQUIRED = ("order_no", "received_at")


@dataclass
class Row:
    number: int  # spreadsheet row number (header is row 1)
    events: list[tuple[str, BaseModel]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _moment(value: Any) -> datetime | None:
    """A cell as an aware instant; naive times are Asia/Shanghai (the platform's local time)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    else:
        moment = datetime.fromisoformat(str(value).strip().replace("/", "-"))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows as {canonical field: cell}. Blocking file I/O: call it off the event loop."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
    else:
        text = path.read_bytes().decode("utf-8-sig")
        rows = [tuple(r) for r in csv.reader(io.StringIO(text))]
    if not rows:
        return []
    header = [COLUMNS.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


# Cells holding a moment (naive ones are Asia/Shanghai).
MOMENTS = ("received_at", "due_at", "accepted_at", "replied_at", "closed_at", "visited_at")


def to_row(number: int, cells: dict[str, Any], due: Callable[[datetime, str], datetime]) -> Row:
    """One row as validated events; `due(received_at, kind)` fills a missing 办理期限."""
    row = Row(number)
    values = _field_values(cells, row.errors)
    if all(values.get(k) is None for k in COLUMNS.values()):
        return row  # an empty line
    row.errors.extend(_missing_required(values, row.errors))
    if row.errors:
        return row
    if values.get("due_at") is None and values.get("kind"):
        values["due_at"] = due(values["received_at"], values["kind"])
    for event_type, data in _event_drafts(values):
        _add_event(row, event_type, {**data, "order_no": values["order_no"]})
    return row


def _field_values(cells: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The cells as the events' values: moments as aware instants, the platform's words
    (渠道, 诉求类型, 满意度, 是否解决) as ours, other text trimmed. An unreadable moment is an
    error and no value."""
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        if name in MOMENTS:
            try:
                values[name] = _moment(cell)
            except ValueError:
                errors.append(f"{name}: 时间格式不正确（{cell}）")
        elif name in VALUES and _text(cell) is not None:
            mapping: dict[str, Any] = VALUES[name]
            values[name] = mapping.get(str(cell).strip(), str(cell).strip())
        else:
            values[name] = _text(cell)
    return values


def _missing_required(values: dict[str, Any], errors: list[str]) -> list[str]:
    """A required field that is empty, unless its cell was already reported unreadable."""
    return [
        f"{name}: 缺少必填字段"
        for name in REQUIRED
        if values.get(name) is None and not any(e.startswith(f"{name}:") for e in errors)
    ]


def _event_drafts(values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The events the platform would have pushed: created at receipt, then each step whose
    time is filled in."""
    drafts: list[tuple[str, dict[str, Any]]] = [
        ("work_order.created", {**values, "occurred_at": values["received_at"]}),
    ]
    if values.get("accepted_at"):
        drafts.append(("work_order.accepted", {"occurred_at": values["accepted_at"]}))
    if values.get("replied_at"):
        reply = values.get("reply") or "已答复（历史导入）"
        drafts.append(("work_order.replied", {"occurred_at": values["replied_at"], "reply": reply}))
    if values.get("closed_at"):
        drafts.append(("work_order.closed", {"occurred_at": values["closed_at"]}))
    if values.get("visited_at"):
        drafts.append(
            (
                "work_order.visited",
                {
                    "occurred_at": values["visited_at"],
                    "satisfaction": values.get("satisfaction"),
                    "resolved": values.get("resolved"),
                },
            )
        )
    return drafts


def _add_event(row: Row, event_type: str, data: dict[str, Any]) -> None:
    """The event validated as the webhook validates it; its errors, by field, otherwise."""
    try:
        model = EVENT_MODELS[event_type].model_validate(data)
    except ValidationError as exc:
        for error in field_errors_from_pydantic(exc.errors(include_url=False)):
            where = ".".join(str(p) for p in error.loc)
            row.errors.append(f"{where}: {error.msg}")
        return
    row.events.append((event_type, model))
