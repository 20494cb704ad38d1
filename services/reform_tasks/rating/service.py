"""Lead units rate their responsible units (seed 001_643c54550577dac0.txt: the power to evaluate
responsible units is given to the lead unit, and the result feeds their assessment). One rating
per (window, task, rated unit), editable until the window closes; no unit rates itself."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.reform_tasks.rating.schemas import RatingIn, RatingOut, WindowIn, WindowOut
from services.reform_tasks.task.access import readable_task, require_lead
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from shared.models import Programme, Rating, RatingWindow, Task, Unit, task_responsible_units


def window_out(window: RatingWindow) -> WindowOut:
    today = today_shanghai()
    return WindowOut(
        code=window.code,
        name=window.name,
        opens_on=window.opens_on,
        closes_on=window.closes_on,
        scale_max=window.scale_max,
        closed_at=window.closed_at,
        is_open=window.closed_at is None and window.opens_on <= today <= window.closes_on,
    )


async def _window(
    session: AsyncSession, programme: Programme, code: str, *, lock: bool = False
) -> RatingWindow:
    statement = select(RatingWindow).where(
        RatingWindow.programme_id == programme.id, RatingWindow.code == code
    )
    if lock:
        statement = statement.with_for_update()
    window = await session.scalar(statement)
    if window is None:
        raise NotFound(f"评分窗口 {code} 不存在")
    return window


async def create_window(
    session: AsyncSession, principal: Principal, programme: Programme, body: WindowIn
) -> WindowOut:
    exists = await session.scalar(
        select(RatingWindow.id).where(
            RatingWindow.programme_id == programme.id, RatingWindow.code == body.code
        )
    )
    if exists is not None:
        raise Conflict(f"评分窗口 {body.code} 已存在")
    window = RatingWindow(programme_id=programme.id, **body.model_dump())
    session.add(window)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rating_window.created",
        entity_type="rating_window",
        entity_id=body.code,
        after=body.model_dump(),
    )
    return window_out(window)


async def list_windows(session: AsyncSession, programme: Programme) -> list[WindowOut]:
    windows = await session.scalars(
        select(RatingWindow)
        .where(RatingWindow.programme_id == programme.id)
        .order_by(RatingWindow.opens_on)
    )
    return [window_out(w) for w in windows]


async def close_window(
    session: AsyncSession, principal: Principal, programme: Programme, code: str
) -> WindowOut:
    window = await _window(session, programme, code, lock=True)
    if window.closed_at is not None:
        raise Conflict("评分窗口已关闭")
    window.closed_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rating_window.closed",
        entity_type="rating_window",
        entity_id=code,
    )
    return window_out(window)


def _pairs(programme: Programme) -> Select[Task, Unit]:
    return (
        select(Task, Unit)
        .join(task_responsible_units, task_responsible_units.c.task_id == Task.id)
        .join(Unit, Unit.id == task_responsible_units.c.unit_id)
        .where(Task.programme_id == programme.id)
        .order_by(Task.number, Unit.code)
    )


async def sheet(
    session: AsyncSession, principal: Principal, programme: Programme, code: str
) -> list[RatingOut]:
    """Every (task, responsible unit) pair the caller rates (office: all) with current scores."""
    window = await _window(session, programme, code)
    statement = _pairs(programme)
    lead = aliased(Unit)
    if not principal.can_read_unit(None):
        if not principal.is_unit:
            raise Forbidden("只有牵头单位可以查看评分表")
        statement = statement.join(lead, lead.id == Task.lead_unit_id).where(
            lead.code == principal.unit_code
        )
    rows = (await session.execute(statement)).all()
    ratings = {
        (r.task_id, r.rated_unit_id): r
        for r in (await session.scalars(select(Rating).where(Rating.window_id == window.id)))
    }
    lead_codes = {i: c for i, c in (await session.execute(select(Unit.id, Unit.code))).all()}
    result = []
    for task, unit in rows:
        rating = ratings.get((task.id, unit.id))
        result.append(
            RatingOut(
                window=code,
                task_number=task.number,
                task_title=task.title,
                rater_unit=lead_codes[task.lead_unit_id],
                rated_unit=unit.code,
                rated_unit_name=unit.name,
                score=float(rating.score) if rating else None,
                comment=rating.comment if rating else "",
                version=rating.version if rating else None,
                updated_at=rating.updated_at if rating else None,
            )
        )
    return result


async def rate(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    code: str,
    number: int,
    unit_code: str,
    body: RatingIn,
    if_match: str | None,
) -> RatingOut:
    window = await _window(session, programme, code)
    today = today_shanghai()
    if window.closed_at is not None or not window.opens_on <= today <= window.closes_on:
        raise Conflict(
            f"评分窗口 {code} 未开放或已关闭（开放期 {window.opens_on} 至 {window.closes_on}）"
        )
    task = await readable_task(session, principal, programme, number)
    require_lead(principal, task)
    if unit_code == principal.unit_code:
        raise ValidationFailed("不能为本单位评分")
    rated = next((u for u in task.responsible_units if u.code == unit_code), None)
    if rated is None:
        raise ValidationFailed(f"{unit_code} 不是任务 {number} 的责任单位")
    if body.score > window.scale_max:
        raise ValidationFailed(f"评分不能超过满分 {window.scale_max}")
    if body.score < 60 and not body.comment.strip():
        raise ValidationFailed("低于 60 分的评分必须填写理由")
    rating = await session.scalar(
        select(Rating)
        .where(
            Rating.window_id == window.id,
            Rating.task_id == task.id,
            Rating.rated_unit_id == rated.id,
        )
        .with_for_update()
    )
    before = None
    if rating is None:
        rating = Rating(
            window_id=window.id,
            task_id=task.id,
            rater_unit_id=task.lead_unit_id,
            rated_unit_id=rated.id,
            score=body.score,
            comment=body.comment,
            rated_by=principal.username,
        )
        session.add(rating)
    else:
        if if_match is not None and if_match.strip('W/"') != str(rating.version):
            raise PreconditionFailed("该评分已被修改，请刷新后重试")
        before = {"score": float(rating.score), "comment": rating.comment}
        rating.score, rating.comment = float(body.score), body.comment
        rating.rated_by = principal.username
    await session.flush()
    await session.refresh(rating)
    await outbox.enqueue(
        session,
        "rating.submitted",
        {
            "window": code,
            "task_number": number,
            "rater_unit": task.lead_unit.code,
            "rated_unit": unit_code,
            "score": float(body.score),
            "scale_max": window.scale_max,
            "version": rating.version,
        },
        programme=programme.code,
        unit_code=unit_code,
    )
    await audit.record(
        session,
        actor=principal,
        action="rating.submitted",
        entity_type="rating",
        entity_id=f"{code}/{number}/{unit_code}",
        before=before,
        after={"score": float(body.score), "comment": body.comment},
    )
    return RatingOut(
        window=code,
        task_number=number,
        task_title=task.title,
        rater_unit=task.lead_unit.code,
        rated_unit=unit_code,
        rated_unit_name=rated.name,
        score=float(rating.score),
        comment=rating.comment,
        version=rating.version,
        updated_at=rating.updated_at,
    )


async def list_ratings(
    session: AsyncSession, principal: Principal, programme: Programme, window: str | None
) -> list[RatingOut]:
    """Office: all; a unit: the ratings it gave (as lead) and the ones it received."""
    rater, rated = aliased(Unit), aliased(Unit)
    statement = (
        select(
            Rating, RatingWindow.code, Task.number, Task.title, rater.code, rated.code, rated.name
        )
        .join(RatingWindow, RatingWindow.id == Rating.window_id)
        .join(Task, Task.id == Rating.task_id)
        .join(rater, rater.id == Rating.rater_unit_id)
        .join(rated, rated.id == Rating.rated_unit_id)
        .where(RatingWindow.programme_id == programme.id)
        .order_by(RatingWindow.code, Task.number, rated.code)
    )
    if window:
        statement = statement.where(RatingWindow.code == window)
    if not principal.can_read_unit(None):
        code = principal.unit_code or ""
        statement = statement.where((rater.code == code) | (rated.code == code))
    return [
        RatingOut(
            window=w,
            task_number=n,
            task_title=t,
            rater_unit=rc,
            rated_unit=uc,
            rated_unit_name=un,
            score=float(r.score),
            comment=r.comment,
            version=r.version,
            updated_at=r.updated_at,
        )
        for r, w, n, t, rc, uc, un in (await session.execute(statement)).all()
    ]
