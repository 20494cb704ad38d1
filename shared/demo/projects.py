"""Demo key projects (重点项目, issue #27; seed 003_fe0a5556b3029276.txt items 17–21) of the 2026
programme: eight projects across the districts at every stage, with dated nodes (those past done,
one of them late), two quality evaluations (one proposed project admitted, one refused), the
五个一 leader and team of the major industrial projects with an open and a closed problem, and
their weekly reports for the past weeks — one project has missed last week's, and only the first
has reported this week, so from the due day (Friday) the others show 本周未报.

Loading is idempotent: a project is keyed by (programme, code) and one already present is left as
it is. Dates are relative to the day the demo is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import SHANGHAI
from shared.models import (
    PROJECT_STAGE_ORDER,
    Programme,
    Project,
    ProjectEvaluation,
    ProjectLevel,
    ProjectNode,
    ProjectProblem,
    ProjectProblemStatus,
    ProjectStage,
    ProjectStatus,
    Unit,
    WeeklyReport,
)

L, S = ProjectLevel, ProjectStage
NODES = ("签约", "取得施工许可", "主体开工", "主体封顶", "竣工投产")
# The node each stage has reached (签约 done once signed, …).
NODES_DONE = {S.negotiating: 0, S.signed: 1, S.preparing: 1, S.started: 3, S.building: 3}
NODES_DONE[S.completed] = 5


@dataclass(frozen=True, slots=True)
class DemoProject:
    code: str
    name: str
    level: ProjectLevel
    district: str
    lead_unit: str
    owner: str
    investment: str
    industry: str
    stage: ProjectStage
    status: ProjectStatus = ProjectStatus.admitted
    leader: tuple[str, str] | None = None
    weeks_reported: tuple[int, ...] = ()  # weeks ago (0: this week)


PROJECTS = (
    DemoProject(
        "ZD-2026-001",
        "云中新能源动力电池产业园",
        L.major_industrial,
        "yunzhongqu",
        "gongxin",
        "云岭新能源科技有限公司",
        "1250000",
        "新能源",
        S.building,
        leader=("王志强", "常务副市长"),
        weeks_reported=(0, 1, 2, 3),
    ),
    DemoProject(
        "ZD-2026-002",
        "河西高端装备制造基地",
        L.major_industrial,
        "hexiqu",
        "hexiqu",
        "云岭重工集团有限公司",
        "680000",
        "装备制造",
        S.started,
        leader=("刘敏", "副市长"),
        weeks_reported=(2, 3),
    ),
    DemoProject(
        "ZD-2026-003",
        "高新区集成电路封装测试项目",
        L.major_industrial,
        "gaoxinqu",
        "gaoxinqu",
        "云芯微电子股份有限公司",
        "450000",
        "集成电路",
        S.preparing,
        leader=("陈立", "副市长"),
        weeks_reported=(1, 2, 3),
    ),
    DemoProject(
        "ZD-2026-004",
        "岭南现代物流园",
        L.provincial,
        "lingnanqu",
        "shangwu",
        "云岭物流发展有限公司",
        "320000",
        "现代物流",
        S.completed,
    ),
    DemoProject(
        "ZD-2026-005",
        "新城区城市更新示范片区",
        L.municipal,
        "xinchengqu",
        "zhujian",
        "云岭城投集团有限公司",
        "210000",
        "城市建设",
        S.signed,
    ),
    DemoProject(
        "ZD-2026-006",
        "青石县绿色食品加工园",
        L.municipal,
        "qingshixian",
        "qingshixian",
        "青石绿源食品有限公司",
        "86000",
        "农产品加工",
        S.negotiating,
        status=ProjectStatus.proposed,
    ),
    DemoProject(
        "ZD-2026-007",
        "江北生物医药产业园",
        L.provincial,
        "jiangbeiqu",
        "fagaiwei",
        "云岭生物医药产业投资有限公司",
        "560000",
        "生物医药",
        S.preparing,
        status=ProjectStatus.proposed,
    ),
    DemoProject(
        "ZD-2026-008",
        "凤山区光伏储能一体化项目",
        L.municipal,
        "fengshanqu",
        "fagaiwei",
        "凤山清洁能源有限公司",
        "150000",
        "新能源",
        S.negotiating,
        status=ProjectStatus.proposed,
    ),
)
# Two evaluations (seed 003 item 17): the first admits its project, the second refuses it.
EVALUATIONS = {
    "ZD-2026-007": (
        {
            "investment_scale": 90,
            "industry_category": 85,
            "owner_strength": 80,
            "preliminary_procedures": 70,
            "overall_benefit": 85,
            "technology_level": 80,
            "resource_use": 75,
        },
        "七个方面总体较好，建议列入省重点项目。",
    ),
    "ZD-2026-008": (
        {
            "investment_scale": 60,
            "industry_category": 70,
            "owner_strength": 55,
            "preliminary_procedures": 40,
            "overall_benefit": 65,
            "technology_level": 60,
            "resource_use": 70,
        },
        "前期手续不全、业主实力不足，暂不列入。",
    ),
}
# The office default weights and threshold (services/reform_tasks/project/rules.py).
WEIGHTS = {
    "investment_scale": 20,
    "industry_category": 15,
    "owner_strength": 15,
    "preliminary_procedures": 15,
    "overall_benefit": 15,
    "technology_level": 10,
    "resource_use": 10,
}
THRESHOLD = Decimal(70)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=SHANGHAI).astimezone(UTC)


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _nodes(programme: Programme, spec: DemoProject, as_of: date) -> list[ProjectNode]:
    """Five nodes 60 days apart around `as_of`; those the stage has reached are done (the third
    a week late)."""
    done = NODES_DONE[spec.stage]
    first = as_of - timedelta(days=60 * done + 30) if done else as_of + timedelta(days=30)
    nodes = []
    for index, name in enumerate(NODES):
        planned = first + timedelta(days=60 * index)
        actual = None
        if index < done:
            actual = min(planned + timedelta(days=7 if index == 2 else -3), as_of)
        nodes.append(
            ProjectNode(
                programme_id=programme.id,
                ordinal=index + 1,
                name=name,
                planned_on=planned,
                actual_on=actual,
            )
        )
    return nodes


def _project(
    programme: Programme, spec: DemoProject, units: dict[str, Unit], as_of: date
) -> Project:
    nodes = _nodes(programme, spec, as_of)
    started = nodes[2].actual_on
    leader_name, leader_title = spec.leader or ("", "")
    return Project(
        programme_id=programme.id,
        code=spec.code,
        name=spec.name,
        level=spec.level,
        district_unit_id=units[spec.district].id,
        lead_unit_id=units[spec.lead_unit].id,
        owner=spec.owner,
        investment=Decimal(spec.investment),
        industry=spec.industry,
        stage=spec.stage,
        stage_changed_on=as_of - timedelta(days=20),
        status=spec.status,
        started_on=started,
        completed_on=nodes[4].actual_on,
        leader_name=leader_name,
        leader_title=leader_title,
        team_members=(
            f"{units[spec.district].short_name}主要负责同志任责任人；市发改委、市自然资源规划局、"
            "市住建局、市生态环境局各抽调1名同志"
            if spec.leader
            else ""
        ),
        nodes=nodes,
    )


def _evaluation(programme: Programme, project: Project, as_of: date) -> ProjectEvaluation | None:
    if project.code not in EVALUATIONS:
        return None
    scores, comment = EVALUATIONS[project.code]
    weighted = sum((Decimal(scores[k]) * WEIGHTS[k] for k in WEIGHTS), Decimal(0))
    total = (weighted / 100).quantize(Decimal("0.01"))
    passed = total >= THRESHOLD
    project.status = ProjectStatus.admitted if passed else ProjectStatus.refused
    return ProjectEvaluation(
        programme_id=programme.id,
        project_id=project.id,
        scores={k: str(v) for k, v in scores.items()},
        weights=WEIGHTS,
        threshold=THRESHOLD,
        total=total,
        admitted=passed,
        comment=comment,
        evaluated_by="office",
        evaluated_at=_moment(as_of - timedelta(days=10)),
    )


def _reports(
    programme: Programme, spec: DemoProject, project: Project, as_of: date
) -> list[WeeklyReport]:
    building = project.nodes[3] if PROJECT_STAGE_ORDER.index(spec.stage) >= 3 else project.nodes[1]
    reports = []
    for weeks_ago in spec.weeks_reported:
        day = as_of - timedelta(days=7 * weeks_ago)
        monday = day - timedelta(days=day.weekday())
        filed = min(monday + timedelta(days=3), as_of)
        reports.append(
            WeeklyReport(
                programme_id=programme.id,
                project_id=project.id,
                week=_iso_week(day),
                unit_id=project.lead_unit_id,
                node_progress=[
                    {
                        "node_id": building.id,
                        "progress": f"{building.name}：完成计划的{80 - 10 * weeks_ago}%",
                    }
                ],
                summary="本周现场施工人员约300人，各项工作按计划推进。",
                problems="施工临时用电容量不足。" if weeks_ago < 2 else "",
                solutions="协调云岭供电公司增容，力争两周内完成。" if weeks_ago < 2 else "",
                submitted_by=spec.lead_unit,
                submitted_at=_moment(filed),
            )
        )
    return reports


def _problems(programme: Programme, project: Project, as_of: date) -> list[ProjectProblem]:
    return [
        ProjectProblem(
            programme_id=programme.id,
            project_id=project.id,
            problem="项目用地规划调整尚未批复",
            status=ProjectProblemStatus.closed,
            raised_by="office",
            raised_at=_moment(as_of - timedelta(days=40)),
            closed_by="office",
            closed_on=as_of - timedelta(days=12),
            closing_note="市自然资源规划局已批复规划调整。",
        ),
        ProjectProblem(
            programme_id=programme.id,
            project_id=project.id,
            problem="施工临时用电容量不足",
            raised_by="office",
            raised_at=_moment(as_of - timedelta(days=8)),
        ),
    ]


async def load_projects(
    session: AsyncSession, programme: Programme, units: dict[str, Unit], *, as_of: date
) -> int:
    """Add the demo projects not there yet; the number added."""
    present = set(
        (
            await session.scalars(select(Project.code).where(Project.programme_id == programme.id))
        ).all()
    )
    added = 0
    for spec in PROJECTS:
        if spec.code in present or spec.district not in units or spec.lead_unit not in units:
            continue
        project = _project(programme, spec, units, as_of)
        session.add(project)
        await session.flush()
        evaluation = _evaluation(programme, project, as_of)
        if evaluation is not None:
            session.add(evaluation)
        if spec.leader:
            session.add_all(_problems(programme, project, as_of))
        session.add_all(_reports(programme, spec, project, as_of))
        await session.flush()
        added += 1
    return added
