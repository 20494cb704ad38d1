"""A report as an official document (公文, GB/T 9704-2012): the monthly dispatch report (月度调度)
and the quarterly notice (季度通报), full or public edition, from the render input
(`report.service.render_input`).

The body is the office's free text (主送机关, opening, 存在的问题及原因, 下一步工作要求, 典型案例)
around a few sentences from the snapshot's numbers; the tables go to 附件, one per group of
`layout.py` sections, each named in the 附件说明 and referred to from the text (“详见附件2”). The
public edition of a quarterly notice (公开版) is what may be published: the opening, 总体情况,
the praised units, typical cases and requirements; no scores, rankings, named units, internal
tables or 抄送 list. Internal metadata (when the snapshot was taken, the rule-set version) is
never printed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from services.reform_tasks.document.model import (
    Attachment,
    Block,
    OfficialDocument,
    Paragraph,
    Table,
    addressee_line,
    level_one,
    text_blocks,
)
from services.reform_tasks.report.layout import (
    Section,
    chinese_date,
    percent,
    sections,
    summary_text,
    text,
)
from services.reform_tasks.report.layout import Table as LayoutTable
from shared.office_files import xml_clean_tree

PUBLICITY_NOTES = {
    "public": "（此件主动公开）",
    "on_request": "（此件依申请公开）",
    "not_public": "（此件不予公开）",
}
PREVIEW_NOTES = {
    "draft": "（草稿，未发布）",
    "reviewed": "（已核稿，待签发）",
    "superseded": "（已被新版本取代）",
}
# 附件 of each kind: key, title, and the layout sections whose tables it holds, in order.
ATTACHMENTS: dict[str, list[tuple[str, str, list[str]]]] = {
    "monthly_dispatch": [
        ("domains", "各领域改革任务推进情况", ["分领域推进情况"]),
        ("units", "各牵头单位改革任务推进情况", ["分牵头单位推进情况"]),
        ("behind", "滞后及严重滞后任务清单", ["滞后任务清单"]),
        ("facts", "任务销号、延期审批和督办情况", ["任务销号情况", "延期审批情况", "督办情况"]),
        ("scores", "评价得分与排名", ["评价得分与排名"]),
        ("hotline", "12345热线办理情况", ["12345热线办理情况"]),
        ("hotline_board", "12345热线红黑榜", ["12345热线红黑榜"]),
        ("hotline_returns", "12345热线退单情况", ["12345热线退单情况"]),
    ],
    "quarterly_notice": [
        ("notice", "通报表扬和通报批评单位得分情况", ["通报表扬", "通报批评"]),
        ("scores", "评价得分与排名", ["评价得分与排名"]),
        ("domains", "各领域改革任务推进情况", ["分领域推进情况"]),
        ("units", "各牵头单位改革任务推进情况", ["分牵头单位推进情况"]),
        ("hotline", "12345热线办理情况", ["12345热线办理情况"]),
        ("hotline_board", "12345热线红黑榜", ["12345热线红黑榜"]),
        ("accountability", "升级至问责的督办事项", ["问责情况"]),
        ("submissions", "逾期报送及未报送季度工作报告的单位", ["季度工作报告报送情况"]),
    ],
}
TITLES = {key: title for kind in ATTACHMENTS.values() for key, title, _ in kind}
# Attachments the 总体情况 points to (the others are referred to where their subject is).
OVERVIEW_REFERENCES = {
    "monthly_dispatch": ["facts", "scores", "hotline", "hotline_board", "hotline_returns"],
    "quarterly_notice": ["scores", "domains", "units", "hotline", "hotline_board"],
}
NAMED_TASKS = 5  # lagging tasks named in the text; the attachment lists them all

# An attachment's name by its key (“附件2”; “附件” when there is one), "" if it has none.
Refer = Callable[[str], str]


def _see(name: str) -> str:
    return f"（详见{name}）" if name else ""


def _table(table: LayoutTable, titled: bool) -> Table:
    """A layout table as printed: rates as percentages, missing values as “—”."""
    rows = [
        [percent(v) if i in table.percent_columns else text(v) for i, v in enumerate(row)]
        for row in table.rows
    ]
    return Table(table.caption if titled else "", list(table.columns), rows)


def _attachments(
    report: dict[str, Any], by_heading: dict[str, Section]
) -> list[tuple[str, Attachment]]:
    """The kind's attachments that have rows to show (an empty table is said in the text)."""
    attachments = []
    for key, title, headings in ATTACHMENTS[report["kind"]]:
        tables = [
            table
            for heading in headings
            if heading in by_heading
            for table in by_heading[heading].tables
            if table.rows
        ]
        if tables:
            blocks: list[Block] = [_table(t, titled=len(tables) > 1) for t in tables]
            attachments.append((key, Attachment(title, blocks)))
    return attachments


def _names(
    rows: list[dict[str, Any]], limit: int, describe: Callable[[dict[str, Any]], str]
) -> str:
    """The first `limit` rows described, joined with 、 (“…等” when there are more)."""
    named = "、".join(describe(row) for row in rows[:limit])
    return f"{named}等" if len(rows) > limit else named


def _behind_count(row: dict[str, Any]) -> str:
    parts = [
        f"{label}{row[key]}项"
        for key, label in (("seriously_lagging", "严重滞后"), ("lagging", "滞后"))
        if row[key]
    ]
    return f"{row['name']}（{'、'.join(parts)}）"


def _progress(data: dict[str, Any], refer: Refer) -> list[Block]:
    """推进情况 (monthly): by domain and by lead unit in a sentence each, the lagging tasks
    named, the tables referred to."""

    def order(row: dict[str, Any]) -> tuple[int, int]:
        return -row["seriously_lagging"], -row["lagging"]

    domains = sorted(
        (r for r in data["by_domain"] if r["lagging"] or r["seriously_lagging"]), key=order
    )
    units = sorted(
        (r for r in data["by_unit"] if r["lagging"] or r["seriously_lagging"]), key=order
    )
    total_domains, total_units = len(data["by_domain"]), len(data["by_unit"])
    by_domain = (
        f"从领域看，{total_domains}个领域中，{len(domains)}个领域有滞后任务，其中"
        f"{_names(domains, 3, _behind_count)}滞后任务较多"
        if domains
        else f"从领域看，{total_domains}个领域均无滞后任务"
    )
    by_unit = (
        f"从牵头单位看，{total_units}家牵头单位中，{len(units)}家有滞后任务，其中"
        f"{_names(units, 5, _behind_count)}滞后任务较多"
        if units
        else f"从牵头单位看，{total_units}家牵头单位均无滞后任务"
    )
    behind = data["behind"]
    serious = sum(r["status"] == "seriously_lagging" for r in behind)
    tasks = (
        f"滞后及严重滞后任务共{len(behind)}项（其中严重滞后{serious}项）："
        + _names(
            behind,
            NAMED_TASKS,
            lambda r: f"第{r['number']}项“{r['title']}”（{r['lead_unit']}，{r['status_label']}）",
        )
        + f"{_see(refer('behind'))}。"
        if behind
        else "本期无滞后任务。"
    )
    return [
        Paragraph(f"{by_domain}{_see(refer('domains'))}。"),
        Paragraph(f"{by_unit}{_see(refer('units'))}。"),
        Paragraph(tasks),
    ]


def _overview(data: dict[str, Any], kind: str, refer: Refer) -> list[Block]:
    """总体情况: the snapshot's totals in a sentence, then where the detail tables are."""
    paragraphs: list[Block] = [Paragraph(summary_text(data, kind == "monthly_dispatch"))]
    details = [f"{TITLES[key]}详见{refer(key)}" for key in OVERVIEW_REFERENCES[kind] if refer(key)]
    if details:
        paragraphs.append(Paragraph("，".join(details) + "。"))
    return paragraphs


def _accountability(data: dict[str, Any], refer: Refer) -> list[Block]:
    """问责情况: the supervisions that ended in a decided 问责, by unit and subject."""
    rows = data.get("accountability") or []
    if not rows:
        return [Paragraph("本季度无升级至问责的督办事项。")]
    listed = "；".join(f"{r['unit']}（{r['subject']}）" for r in rows)
    return [
        Paragraph(
            f"本季度经督办、二次督办仍未完成整改，升级至问责的事项{len(rows)}件：{listed}"
            f"{_see(refer('accountability'))}。"
        )
    ]


def _cases(data: dict[str, Any], public: bool) -> list[Block]:
    """典型案例 from the register, one paragraph each (the public edition: the public cases
    only): what happened, how it was handled, and the 一案双查 results where they apply."""
    cases = [c for c in data.get("cases") or [] if c["public"] or not public]
    blocks: list[Block] = []
    for index, case in enumerate(cases, start=1):
        handled = f"处理情况：{case['handling']}" if case["handling"] else ""
        checks = [
            f"对直接责任人：{case['people_accountability']}"
            if case["people_accountability"]
            else "",
            f"对{case['unit']}：{case['unit_accountability']}"
            if case["unit_accountability"]
            else "",
        ]
        double = "；".join(c for c in checks if c)
        blocks.append(
            Paragraph(
                f"{case['unit']}：{case['facts']}{handled}"
                + (f"“一案双查”：{double}。" if double else ""),
                lead=f"（{_chinese_number(index)}）{case['title']}。",
            )
        )
    return blocks


def _chinese_number(number: int) -> str:
    digits = "一二三四五六七八九"
    if number < 10:
        return digits[number - 1]
    tens, ones = divmod(number, 10)
    return f"{digits[tens - 1] if tens > 1 else ''}十{digits[ones - 1] if ones else ''}"


def _submissions(data: dict[str, Any], refer: Refer) -> list[Block]:
    """季度工作报告报送情况: how many reported on time, the late and the missing named."""
    standing = data.get("submissions")
    if standing is None:
        return []
    late, missing = standing["late"], standing["missing"]
    text = (
        f"本季度应报送季度工作报告的单位{standing['expected']}家，"
        f"于{chinese_date(standing['due_on'])}前按时报送{standing['on_time']}家"
    )
    if late:
        text += f"；逾期报送{len(late)}家：{'、'.join(r['unit'] for r in late)}"
    if missing:
        text += f"；未报送{len(missing)}家：{'、'.join(r['unit'] for r in missing)}"
    return [Paragraph(f"{text}{_see(refer('submissions'))}。")]


def _notice(
    data: dict[str, Any], by_heading: dict[str, Section], refer: Refer, public: bool
) -> list[tuple[str, list[Block]]]:
    """通报表扬 and 通报批评 of a quarterly notice, group by group (the public edition: praise
    only)."""
    praised: list[Block] = [Paragraph(line) for line in by_heading["通报表扬"].paragraphs]
    parts = [("通报表扬", [*praised, Paragraph("对以上单位予以通报表扬。")])]
    if not public:
        named: list[Block] = [Paragraph(line) for line in by_heading["通报批评"].paragraphs]
        closing = "对以上单位予以通报批评。"
        if refer("notice"):
            closing += f"各单位得分情况详见{refer('notice')}。"
        parts.append(("通报批评", [*named, Paragraph(closing)]))
    return parts


def _body(report: dict[str, Any], by_heading: dict[str, Section], refer: Refer) -> list[Block]:
    """The text in reading order: the opening, then numbered parts (一、二、…), empty ones left
    out."""
    data, editable = report["data"], report.get("editable") or {}
    monthly = report["kind"] == "monthly_dispatch"
    public = _public(report)
    parts: list[tuple[str, list[Block]]] = [("总体情况", _overview(data, report["kind"], refer))]
    if monthly:
        parts.append(("各领域和牵头单位推进情况", _progress(data, refer)))
    else:
        parts.extend(_notice(data, by_heading, refer, public))
        parts.append(
            ("典型案例", [*_cases(data, public), *text_blocks(editable.get("typical_cases"))])
        )
        if not public:
            parts.append(("问责情况", _accountability(data, refer)))
            parts.append(("季度工作报告报送情况", _submissions(data, refer)))
    if not public:
        parts.append(("存在的问题及原因", text_blocks(editable.get("problems"))))
    parts.append(("下一步工作要求", text_blocks(editable.get("requirements"))))
    body = text_blocks(editable.get("foreword"))
    numbered = [(heading, blocks) for heading, blocks in parts if blocks]
    for index, (heading, blocks) in enumerate(numbered):
        body.extend([level_one(index, heading), *blocks])
    return body


def _public(report: dict[str, Any]) -> bool:
    return report.get("edition") == "public" and report["kind"] == "quarterly_notice"


def _created(report: dict[str, Any], signed_on: date) -> datetime:
    created = report.get("created_at")
    if created:
        return datetime.fromisoformat(created)
    return datetime(signed_on.year, signed_on.month, signed_on.day, tzinfo=UTC)


def report_document(report: dict[str, Any]) -> OfficialDocument:
    """The report (render input) as an OfficialDocument. An unsigned draft (no
    `document_number`) prints its 代字 and year with the number left blank."""
    report = xml_clean_tree(report)
    data, editable = report["data"], report.get("editable") or {}
    public = _public(report)
    by_heading = {section.heading: section for section in sections(report)}
    attachments = [] if public else _attachments(report, by_heading)
    numbers = {key: index + 1 for index, (key, _) in enumerate(attachments)}

    def refer(key: str) -> str:
        if key not in numbers:
            return ""
        return f"附件{numbers[key]}" if len(numbers) > 1 else "附件"

    signed_on = date.fromisoformat(report.get("signed_on") or data["issued_on"])
    number = report.get("document_number") or (
        f"{report.get('document_word', '')}〔{signed_on.year}〕\u3000号"
    )
    return OfficialDocument(
        issuer=data["issuer"],
        number=number,
        title=report["title"],
        body=_body(report, by_heading, refer),
        signed_on=signed_on,
        created=_created(report, signed_on),
        addressee=addressee_line(editable.get("addressee")),
        attachments=[attachment for _, attachment in attachments],
        note=PUBLICITY_NOTES.get(report.get("publicity") or "", ""),
        copy_to="" if public else (editable.get("copy_to") or ""),
        preview_note=PREVIEW_NOTES.get(report.get("status") or "", ""),
    )
