"""A supervision's official document (公文, GB/T 9704-2012), from its render input: the 督办通知
(督办单) sent to the supervised unit — first or second supervision — and the 问责建议 the office
sends to the accountability body once it holds the unit accountable.

A 督办通知 states the facts, what the unit must do by when (rectify by the 整改期限 and reply in
writing before it, through the platform's 督办回复) and what follows if it does not; a second one
cites the first by its 文号. A 问责建议 gives the history (the 督办通知 issued, by 文号), the
facts, the office's reason and the proposal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.reform_tasks.document.model import (
    Block,
    OfficialDocument,
    Paragraph,
    addressee_line,
    chinese_date,
    level_one,
    sentence,
)
from shared.office_files import xml_clean_tree

NEXT_STEP = {"first": "二次督办", "second": "提请问责"}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _subject(d: dict[str, Any]) -> str:
    """What is supervised, with its plan: the milestone's planned date, or the problem."""
    planned = _day(d.get("milestone_planned_on"))
    if d.get("milestone_name") and d.get("task_number") is not None:
        plan = f"，计划于{chinese_date(planned)}完成" if planned else ""
        return (
            f"按照改革任务作战图，{d['unit_name']}牵头的第{d['task_number']}项任务"
            f"“{d.get('task_title') or ''}”的时间节点“{d['milestone_name']}”{plan}。"
        )
    if d.get("problem_number") is not None:
        return (
            f"{d['unit_name']}负责整改的第{d['problem_number']}号问题"
            f"“{d.get('problem_title') or ''}”应按要求整改到位。"
        )
    return f"{d['unit_name']}负责推进的{d['subject_label']}应按期完成。"


def _supervision_body(d: dict[str, Any]) -> list[Block]:
    """督办通知: facts; for a second one, the first cited; the requirement and the deadline."""
    second = d["level"] == "second"
    body: list[Block] = [Paragraph(f"{_subject(d)}经核查，{sentence(d['reason'])}")]
    if second and d.get("parent_number"):
        body.append(
            Paragraph(
                f"我办已就该事项下发督办通知（{d['parent_number']}），截至目前仍未按要求完成"
                "整改。现予以二次督办。"
            )
        )
    due = _day(d.get("due_on"))
    deadline = f"于{chinese_date(due)}前" if due else "立即"
    reply = f"在{chinese_date(due)}前" if due else "在整改完成后"
    body.append(
        Paragraph(
            f"请你单位高度重视，逐项查找原因，{deadline}完成整改，并{reply}通过平台“督办回复”"
            "书面报告整改情况（整改措施、完成情况及佐证材料）。"
            f"逾期未完成整改的，我办将按规定{NEXT_STEP[d['level']]}。"
        )
    )
    return body


def _accountability_body(d: dict[str, Any]) -> list[Block]:
    """问责建议: the history, the facts, the office's reason, the proposal."""
    history = [h for h in d.get("history") or [] if h.get("document_number")]
    if history:
        issued = "；".join(
            f"{chinese_date(date.fromisoformat(h['issued_on']))}下发{h['level_label']}通知"
            f"（{h['document_number']}）"
            for h in history
        )
    elif d.get("parent_number"):
        issued = f"我办已先后对该事项进行督办、二次督办（{d['parent_number']}）"
    else:
        issued = "我办已对该事项进行督办、二次督办"
    body: list[Block] = [
        Paragraph(f"{_subject(d)}经核查，{sentence(d['reason'])}"),
        level_one(0, "督办情况"),
        Paragraph(f"{issued}，{d['unit_name']}逾期仍未完成整改。"),
    ]
    reason = d.get("decision_reason")
    if reason:
        body.extend([level_one(1, "问责理由"), Paragraph(sentence(reason))])
    body.extend(
        [
            level_one(2 if reason else 1, "问责建议"),
            Paragraph(
                f"建议按照干部管理权限，对{d['unit_name']}负有责任的领导和有关人员予以问责，"
                "并将处理结果函告我办。"
            ),
        ]
    )
    return body


def supervision_title(d: dict[str, Any]) -> str:
    """督办通知: 关于督促…加快推进…的（二次）督办通知; 问责建议: 关于对…有关责任人予以问责的建议."""
    if d["level"] == "accountability":
        return f"关于对{d['unit_name']}有关责任人予以问责的建议"
    kind = "二次督办通知" if d["level"] == "second" else "督办通知"
    return f"关于督促{d['unit_name']}加快推进{d['subject_label']}的{kind}"


def supervision_document(d: dict[str, Any]) -> OfficialDocument:
    """The supervision's render input as an OfficialDocument."""
    d = xml_clean_tree(d)
    issued_on = date.fromisoformat(d["issued_on"])
    created = (
        datetime.fromisoformat(d["created_at"])
        if d.get("created_at")
        else datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=UTC)
    )
    accountability = d["level"] == "accountability"
    return OfficialDocument(
        issuer=d["issuer"],
        number=d["document_number"],
        title=supervision_title(d),
        body=_accountability_body(d) if accountability else _supervision_body(d),
        signed_on=issued_on,
        created=created,
        addressee=addressee_line(d.get("addressee")),
        copy_to=d.get("copy_to") or "",
    )
