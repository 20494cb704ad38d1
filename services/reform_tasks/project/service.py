"""Key projects (重点项目, seed 003_fe0a5556b3029276.txt items 17–21): the register of
省、市重点项目 and 重大产业项目 with their stages (洽谈 → 签约 → 前期 → 开工 → 在建 → 竣工投产)
and dated nodes; the
quality evaluation on seven aspects that decides admission (item 17); a major project's "五个一"
(item 20: one city leader, one team, one construction plan, one problem list closed item by
item). The office keeps the register; the project's district and lead unit read theirs; the
lead unit marks nodes done, keeps the plan and the problem list, and files the weekly reports
(services/reform_tasks/project/weekly.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project import rules
from services.reform_tasks.project.repository import ProjectRepository
from services.reform_tasks.project.schemas import (
    CloseItemIn,
    EvaluationIn,
    EvaluationOut,
    NodeDoneIn,
    NodeIn,
    NodeOut,
    PlanFileOut,
    ProblemItemIn,
    ProblemItemOut,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    StageIn,
)
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import (
    Programme,
    Project,
    ProjectEvaluation,
    ProjectNode,
    ProjectPlanFile,
    ProjectProblem,
    ProjectProblemStatus,
    ProjectStage,
    ProjectStatus,
    Unit,
)
from shared.pagination import Page, PageParams
from shared.settings import Settings
from shared.warning_light import Node, WarningThresholds, warning_light


def project_rules(programme: Programme) -> rules.ProjectRules:
    try:
        return rules.ProjectRules.of(programme.settings or {})
    except (rules.RuleSettingsInvalid, TypeError, ValueError, ArithmeticError) as exc:
        raise Conflict(f"改革工程的重点项目设置无效：{exc}") from exc


def node_out(node: ProjectNode, today: date) -> NodeOut:
    return NodeOut(
        id=node.id,
        ordinal=node.ordinal,
        name=node.name,
        planned_on=node.planned_on,
        actual_on=node.actual_on,
        done=node.actual_on is not None,
        late=(node.actual_on or today) > node.planned_on,
    )


def plan_out(plan: ProjectPlanFile) -> PlanFileOut:
    return PlanFileOut(
        id=plan.id,
        filename=plan.filename,
        size_bytes=plan.size_bytes,
        uploaded_by=plan.uploaded_by,
        uploaded_at=plan.uploaded_at,
    )


async def outs(
    session: AsyncSession, programme: Programme, projects: list[Project]
) -> list[ProjectOut]:
    """The projects as shown, with this week's 本周未报 flag and their open problems."""
    settings = project_rules(programme)
    today = today_shanghai()
    week = rules.iso_week(today)
    repository = ProjectRepository(session)
    ids = [p.id for p in projects]
    reported = await repository.reported(ids, week)
    problems = await repository.open_problems(ids)
    plans = await repository.latest_plans(ids)
    lights = WarningThresholds.of(programme.settings)
    answer = []
    for project in projects:
        required = rules.reports_weekly(project.level, project.status, project.stage)
        verdict = warning_light(
            [Node(n.planned_on, n.actual_on, n.name) for n in project.nodes], today, lights
        )
        plan = plans.get(project.id)
        answer.append(
            ProjectOut(
                id=project.id,
                code=project.code,
                name=project.name,
                level=project.level,
                district=project.district_unit.code,
                district_name=project.district_unit.name,
                lead_unit=project.lead_unit.code,
                lead_unit_name=project.lead_unit.name,
                owner=project.owner,
                investment=project.investment,
                industry=project.industry,
                stage=project.stage,
                stage_changed_on=project.stage_changed_on,
                status=project.status,
                started_on=project.started_on,
                completed_on=project.completed_on,
                leader_name=project.leader_name,
                leader_title=project.leader_title,
                team_members=project.team_members,
                weekly_report_required=required,
                weekly_report_missing=rules.report_missing(
                    required=required,
                    reported=project.id in reported,
                    week=week,
                    today=today,
                    due_weekday=settings.due_weekday,
                ),
                open_problems=len(problems.get(project.id, [])),
                warning_light=verdict.light,
                warning_reason=verdict.reason,
                version=project.version,
                nodes=[node_out(n, today) for n in project.nodes],
                plan=plan_out(plan) if plan else None,
            )
        )
    return answer


async def _out(session: AsyncSession, programme: Programme, project: Project) -> ProjectOut:
    return (await outs(session, programme, [project]))[0]


async def readable(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    *,
    lock: bool = False,
) -> Project:
    project = await ProjectRepository(session).get_readable(
        principal, programme.id, project_id, lock=lock
    )
    if project is None:
        raise NotFound(f"重点项目 {project_id} 不存在或无权查看")
    return project


def is_lead_unit(principal: Principal, project: Project) -> bool:
    return principal.is_unit and principal.unit_code == project.lead_unit.code


def require_office_or_lead(principal: Principal, project: Project, what: str) -> None:
    if not (principal.is_office or is_lead_unit(principal, project)):
        raise Forbidden(f"只有改革办或项目责任单位可以{what}")


async def unit_for(session: AsyncSession, code: str, field: str) -> Unit:
    unit = await ProjectRepository(session).unit_by_code(code)
    if unit is None:
        raise ValidationFailed(
            f"单位 {code} 不存在",
            errors=[FieldError(loc=["body", field], msg="单位不存在", type="value")],
        )
    return unit


def check_nodes(nodes: list[NodeIn]) -> None:
    """Nodes are listed in the order they fall due."""
    for index in range(1, len(nodes)):
        if nodes[index].planned_on < nodes[index - 1].planned_on:
            raise ValidationFailed(
                "节点须按计划日期先后排列",
                errors=[
                    FieldError(
                        loc=["body", "nodes", index, "planned_on"],
                        msg="早于上一个节点的计划日期",
                        type="value",
                    )
                ],
            )


def check_dates(started_on: date | None, completed_on: date | None) -> None:
    if started_on and completed_on and completed_on < started_on:
        raise ValidationFailed(
            "竣工日期不能早于开工日期",
            errors=[FieldError(loc=["body", "completed_on"], msg="早于开工日期", type="value")],
        )


def snapshot(project: Project) -> dict[str, Any]:
    return {
        "code": project.code,
        "name": project.name,
        "level": project.level,
        "district": project.district_unit.code,
        "lead_unit": project.lead_unit.code,
        "owner": project.owner,
        "investment": project.investment,
        "industry": project.industry,
        "stage": project.stage,
        "status": project.status,
        "started_on": project.started_on,
        "completed_on": project.completed_on,
        "leader_name": project.leader_name,
        "leader_title": project.leader_title,
        "team_members": project.team_members,
        "nodes": [[n.name, n.planned_on, n.actual_on] for n in project.nodes],
    }


def entity(programme: Programme, project: Project) -> str:
    return f"{programme.code}/{project.code}"


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: ProjectIn
) -> ProjectOut:
    """The office registers a key project (seed 003 items 15–19: the 省、市重点 and 重大产业项目
    managed on the platform) with its district, lead unit and nodes."""
    check_nodes(body.nodes)
    check_dates(body.started_on, body.completed_on)
    repository = ProjectRepository(session)
    if await repository.by_code(programme.id, body.code) is not None:
        raise Conflict(f"项目编号 {body.code} 已存在")
    district = await unit_for(session, body.district, "district")
    lead = await unit_for(session, body.lead_unit, "lead_unit")
    project = Project(
        programme_id=programme.id,
        code=body.code,
        name=body.name,
        level=body.level,
        district_unit_id=district.id,
        lead_unit_id=lead.id,
        owner=body.owner,
        investment=body.investment,
        industry=body.industry,
        stage=body.stage,
        status=body.status,
        started_on=body.started_on,
        completed_on=body.completed_on,
        stage_changed_on=today_shanghai(),
        nodes=[
            ProjectNode(programme_id=programme.id, ordinal=i, name=n.name, planned_on=n.planned_on)
            for i, n in enumerate(body.nodes, start=1)
        ],
    )
    await repository.add(project)
    created = await readable(session, principal, programme, project.id)
    await audit.record(
        session,
        actor=principal,
        action="project.created",
        entity_type="project",
        entity_id=entity(programme, created),
        after=snapshot(created),
    )
    return await _out(session, programme, created)


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, project_id: int
) -> ProjectOut:
    return await _out(session, programme, await readable(session, principal, programme, project_id))


async def list_projects(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    **filters: Any,
) -> Page[ProjectOut]:
    rows, total = await ProjectRepository(session).readable_page(
        principal, programme.id, page, **filters
    )
    return Page[ProjectOut](items=await outs(session, programme, list(rows)), total=total)


async def update(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    body: ProjectUpdate,
) -> ProjectOut:
    """The office corrects the register and records the 五个一's city leader and team."""
    project = await readable(session, principal, programme, project_id, lock=True)
    before = snapshot(project)
    changes = body.model_dump(exclude_unset=True)
    if "district" in changes:
        project.district_unit_id = (await unit_for(session, changes.pop("district"), "district")).id
    if "lead_unit" in changes:
        project.lead_unit_id = (await unit_for(session, changes.pop("lead_unit"), "lead_unit")).id
    check_dates(
        changes.get("started_on", project.started_on),
        changes.get("completed_on", project.completed_on),
    )
    for key, value in changes.items():
        setattr(project, key, value)
    await session.flush()
    updated = await readable(session, principal, programme, project_id, lock=True)
    await audit.record(
        session,
        actor=principal,
        action="project.updated",
        entity_type="project",
        entity_id=entity(programme, updated),
        before=before,
        after=snapshot(updated),
    )
    return await _out(session, programme, updated)


async def delete(
    session: AsyncSession, principal: Principal, programme: Programme, project_id: int
) -> None:
    """The office removes a project registered in error (its nodes, reports and files go with
    it; the audit keeps what it was)."""
    project = await readable(session, principal, programme, project_id, lock=True)
    before = snapshot(project)
    name = entity(programme, project)
    code = project.code
    if not await ProjectRepository(session).delete(project):
        raise Conflict(f"项目 {code} 已被其他记录（如观摩活动）引用，不能删除")
    await audit.record(
        session,
        actor=principal,
        action="project.deleted",
        entity_type="project",
        entity_id=name,
        before=before,
    )


async def apply_stage(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project: Project,
    stage: ProjectStage,
    on: date,
) -> None:
    """Seed 003 items 18–19 (洽谈签约、前期、开工、竣工投产): a stage only moves forward, dated;
    going back is refused (409). Entering 开工 / 竣工投产 dates the start / completion."""
    if stage == project.stage:
        raise Conflict(f"项目已处于“{rules.STAGE_LABELS[stage]}”阶段")
    if not rules.is_forward(project.stage, stage):
        raise Conflict(
            f"项目阶段只能按 洽谈→签约→前期→开工→在建→竣工投产 推进，"
            f"不能从“{rules.STAGE_LABELS[project.stage]}”退回“{rules.STAGE_LABELS[stage]}”"
        )
    before = {"stage": project.stage, "stage_changed_on": project.stage_changed_on}
    project.stage, project.stage_changed_on = stage, on
    if (
        rules.stage_index(stage) >= rules.stage_index(ProjectStage.started)
        and not project.started_on
    ):
        project.started_on = on
    if stage is ProjectStage.completed and not project.completed_on:
        project.completed_on = on
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.stage_changed",
        entity_type="project",
        entity_id=entity(programme, project),
        before=before,
        after={"stage": stage, "stage_changed_on": on},
    )


async def change_stage(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    body: StageIn,
) -> ProjectOut:
    project = await readable(session, principal, programme, project_id, lock=True)
    on = body.on or today_shanghai()
    if on > today_shanghai():
        raise ValidationFailed(
            "阶段日期不能晚于今天",
            errors=[FieldError(loc=["body", "on"], msg="晚于今天", type="value")],
        )
    if project.stage_changed_on and on < project.stage_changed_on:
        message = f"阶段日期不能早于上一阶段的日期 {project.stage_changed_on}"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "on"], msg=message, type="value")]
        )
    await apply_stage(session, principal, programme, project, body.stage, on)
    return await _out(session, programme, await readable(session, principal, programme, project_id))


async def add_node(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    body: NodeIn,
) -> ProjectOut:
    """The office adds a node after the last one (nodes stay in the order they fall due)."""
    project = await readable(session, principal, programme, project_id, lock=True)
    last = project.nodes[-1] if project.nodes else None
    if last is not None and body.planned_on < last.planned_on:
        raise ValidationFailed(
            "节点须按计划日期先后排列",
            errors=[FieldError(loc=["body", "planned_on"], msg="早于上一个节点", type="value")],
        )
    node = ProjectNode(
        programme_id=programme.id,
        project_id=project.id,
        ordinal=(last.ordinal if last else 0) + 1,
        name=body.name,
        planned_on=body.planned_on,
    )
    session.add(node)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.node_added",
        entity_type="project",
        entity_id=entity(programme, project),
        after={"ordinal": node.ordinal, "name": node.name, "planned_on": node.planned_on},
    )
    session.expire(project, ["nodes"])
    return await _out(session, programme, await readable(session, principal, programme, project_id))


async def node_done(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    node_id: int,
    body: NodeDoneIn,
) -> ProjectOut:
    """The office or the lead unit marks a node done: its actual date is recorded (seed 003
    item 19: 签约、开工、投资进度、竣工投产等节点情况). Nodes are done in order (409 otherwise)."""
    project = await readable(session, principal, programme, project_id, lock=True)
    require_office_or_lead(principal, project, "标记节点完成")
    node = next((n for n in project.nodes if n.id == node_id), None)
    if node is None:
        raise NotFound(f"节点 {node_id} 不存在")
    if node.actual_on is not None:
        raise Conflict(f"节点“{node.name}”已于 {node.actual_on} 完成")
    if any(n.actual_on is None for n in project.nodes if n.ordinal < node.ordinal):
        raise Conflict("请先完成此前的节点")
    today = today_shanghai()
    actual = body.actual_on or today
    if actual > today:
        raise ValidationFailed(
            "实际完成日期不能晚于今天",
            errors=[FieldError(loc=["body", "actual_on"], msg="晚于今天", type="value")],
        )
    node.actual_on = actual
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.node_done",
        entity_type="project",
        entity_id=entity(programme, project),
        after={"node": node.name, "planned_on": node.planned_on, "actual_on": actual},
    )
    return await _out(session, programme, project)


# --- quality evaluation (seed 003 item 17) ----------------------------------------------------


def _evaluation_out(
    project: Project, row: ProjectEvaluation | None, settings: rules.ProjectRules
) -> EvaluationOut:
    if row is None:
        return EvaluationOut(
            project_id=project.id,
            evaluated=False,
            scores=None,
            weights=settings.weights,
            threshold=settings.threshold,
            total=None,
            admitted=None,
            status=project.status,
            comment="",
            evaluated_by=None,
            evaluated_at=None,
        )
    return EvaluationOut(
        project_id=project.id,
        evaluated=True,
        scores={k: Decimal(str(v)) for k, v in row.scores.items()},
        weights={k: int(v) for k, v in row.weights.items()},
        threshold=row.threshold,
        total=row.total,
        admitted=row.admitted,
        status=project.status,
        comment=row.comment,
        evaluated_by=row.evaluated_by,
        evaluated_at=row.evaluated_at,
    )


async def get_evaluation(
    session: AsyncSession, principal: Principal, programme: Programme, project_id: int
) -> EvaluationOut:
    project = await readable(session, principal, programme, project_id)
    row = await ProjectRepository(session).evaluation(project.id)
    return _evaluation_out(project, row, project_rules(programme))


async def evaluate(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    body: EvaluationIn,
) -> EvaluationOut:
    """Seed 003 item 17 (对申报省市重点项目从投资规模、行业类别、业主实力、前期手续、综合效益、
    技术水平、资源利用等七个方面进行量化评价,综合打分,评价结果作为列入省市重点项目的重要依据):
    the office scores each aspect 0–100; the weighted total (weights: office default) against
    the threshold (office default) admits or refuses the project. Evaluating again replaces
    the evaluation and decides again; both are audited."""
    project = await readable(session, principal, programme, project_id, lock=True)
    settings = project_rules(programme)
    scores = body.scores.model_dump()
    total = rules.weighted_total(scores, settings.weights)
    passed = rules.admitted(total, settings.threshold)
    repository = ProjectRepository(session)
    row = await repository.evaluation(project.id)
    before = (
        {"total": row.total, "admitted": row.admitted, "status": project.status} if row else None
    )
    if row is None:
        row = ProjectEvaluation(programme_id=programme.id, project_id=project.id)
        session.add(row)
    row.scores = {k: str(v) for k, v in scores.items()}
    row.weights = dict(settings.weights)
    row.threshold, row.total, row.admitted = settings.threshold, total, passed
    row.comment, row.evaluated_by, row.evaluated_at = body.comment, principal.username, now_utc()
    project.status = ProjectStatus.admitted if passed else ProjectStatus.refused
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.evaluated",
        entity_type="project",
        entity_id=entity(programme, project),
        before=before,
        after={
            "scores": scores,
            "weights": settings.weights,
            "threshold": settings.threshold,
            "total": total,
            "admitted": passed,
            "status": project.status,
        },
    )
    return _evaluation_out(project, row, settings)


# --- 五个一: construction plan and problem list (seed 003 item 20) ------------------------------


async def upload_plan(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    project_id: int,
    file: UploadFile,
) -> PlanFileOut:
    """One construction plan (一个建设方案): the office or the lead unit uploads it under the
    evidence rules; a new upload becomes the current plan (earlier ones stay on record)."""
    project = await readable(session, principal, programme, project_id)
    require_office_or_lead(principal, project, "上传建设方案")
    uploads = await check_uploads(settings, [file], max_files=1)
    kept = await keep_files(session, settings, uploads)
    plan = ProjectPlanFile(
        programme_id=programme.id,
        project_id=project.id,
        uploaded_by=principal.username,
        uploaded_at=now_utc(),
        **kept[0].columns(),
    )
    session.add(plan)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.plan_uploaded",
        entity_type="project",
        entity_id=entity(programme, project),
        after={"file": plan.filename, "sha256": plan.sha256, "size_bytes": plan.size_bytes},
    )
    return plan_out(plan)


async def plan_file(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    project_id: int,
) -> tuple[ProjectPlanFile, Path]:
    project = await readable(session, principal, programme, project_id)
    plan = (await ProjectRepository(session).latest_plans([project.id])).get(project.id)
    if plan is None:
        raise NotFound("该项目尚未上传建设方案")
    return plan, await stored_path(settings, plan)


def problem_out(row: ProjectProblem) -> ProblemItemOut:
    return ProblemItemOut(
        id=row.id,
        problem=row.problem,
        status=row.status,
        raised_by=row.raised_by,
        raised_at=row.raised_at,
        closed_by=row.closed_by,
        closed_on=row.closed_on,
        closing_note=row.closing_note,
    )


async def problems(
    session: AsyncSession, principal: Principal, programme: Programme, project_id: int
) -> list[ProblemItemOut]:
    project = await readable(session, principal, programme, project_id)
    return [problem_out(p) for p in await ProjectRepository(session).problems(project.id)]


async def raise_problem(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    body: ProblemItemIn,
) -> ProblemItemOut:
    """One problem list (一个问题清单): the office or the lead unit adds a problem."""
    project = await readable(session, principal, programme, project_id)
    require_office_or_lead(principal, project, "登记项目问题")
    row = ProjectProblem(
        programme_id=programme.id,
        project_id=project.id,
        problem=body.problem,
        raised_by=principal.username,
        raised_at=now_utc(),
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.problem_raised",
        entity_type="project_problem",
        entity_id=row.id,
        after={"project": entity(programme, project), "problem": body.problem},
    )
    return problem_out(row)


async def close_problem(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project_id: int,
    item_id: int,
    body: CloseItemIn,
) -> ProblemItemOut:
    """Seed 003 item 20 (一个问题清单), closed one by one like task problems: open → closed with
    the closing note, by the office or the lead unit (409 if already closed)."""
    project = await readable(session, principal, programme, project_id)
    require_office_or_lead(principal, project, "销号项目问题")
    row = await ProjectRepository(session).problem(project.id, item_id)
    if row is None:
        raise NotFound(f"项目问题 {item_id} 不存在")
    if row.status is ProjectProblemStatus.closed:
        raise Conflict(f"项目问题已于 {row.closed_on} 销号")
    row.status, row.closed_on = ProjectProblemStatus.closed, today_shanghai()
    row.closed_by, row.closing_note = principal.username, body.note
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.problem_closed",
        entity_type="project_problem",
        entity_id=row.id,
        before={"status": ProjectProblemStatus.open},
        after={"status": row.status, "closed_on": row.closed_on, "note": body.note},
    )
    return problem_out(row)
