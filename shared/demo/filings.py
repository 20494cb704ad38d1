"""Demo unit filings and typical cases of the 2026 programme (issue #27), dated from the day the
demo is loaded:

- two unit-filed problem / cause / measure lists (seed 003_fe0a5556b3029276.txt: 三张清单报备案):
  市政务服务局's accepted (备案) — its lines are problems of the problem list — and 云中区's
  returned with the office's reason;
- a quarterly work report (季度工作报告, due by the 25th of the quarter's last month) from each
  reporting unit for each past quarter, most on time, some late, some missing (a fixed pattern
  per unit and quarter, so reloading gives the same);
- a typical case (典型案例, seed 002_c95ffdd180ea7e81.txt) for each quarter begun, one of them
  public.

Loading is idempotent: a list is keyed by (programme, unit, title), a report by (programme, unit,
quarter), a case by (programme, title); one already present is left as it is. No inbox messages:
the demo's history is the office's, not news to the units.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import SHANGHAI
from shared.models import (
    CaseKind,
    Problem,
    ProblemList,
    ProblemListItem,
    ProblemListStatus,
    ProblemSource,
    Programme,
    QuarterlySubmission,
    Task,
    TypicalCase,
    Unit,
    task_responsible_units,
)

LISTS = (
    (
        "zhengwu",
        "市政务服务局优化营商环境问题清单",
        ProblemListStatus.accepted,
        None,
        [
            (
                "部分审批事项网上可办但仍要求提交纸质材料",
                "电子证照共享范围不够，窗口人员习惯要求纸质件",
                "梳理可免交纸质材料事项清单，推行电子证照调用",
                "陈晓燕",
            ),
            (
                "工程建设项目审批中介服务时限不明确",
                "中介服务未纳入审批时限管理",
                "建立中介服务网上超市，明确服务时限并公开",
                "刘志刚",
            ),
        ],
    ),
    (
        "yunzhongqu",
        "云中区营商环境问题清单",
        ProblemListStatus.returned,
        "原因分析过于笼统，请逐项写明具体原因和完成时限后重新报送。",
        [
            (
                "企业办事“多头跑”现象仍然存在",
                "工作不够到位",
                "加强协调",
                "赵磊",
            ),
        ],
    ),
)
CASES = (
    (
        "2026-Q1",
        CaseKind.negative,
        "某街道办事处拖延办理企业装修备案",
        "shichang",
        "企业反映某街道在装修备案中多次要求补充非法定材料，历时一个半月未办结。",
        "责令当日办结并向企业书面致歉，全面清理街道自设的备案材料。",
        "对经办人员诫勉谈话，对分管负责人批评教育",
        "责成所在单位党组织作出书面检查",
        False,
    ),
    (
        "2026-Q2",
        CaseKind.positive,
        "企业开办“一网通办”半天办结",
        "zhengwu",
        "市政务服务局推行企业开办全程网办，营业执照、印章、发票、社保登记一次办结，平均用时0.5天。",
        "在全市推广其做法。",
        None,
        None,
        True,
    ),
    (
        "2026-Q3",
        CaseKind.negative,
        "某部门对企业投诉推诿扯皮",
        "shuiwu",
        "企业通过12345热线反映退税办理进度，承办单位两次退单，企业反复来回奔波。",
        "督促限期办结退税，纳入二次督办。",
        "对直接责任人通报批评",
        "对单位主要负责人约谈，责成单位党组作出深刻检查",
        False,
    ),
    (
        "2026-Q4",
        CaseKind.positive,
        "工程建设项目“拿地即开工”",
        "ziranziyuan",
        "通过并联审批和容缺受理，产业项目取得土地当日即领取施工许可。",
        "总结经验，在开发区推广。",
        None,
        None,
        False,
    ),
)
# Days after the 25th a unit reports, by the pattern's value 0–19: most a few days before (on
# time), 3 in 20 late, 2 in 20 missing.
MISSING_FROM = 18
LATE_FROM = 15


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _pattern(code: str, quarter: str) -> int:
    return hashlib.sha256(f"{code}:{quarter}".encode()).digest()[0] % 20


async def _units(session: AsyncSession) -> dict[str, Unit]:
    return {u.code: u for u in (await session.scalars(select(Unit))).all()}


async def _lists(
    session: AsyncSession, programme: Programme, units: dict[str, Unit], as_of: date
) -> None:
    for code, title, status, reason, lines in LISTS:
        unit = units.get(code)
        exists = await session.scalar(
            select(ProblemList.id).where(
                ProblemList.programme_id == programme.id, ProblemList.title == title
            )
        )
        if unit is None or exists is not None:
            continue
        filed = as_of - timedelta(days=30)
        problem_list = ProblemList(
            programme_id=programme.id,
            unit_id=unit.id,
            title=title,
            status=status,
            created_by=code,
            submitted_at=_at(filed),
            submitted_by=code,
            decided_at=_at(filed + timedelta(days=3)),
            decided_by="office",
            return_reason=reason,
            items=[],
        )
        session.add(problem_list)
        await session.flush()
        for position, (problem, cause, measure, person) in enumerate(lines, start=1):
            due = filed + timedelta(days=60 * position)
            item = ProblemListItem(
                programme_id=programme.id,
                list_id=problem_list.id,
                position=position,
                problem=problem,
                cause=cause,
                measure=measure,
                responsible_person=person,
                due_on=due,
            )
            if status is ProblemListStatus.accepted:
                item.problem_id = await _problem(session, programme, unit, item, filed)
            problem_list.items.append(item)
        await session.flush()


async def _problem(
    session: AsyncSession, programme: Programme, unit: Unit, item: ProblemListItem, filed: date
) -> int:
    """The problem an accepted line became, as `problem_list.service.accept` makes it."""
    number = (
        await session.scalar(
            select(func.coalesce(func.max(Problem.number), 0)).where(
                Problem.programme_id == programme.id
            )
        )
        or 0
    ) + 1
    problem = Problem(
        programme_id=programme.id,
        number=number,
        source=ProblemSource.self_check,
        problem=item.problem,
        cause=item.cause,
        measure=item.measure,
        responsible_unit_id=unit.id,
        found_on=filed,
        due_on=item.due_on,
    )
    session.add(problem)
    await session.flush()
    return problem.id


async def _reporting_units(session: AsyncSession, programme: Programme) -> list[Unit]:
    tasks = select(Task.id).where(Task.programme_id == programme.id)
    ids = set(
        (await session.scalars(select(Task.lead_unit_id).where(Task.id.in_(tasks)))).all()
    ) | set(
        (
            await session.scalars(
                select(task_responsible_units.c.unit_id).where(
                    task_responsible_units.c.task_id.in_(tasks)
                )
            )
        ).all()
    )
    units = await session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code))
    return list(units.all())


async def _submissions(session: AsyncSession, programme: Programme, as_of: date) -> None:
    done = {
        (unit_id, quarter)
        for unit_id, quarter in (
            await session.execute(
                select(QuarterlySubmission.unit_id, QuarterlySubmission.quarter).where(
                    QuarterlySubmission.programme_id == programme.id
                )
            )
        ).all()
    }
    for unit in await _reporting_units(session, programme):
        for q in range(1, 5):
            quarter = f"{programme.year}-Q{q}"
            due = date(programme.year, 3 * q, 25)
            value = _pattern(unit.code, quarter)
            if value >= MISSING_FROM or (unit.id, quarter) in done:
                continue
            late_by = value - LATE_FROM + 1 if value >= LATE_FROM else -(value % 6)
            day = due + timedelta(days=late_by)
            if day > as_of:
                continue
            session.add(
                QuarterlySubmission(
                    programme_id=programme.id,
                    unit_id=unit.id,
                    quarter=quarter,
                    summary=f"{unit.short_name}{quarter}工作开展情况：对照改革任务作战图逐项推进，"
                    "本季度完成既定时间节点，存在问题已列入整改清单。",
                    submitted_on=day,
                    submitted_at=_at(day, 16),
                    submitted_by=unit.code,
                )
            )
    await session.flush()


async def _cases(
    session: AsyncSession, programme: Programme, units: dict[str, Unit], as_of: date
) -> None:
    for quarter, kind, title, code, facts, handling, people, leadership, public in CASES:
        start = date(programme.year, 3 * int(quarter[-1]) - 2, 1)
        unit = units.get(code)
        exists = await session.scalar(
            select(TypicalCase.id).where(
                TypicalCase.programme_id == programme.id, TypicalCase.title == title
            )
        )
        if unit is None or exists is not None or start > as_of:
            continue
        session.add(
            TypicalCase(
                programme_id=programme.id,
                kind=kind,
                title=title,
                facts=facts,
                unit_id=unit.id,
                handling=handling,
                people_accountability=people,
                unit_accountability=leadership,
                quarter=quarter,
                public=public,
                created_by="office",
            )
        )
    await session.flush()


async def load_filings(session: AsyncSession, programme: Programme, *, as_of: date) -> None:
    units = await _units(session)
    await _lists(session, programme, units, as_of)
    await _submissions(session, programme, as_of)
    await _cases(session, programme, units, as_of)
