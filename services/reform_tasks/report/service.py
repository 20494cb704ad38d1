"""Reports and notices: the monthly dispatch report (月度调度) and the quarterly notice (季度通报).

Seed 001_643c54550577dac0.txt: each month the office dispatches progress against the battle map;
each quarter it notifies the city, praising the best and naming the worst.
Seed 002_c95ffdd180ea7e81.txt: monthly dispatch, a notice of typical cases at least each quarter,
supervision up to accountability. (Seed 004_1871f105e1d7927d.txt's monthly notice, 月通报, is on how
departments carry out their regulatory duties, 监管, not on 督办.) docs/RULES.md: "Each month a
dispatch report, each quarter a notice, for every past period, once", "Each quarter the best are
praised and the worst named", "The notice names supervisions that ended in a decided 问责".

A report is generated as a snapshot of numbers as of the period's end (or now, for a period still
running): reform_tasks' own tables, plus scores, rankings and the hotline rates the scores
counted, from evaluation over HTTP (and, for a monthly report, the 12345 returns per unit from
the hotline). The snapshot never changes; generating again adds a version.
Issue #20: a report is an official document (公文). The office edits its free-text parts while it
is a draft, office staff review it (核稿), the office's leader signs it off (签发): it is numbered,
rendered and stored (`document.service.issue`) and delivered to every unit. A signed report never
changes; a correction is a later version signed in turn, which supersedes it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.battle_map.service import battle_map
from services.reform_tasks.case import service as case_service
from services.reform_tasks.document import service as documents
from services.reform_tasks.document.pdf import docx_to_pdf
from services.reform_tasks.document.service import Edition
from services.reform_tasks.message.service import notify
from services.reform_tasks.report.docx import render_docx
from services.reform_tasks.report.repository import ReportRepository, Signed, delivery_key
from services.reform_tasks.report.schemas import (
    EDITABLE_FIELDS,
    Receipt,
    ReportDetail,
    ReportEdit,
    ReportIn,
    ReportOut,
    SignOffIn,
)
from services.reform_tasks.report.sources import Sources
from services.reform_tasks.submission import service as submission_service
from services.reform_tasks.supervision.repository import SupervisionRepository
from services.reform_tasks.supervision.service import LEVEL_LABELS
from shared import audit
from shared.auth import Principal
from shared.clock import SHANGHAI, now_utc, today_shanghai
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.milestone_status import MilestoneStatus, end_of_day
from shared.models import (
    DocumentKind,
    Programme,
    Report,
    ReportKind,
    ReportStatus,
    SupervisionLevel,
    SupervisionStatus,
)
from shared.pagination import Page, PageParams
from shared.periods import Period, parse_period
from shared.settings import get_settings

PERIOD_KIND = {ReportKind.monthly_dispatch: "month", ReportKind.quarterly_notice: "quarter"}
KIND_LABELS = {ReportKind.monthly_dispatch: "月度调度", ReportKind.quarterly_notice: "季度通报"}
QUARTER_NAMES = {"Q1": "一", "Q2": "二", "Q3": "三", "Q4": "四"}
# Task status on the battle map → the four columns of the dispatch tables.
BUCKETS = {
    MilestoneStatus.done: "done",
    MilestoneStatus.done_late: "done",
    MilestoneStatus.on_track: "on_track",
    MilestoneStatus.not_due: "on_track",
    MilestoneStatus.lagging: "lagging",
    MilestoneStatus.seriously_lagging: "seriously_lagging",
}
BUCKET_LABELS = {
    "done": "已完成",
    "on_track": "按期推进",
    "lagging": "滞后",
    "seriously_lagging": "严重滞后",
}


def report_period(kind: ReportKind, text: str) -> Period:
    try:
        period = parse_period(text)
    except ValueError as exc:
        raise _invalid_period(str(exc)) from exc
    if period.kind != PERIOD_KIND[kind]:
        example = "2026-10" if kind is ReportKind.monthly_dispatch else "2026-Q3"
        raise _invalid_period(f"{KIND_LABELS[kind]}的期次应为 {example} 这样的格式")
    return period


def _invalid_period(message: str) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[FieldError(loc=["body", "period"], msg=message, type="value")]
    )


def title_of(kind: ReportKind, period: Period) -> str:
    """The title in the “关于……的通报” form (GB/T 9704: 发文机关 is in the 版头, not repeated)."""
    year = period.start.year
    if kind is ReportKind.monthly_dispatch:
        return f"关于{year}年{period.start.month}月全市营商环境改革任务调度情况的通报"
    return f"关于{year}年第{QUARTER_NAMES[period.id[5:]]}季度全市营商环境改革工作情况的通报"


def _status_rows(counters: dict[str, Counter[str]], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": names[code],
            "tasks": sum(counter.values()),
            **{bucket: counter[bucket] for bucket in BUCKET_LABELS},
        }
        for code, counter in counters.items()
    ]


async def _progress(
    session: AsyncSession, principal: Principal, programme: Programme, as_of: date
) -> dict[str, Any]:
    """Task counts by status per domain and per lead unit, from the battle map as of `as_of`."""
    board = await battle_map(session, principal, programme, as_of)
    by_domain: dict[str, Counter[str]] = {}
    by_unit: dict[str, Counter[str]] = {}
    domain_names: dict[str, str] = {}
    unit_names: dict[str, str] = {}
    totals: Counter[str] = Counter()
    behind = []
    for task in board.tasks:
        bucket = BUCKETS[task.task_status]
        by_domain.setdefault(task.domain, Counter())[bucket] += 1
        by_unit.setdefault(task.lead_unit.code, Counter())[bucket] += 1
        domain_names[task.domain] = task.domain_name
        unit_names[task.lead_unit.code] = task.lead_unit.short_name
        totals[bucket] += 1
        if bucket in ("lagging", "seriously_lagging"):
            behind.append(
                {
                    "number": task.number,
                    "title": task.title,
                    "lead_unit": task.lead_unit.short_name,
                    "status": bucket,
                    "status_label": BUCKET_LABELS[bucket],
                }
            )
    unit_rows = _status_rows(by_unit, unit_names)
    unit_rows.sort(key=lambda r: (-r["seriously_lagging"], -r["lagging"], r["code"]))
    return {
        "totals": {"tasks": len(board.tasks), **{b: totals[b] for b in BUCKET_LABELS}},
        "by_domain": _status_rows(by_domain, domain_names),
        "by_unit": unit_rows,
        "behind": sorted(behind, key=lambda r: (r["status"] != "seriously_lagging", r["number"])),
    }


async def _period_facts(
    session: AsyncSession, programme: Programme, period: Period, as_of: date
) -> dict[str, Any]:
    """Close-outs, completed milestones, extensions and supervisions within the period (up to
    `as_of` for a period still running)."""
    repository = ReportRepository(session)
    since = end_of_day(period.start - timedelta(days=1))
    until = end_of_day(as_of)
    supervisions = await repository.supervisions_issued(programme.id, period.start, as_of)
    subjects = await SupervisionRepository(session).subjects(s.id for s, _, _ in supervisions)
    supervision_rows = [
        {
            "unit": short_name,
            "unit_code": code,
            "level": s.level.value,
            "level_label": LEVEL_LABELS[s.level],
            "status": s.status.value,
            "subject": subjects[s.id].label,
            "reason": s.reason,
            "issued_on": s.issued_on.isoformat(),
            "due_on": s.due_on.isoformat() if s.due_on else None,
        }
        for s, short_name, code in supervisions
    ]
    levels = Counter(s.level for s, _, _ in supervisions)
    return {
        "close_outs": [
            {"number": n, "title": t, "lead_unit": u, "closed_out_on": d.isoformat()}
            for n, t, u, d in await repository.close_outs(programme.id, period.start, as_of)
        ],
        "milestones_completed": await repository.milestones_completed(
            programme.id, period.start, as_of
        ),
        "extensions": [
            {
                "task_number": t,
                "milestone": m,
                "unit": u,
                "from": f.isoformat(),
                "to": to.isoformat(),
                "decided_on": at.date().isoformat(),
            }
            for t, m, u, f, to, at in await repository.extensions_granted(
                programme.id, since, until
            )
        ],
        "supervisions": supervision_rows,
        "supervision_counts": {
            "issued": levels[SupervisionLevel.first],
            "escalated": levels[SupervisionLevel.second] + levels[SupervisionLevel.accountability],
            # 问责 counts once the office decided it (issue #19, fix 5); proposals wait.
            "accountability": sum(
                s.status is SupervisionStatus.held_accountable for s, _, _ in supervisions
            ),
            "proposed": sum(s.status is SupervisionStatus.proposed for s, _, _ in supervisions),
        },
    }


def _ranking_rows(ranking: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": item["rank"],
            "unit_code": item["unit_code"],
            "unit_name": item["unit_name"],
            "total": item["total"],
            "max_total": item["max_total"],
            "grade": item["grade"],
            "rank_change": item["rank_change"],
            "top": item["top"],
            "bottom": item["bottom"],
        }
        for item in ranking["items"]
    ]


async def _remote(
    sources: Sources, programme: Programme, period: Period, as_of: date
) -> dict[str, Any]:
    """Scores, rankings and the hotline's rates as the score counted them (evaluation) for the
    period."""
    scores = await sources.scores(programme.code, period.id, as_of)
    first = await sources.ranking(programme.code, period.id, None)  # the rule set's first group
    rankings = [
        first
        if group["key"] == first["group"]
        else await sources.ranking(programme.code, period.id, str(group["key"]))
        for group in first["groups"]
    ]
    versions = [int(s["rule_set_version"]) for s in scores if s.get("rule_set_version")]
    return {
        "rule_set_version": max(versions) if versions else None,
        "top_n": int(first["top_n"]),
        "bottom_n": int(first["bottom_n"]),
        "naming_margin": float(first["naming_margin"]),
        # One ranking per group of the rule set (office default: 市直部门, 区县,
        # 中央驻市单位及公用企业), in the rule set's order.
        "rankings": [
            {"group": r["group"], "name": r["group_name"], "rows": _ranking_rows(r)}
            for r in rankings
        ],
        "hotline": _hotline_rows(scores),
        # 12345 红黑榜 per ranking group (issue #26), in the rule set's order.
        "hotline_board": [
            {"group": b["group"], "name": b["group_name"], "rows": b["items"]}
            for b in [
                await sources.hotline_board(programme.code, period.id, str(g["key"]))
                for g in first["groups"]
            ]
        ],
    }


def _hotline_rows(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each unit's hotline rates exactly as its score counted them (shared.hotline_rates, under
    the rule set: orders by receipt day; consultations and the district an order came from as
    the rule set says), for the units any order counts for."""
    rows = []
    for score in sorted(scores, key=lambda s: str(s["unit_code"])):
        detail = next((c["detail"] for c in score["components"] if c["key"] == "hotline"), None)
        if not detail or not any(
            detail[k] for k in ("orders", "response_due", "visited", "closing_due")
        ):
            continue
        rows.append(
            {
                "unit_code": score["unit_code"],
                "unit_name": score["unit_name"],
                "orders": detail["orders"],
                "response_rate": detail["response_rate"],
                "resolution_rate": detail["resolution_rate"],
                "satisfaction_rate": detail["satisfaction_rate"],
                "on_time_closing_rate": detail["on_time_closing_rate"],
                "overdue": detail["overdue"],
            }
        )
    return rows


async def _hotline_returns(sources: Sources, period: Period) -> list[dict[str, Any]]:
    """12345 退单情况 (issue #26): per unit, the returns made in the month (by the day returned)
    and what the office decided on them by the time the report is generated — approved (改派),
    rejected, still pending. Units with no return are not listed."""
    return [
        {
            "unit_code": row["unit_code"],
            "unit_name": row["unit_name"],
            "returned": row["returned"],
            "approved": row["approved"],
            "rejected": row["rejected"],
            "pending": row["pending"],
        }
        for row in await sources.hotline_returns(period.id)
        if row["returned"]
    ]


def _notice_parts(data: dict[str, Any]) -> dict[str, Any]:
    """Seed 001_643c54550577dac0.txt: praise the best, name the worst, in each ranking group (who is
    praised or named is evaluation's call: whole tie groups, naming only well below the median).
    Seed 002_c95ffdd180ea7e81.txt: supervisions that ended in a decided 问责 are named too (a
    snapshot taken before the office decided accountability has no status: each escalated one
    counts). docs/RULES.md: "Each quarter the best are praised and the worst named", "The notice
    names supervisions that ended in a decided 问责"."""

    def pick(flag: str) -> list[dict[str, Any]]:
        worst_first = flag == "bottom"
        return [
            {
                **group,
                "rows": sorted(
                    (r for r in group["rows"] if r[flag]),
                    key=lambda r: -r["rank"] if worst_first else r["rank"],
                ),
            }
            for group in data["rankings"]
        ]

    return {
        "praised": pick("top"),
        "named": pick("bottom"),
        "accountability": [
            s
            for s in data["supervisions"]
            if s.get("status", "held_accountable") == "held_accountable"
            and s["level"] == "accountability"
        ],
    }


def _problems(data: dict[str, Any]) -> str:
    """A first draft of 存在的问题及原因 from the snapshot, for the office to rewrite."""
    totals = data["totals"]
    behind = totals["lagging"] + totals["seriously_lagging"]
    if not behind:
        return "各项改革任务均按作战图时间节点推进，未发现滞后任务。"
    units = Counter(r["lead_unit"] for r in data["behind"])
    named = "、".join(name for name, _ in units.most_common(5))
    return (
        f"一是部分任务推进滞后。{behind}项任务未按作战图时间节点完成，"
        f"其中严重滞后{totals['seriously_lagging']}项，主要集中在{named}等单位牵头的任务。\n"
        "二是部分单位统筹调度不够，对滞后节点的原因分析和整改措施不够具体。"
    )


def default_editable(kind: ReportKind, period: Period, data: dict[str, Any]) -> dict[str, str]:
    """A report starts with drafts of its free-text parts for the office to rewrite before it
    is signed off (the numbers stay the snapshot's)."""
    span = (
        f"{period.start.year}年{period.start.month}月"
        if kind is ReportKind.monthly_dispatch
        else f"{period.start.year}年第{QUARTER_NAMES[period.id[5:]]}季度"
    )
    editable = {
        "addressee": get_settings().document_addressee,
        "foreword": f"为推动全市优化营商环境各项改革任务落地见效，市优化营商环境工作领导小组办公室"
        f"对照改革任务作战图，对{span}各项改革任务推进情况进行了调度。现将有关情况通报如下。",
        "problems": _problems(data),
        "requirements": "（一）压实工作责任。各单位要对照作战图时间节点倒排工期，"
        "对滞后任务逐项分析原因、限期整改。\n"
        "（二）加强跟踪督办。被通报单位于下月10日前通过平台报送整改落实情况。",
        "copy_to": "",
    }
    if kind is ReportKind.quarterly_notice:
        cases = [
            f"{r['lead_unit']}牵头的第{r['number']}项任务“{r['title']}”于{r['closed_out_on']}销号。"
            for r in data["close_outs"][:5]
        ]
        # The registered cases are printed from the snapshot; this text adds to them.
        editable["typical_cases"] = (
            "" if data.get("cases") else "\n".join(cases) or "本季度典型案例由改革办补充。"
        )
    return editable


async def build_snapshot(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    kind: ReportKind,
    period: Period,
    as_of: date,
    sources: Sources,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "programme": {"code": programme.code, "name": programme.name},
        "period": {
            "id": period.id,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "as_of_date": as_of.isoformat(),
        "issuer": get_settings().document_issuer,
        "issued_on": today_shanghai().isoformat(),
        **await _progress(session, principal, programme, as_of),
        **await _period_facts(session, programme, period, as_of),
        **await _remote(sources, programme, period, as_of),
    }
    if kind is ReportKind.monthly_dispatch:
        data["hotline_returns"] = await _hotline_returns(sources, period)
    if kind is ReportKind.quarterly_notice:
        data.update(_notice_parts(data))
        data.update(await _filings(session, programme, period, as_of))
    return data


async def _filings(
    session: AsyncSession, programme: Programme, period: Period, as_of: date
) -> dict[str, Any]:
    """The quarterly notice's late and missing work reports (seed 003_fe0a5556b3029276.txt:
    "每季度末月25日前将工作开展情况报市创优营商环境组") and the quarter's typical cases (seed
    002_c95ffdd180ea7e81.txt: "每季度至少通报一次破坏营商环境的典型案例"). A quarter without a
    case is not refused — the scheduler drafts every quarter's notice — but the draft carries a
    warning for the office, who registers a case and generates the notice again before 签发
    (docs/RULES.md: "The quarterly notice includes at least one typical case of the quarter")."""
    cases = await case_service.cases_of_quarter(session, programme, period.id)
    warnings = []
    if not cases:
        warnings.append(
            f"{period.id} 尚未登记典型案例：每季度至少通报一次典型案例，"
            "请在“典型案例”中登记后重新生成本通报。"
        )
    return {
        # As of the day the notice is generated, not the quarter's end: a report that came in
        # after the quarter ended is late, not missing.
        "submissions": await submission_service.quarter_standing(
            session, programme, period, max(as_of, today_shanghai())
        ),
        "cases": cases,
        "warnings": warnings,
    }


def _out(report: Report, programme_code: str, counts: tuple[int, int], signed: Signed) -> ReportOut:
    return ReportOut(
        id=report.id,
        programme=programme_code,
        kind=report.kind,
        period=report.period,
        version=report.version,
        status=report.status,
        title=report.title,
        as_of=report.as_of,
        rule_set_version=report.rule_set_version,
        generated_at=report.generated_at,
        reviewed_by=report.reviewed_by,
        reviewed_at=report.reviewed_at,
        signed_by=report.published_by,
        signed_at=report.published_at,
        published_at=report.published_at,
        document_number=signed.document_number or _legacy_number(report),
        publicity=signed.publicity,
        has_pdf=signed.has_pdf,
        has_public_edition=signed.has_public_edition,
        supersedes_id=report.supersedes_id,
        superseded_by_id=signed.superseded_by_id,
        unit_count=counts[0],
        read_count=counts[1],
    )


def _legacy_number(report: Report) -> str | None:
    """Reports published before sign-off existed (migration 0025r) kept the 文号 their snapshot
    was generated with."""
    if report.document_id is None and report.status is not ReportStatus.draft:
        number = report.data.get("document_number")
        return str(number) if number else None
    return None


async def detail(session: AsyncSession, report: Report, programme_code: str) -> ReportDetail:
    repository = ReportRepository(session)
    counts = (await repository.delivery_counts([report.id])).get(report.id, (0, 0))
    signed = (await repository.signed([report.id])).get(report.id, Signed())
    fields = EDITABLE_FIELDS[report.kind]
    return ReportDetail(
        **_out(report, programme_code, counts, signed).model_dump(),
        editable={field: report.editable.get(field, "") for field in fields},
        data=report.data,
    )


async def generate(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    body: ReportIn,
    sources: Sources,
) -> tuple[ReportDetail, bool]:
    """A new version of the (kind, period) report, as of the period's end or now; with
    `if_absent`, the latest version if it covers the whole period. Returns the report and
    whether it is new."""
    period = report_period(body.kind, body.period)
    today = today_shanghai()
    if period.start.year != programme.year:
        raise _invalid_period(f"期次 {period.id} 不在改革工程 {programme.code} 年度内")
    if period.start > today:
        raise _invalid_period(f"期次 {period.id} 尚未开始，不能生成报告")
    repository = ReportRepository(session)
    await repository.lock_period(programme.id, body.kind, period.id)
    latest = await repository.latest(programme.id, body.kind, period.id)
    if body.if_absent and latest is not None and latest.as_of >= end_of_day(period.end):
        # A complete one exists (a version taken while the period ran does not count).
        return await detail(session, latest, programme.code), False
    as_of_day = min(period.end, today)
    data = await build_snapshot(
        session, principal, programme, body.kind, period, as_of_day, sources
    )
    now = now_utc()
    report = Report(
        programme_id=programme.id,
        kind=body.kind,
        period=period.id,
        version=latest.version + 1 if latest else 1,
        status=ReportStatus.draft,
        title=title_of(body.kind, period),
        as_of=end_of_day(as_of_day) if period.end < today else now,
        rule_set_version=data["rule_set_version"],
        data=audit.jsonable(data),
        editable=default_editable(body.kind, period, data),
        generated_at=now,
        generated_by=principal.username,
    )
    await repository.add(report)
    await audit.record(
        session,
        actor=principal,
        action="report.generated",
        entity_type="report",
        entity_id=report.id,
        after={
            "kind": report.kind,
            "period": report.period,
            "version": report.version,
            "as_of": report.as_of,
            "rule_set_version": report.rule_set_version,
        },
    )
    return await detail(session, report, programme.code), True


async def list_reports(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    programme: Programme | None,
    kind: ReportKind | None,
    period: str | None,
    status: ReportStatus | None,
) -> Page[ReportOut]:
    repository = ReportRepository(session)
    rows, total = await repository.readable_page(
        principal,
        page,
        programme_id=programme.id if programme else None,
        kind=kind,
        period=period,
        status=status,
    )
    ids = [r.id for r, _ in rows]
    counts, signed = await repository.delivery_counts(ids), await repository.signed(ids)
    return Page[ReportOut](
        items=[
            _out(r, code, counts.get(r.id, (0, 0)), signed.get(r.id, Signed())) for r, code in rows
        ],
        total=total,
    )


async def readable(
    session: AsyncSession, principal: Principal, report_id: int, *, lock: bool = False
) -> tuple[Report, str]:
    found = await ReportRepository(session).get_readable(principal, report_id, lock=lock)
    if found is None:
        raise NotFound("报告不存在或无权查看")
    return found


async def opened(session: AsyncSession, principal: Principal, report_id: int) -> tuple[Report, str]:
    """A unit opening or downloading a published report: its inbox message counts as read."""
    report, code = await readable(session, principal, report_id)
    if principal.is_unit and principal.unit_code:
        await ReportRepository(session).mark_read(
            report.id, principal.unit_code, principal.username, now_utc()
        )
    return report, code


def _editable_now(report: Report) -> None:
    if report.status in (ReportStatus.published, ReportStatus.superseded):
        raise Conflict(
            f"{KIND_LABELS[report.kind]}已签发，不能再修改；如需更正请重新生成新版本后签发"
        )


async def edit(
    session: AsyncSession, principal: Principal, report_id: int, body: ReportEdit
) -> ReportDetail:
    """The free-text parts change until the report is signed off (the numbers are the
    snapshot's); editing a reviewed report sends it back to draft, to be reviewed again."""
    report, code = await readable(session, principal, report_id, lock=True)
    _editable_now(report)
    fields = EDITABLE_FIELDS[report.kind]
    unknown = sorted(set(body.editable) - set(fields))
    if unknown:
        message = f"不可编辑的字段：{'、'.join(unknown)}（可编辑：{'、'.join(fields)}）"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "editable"], msg=message, type="value")]
        )
    too_long = [k for k, v in body.editable.items() if len(v) > 20000]
    if too_long:
        raise ValidationFailed(f"内容过长：{'、'.join(too_long)}（每项不超过 20000 字）")
    before, status = dict(report.editable), report.status
    report.editable = {**before, **body.editable}
    report.status, report.reviewed_at, report.reviewed_by = ReportStatus.draft, None, None
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="report.edited",
        entity_type="report",
        entity_id=report.id,
        before={"status": status, **{k: before.get(k) for k in body.editable}},
        after={"status": report.status, **body.editable},
    )
    return await detail(session, report, code)


async def proofread(session: AsyncSession, principal: Principal, report_id: int) -> ReportDetail:
    """核稿: office staff check a draft before it goes to the leader to sign."""
    report, code = await readable(session, principal, report_id, lock=True)
    if report.status is not ReportStatus.draft:
        raise Conflict("只有草稿可以核稿")
    report.status = ReportStatus.reviewed
    report.reviewed_at, report.reviewed_by = now_utc(), principal.username
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="report.reviewed",
        entity_type="report",
        entity_id=report.id,
        before={"status": ReportStatus.draft},
        after={"status": report.status},
    )
    return await detail(session, report, code)


async def _supersede(session: AsyncSession, principal: Principal, report: Report) -> None:
    """Signing a later version corrects the period's signed one: that one is superseded (its
    document stays as it was); signing an older version than the signed one is refused."""
    signed = await ReportRepository(session).signed_version(
        report.programme_id, report.kind, report.period, other_than=report.id
    )
    if signed is None:
        return
    if signed.version > report.version:
        raise Conflict(f"该期次已签发更新的第{signed.version}版，不能再签发第{report.version}版")
    signed.status = ReportStatus.superseded
    report.supersedes_id = signed.id
    await audit.record(
        session,
        actor=principal,
        action="report.superseded",
        entity_type="report",
        entity_id=signed.id,
        before={"status": ReportStatus.published},
        after={"status": signed.status, "by": report.id},
    )


def _public_docx(content: dict[str, Any]) -> bytes:
    return render_docx({**content, "edition": Edition.public.value})


async def sign_off(
    session: AsyncSession, principal: Principal, report_id: int, body: SignOffIn
) -> ReportDetail:
    """签发: the reviewed report gets its 文号, is rendered and stored as signed (DOCX, the PDF
    when LibreOffice is installed, and for a quarterly notice the public version if asked for),
    corrects the period's earlier signed version, and goes to every unit's inbox — one
    transaction, so a failure leaves it reviewed and unnumbered."""
    report, code = await readable(session, principal, report_id, lock=True)
    if report.status is not ReportStatus.reviewed:
        raise Conflict("须先核稿才能签发" if report.status is ReportStatus.draft else "报告已签发")
    if body.public_edition and report.kind is not ReportKind.quarterly_notice:
        message = "只有季度通报可以生成公开版"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "public_edition"], msg=message, type="value")]
        )
    await _supersede(session, principal, report)
    document = await documents.issue(
        session,
        principal,
        kind=DocumentKind(report.kind.value),
        title=report.title,
        content={**render_input(report), "status": ReportStatus.published.value},
        render=render_docx,
        publicity=body.publicity,
        public_render=_public_docx if body.public_edition else None,
    )
    report.document_id = document.id
    units = await _publish(session, principal, report)
    await audit.record(
        session,
        actor=principal,
        action="report.signed_off",
        entity_type="report",
        entity_id=report.id,
        before={"status": ReportStatus.reviewed},
        after={
            "status": report.status,
            "document_number": document.document_number,
            "publicity": body.publicity,
            "public_edition": body.public_edition,
            "units": units,
            "version": report.version,
        },
    )
    return await detail(session, report, code)


async def _publish(session: AsyncSession, principal: Principal, report: Report) -> int:
    """The report goes to every unit's inbox; the office then sees who has read it
    (seed 001_643c54550577dac0.txt has the results notified, 分析通报; inboxes and read receipts are
    the platform's own)."""
    report.status = ReportStatus.published
    report.published_at, report.published_by = now_utc(), principal.username
    await session.flush()
    units = await ReportRepository(session).active_units()
    for unit_id, _code, _name, _short, _kind in units:
        await notify(
            session,
            unit_id,
            report.kind.value,
            report.title,
            f"{KIND_LABELS[report.kind]}已签发，请查阅并下载。",
            link=f"/reports/{report.id}",
            dedupe_key=delivery_key(report.id, unit_id),
        )
    return len(units)


async def receipts(session: AsyncSession, principal: Principal, report_id: int) -> list[Receipt]:
    report, _ = await readable(session, principal, report_id)
    return [
        Receipt(unit_code=c, unit_name=n, delivered_at=d, read_at=r)
        for c, n, d, r in await ReportRepository(session).receipts(report.id)
    ]


def download_name(report: Report, extension: str, edition: Edition = Edition.full) -> str:
    version = f"（第{report.version}版）" if report.version > 1 else ""
    public = "（公开版）" if edition is Edition.public else ""
    return f"{report.title}{version}{public}.{extension}"


def _no_public_edition(report: Report) -> NotFound:
    if report.kind is not ReportKind.quarterly_notice:
        return NotFound("只有季度通报有公开版")
    return NotFound("该季度通报签发时未生成公开版")


async def docx(session: AsyncSession, report: Report, edition: Edition) -> bytes:
    """A signed report: the DOCX as signed. A draft (or a report published before sign-off
    existed): rendered now from its snapshot."""
    if report.document_id is not None:
        return await documents.docx_of(session, report.document_id, edition)
    if edition is Edition.public and report.kind is not ReportKind.quarterly_notice:
        raise _no_public_edition(report)
    content = {**render_input(report), "edition": edition.value}
    return await asyncio.to_thread(render_docx, content)


async def pdf(session: AsyncSession, report: Report, edition: Edition) -> bytes:
    """A signed report: the PDF stored at sign-off (rendered once if it was missing). A draft:
    rendered now by LibreOffice from the DOCX (seconds; not kept). 503 without LibreOffice."""
    if report.document_id is not None:
        return await documents.pdf_of(session, report.document_id, edition)
    return await docx_to_pdf(await docx(session, report, edition))


async def rendered_from(session: AsyncSession, report: Report) -> dict[str, Any]:
    """What the HTML preview and the workbook are rendered from: a signed report's content as
    signed (with its 文号, date and 公开属性), a draft's as it stands."""
    if report.document_id is not None:
        return (await documents.signed(session, report.document_id)).content
    return render_input(report)


def render_input(report: Report) -> dict[str, Any]:
    """What the renderers need: a plain dict, so rendering can run in a worker thread. A
    document not yet signed has no 文号 (`document_number` None: the 代字 is printed with the
    number left blank)."""
    return {
        "kind": report.kind.value,
        "kind_label": KIND_LABELS[report.kind],
        "title": report.title,
        "period": report.period,
        "version": report.version,
        "status": report.status.value,
        "as_of": _local(report.as_of),
        "data": report.data,
        "editable": dict(report.editable),
        "bucket_labels": BUCKET_LABELS,
        "document_number": _legacy_number(report),
        "document_word": documents.word_of(DocumentKind(report.kind.value)),
        "signed_on": None,
        "publicity": None,
        "edition": Edition.full.value,
        "created_at": report.generated_at.isoformat(),
    }


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
