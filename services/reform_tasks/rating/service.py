"""Lead units rate their responsible units (seed 001_643c54550577dac0.txt: the lead unit is given
the power to evaluate the responsible units of its tasks, and the result weighs in their performance
assessment, 绩效考核; docs/RULES.md: "The lead unit rates its task's responsible units; the rating
feeds their score"). The office opens a rating window (e.g. each quarter); inside it a lead unit
gives each responsible unit of each task it leads one score with a comment, editable until the
window closes; no unit rates itself. Every save is told to evaluation (`rating.submitted`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.rating.repository import (
    Lock,
    RatingRepository,
    RatingRow,
    RatingWindowRepository,
)
from services.reform_tasks.rating.schemas import RatingIn, RatingOut, WindowIn, WindowOut
from services.reform_tasks.task.access import readable_task, require_lead
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from shared.models import Programme, Rating, RatingWindow, Task, Unit
from shared.pagination import Page, PageParams

# A score below this share of the scale (60 of 100) must say why.
LOW_SCORE_SHARE = Decimal("0.6")


def window_out(window: RatingWindow, today: date) -> WindowOut:
    return WindowOut(
        code=window.code,
        name=window.name,
        opens_on=window.opens_on,
        closes_on=window.closes_on,
        scale_max=window.scale_max,
        closed_at=window.closed_at,
        is_open=window.closed_at is None and window.opens_on <= today <= window.closes_on,
    )


def rating_out(row: RatingRow) -> RatingOut:
    rating = row.rating
    return RatingOut(
        window=row.window,
        task_number=row.task_number,
        task_title=row.task_title,
        rater_unit=row.rater_unit,
        rated_unit=row.rated_unit,
        rated_unit_name=row.rated_unit_name,
        score=float(rating.score) if rating else None,
        comment=rating.comment if rating else "",
        version=rating.version if rating else None,
        updated_at=rating.updated_at if rating else None,
    )


async def _window(
    session: AsyncSession, programme: Programme, code: str, *, lock: Lock | None = None
) -> RatingWindow:
    window = await RatingWindowRepository(session).by_code(programme.id, code, lock=lock)
    if window is None:
        raise NotFound(f"评分窗口 {code} 不存在")
    return window


async def create_window(
    session: AsyncSession, principal: Principal, programme: Programme, body: WindowIn
) -> WindowOut:
    """The office sets a rating window; every lead unit of the programme is told in its inbox."""
    windows = RatingWindowRepository(session)
    if await windows.by_code(programme.id, body.code) is not None:
        raise Conflict(f"评分窗口 {body.code} 已存在")
    window = await windows.add(RatingWindow(programme_id=programme.id, **body.model_dump()))
    await audit.record(
        session,
        actor=principal,
        action="rating_window.created",
        entity_type="rating_window",
        entity_id=f"{programme.code}/{body.code}",
        after=body.model_dump(),
    )
    for unit_id in await windows.lead_unit_ids(programme.id):
        await notify(
            session,
            unit_id,
            "rating",
            f"【评分】{body.name}评分窗口",
            f"请在 {body.opens_on} 至 {body.closes_on} 期间对所牵头任务的责任单位评分"
            f"（满分 {body.scale_max}）。",
            link=f"/ratings/{body.code}",
            dedupe_key=f"rating-window:{programme.code}:{body.code}:{unit_id}",
        )
    return window_out(window, today_shanghai())


async def list_windows(
    session: AsyncSession, programme: Programme, page: PageParams
) -> Page[WindowOut]:
    windows, total = await RatingWindowRepository(session).page(programme.id, page)
    today = today_shanghai()
    return Page[WindowOut](items=[window_out(w, today) for w in windows], total=total)


async def close_window(
    session: AsyncSession, principal: Principal, programme: Programme, code: str
) -> WindowOut:
    """Closing ends editing: no rating of the window changes afterwards."""
    window = await _window(session, programme, code, lock="update")
    if window.closed_at is not None:
        raise Conflict(f"评分窗口 {code} 已关闭")
    window.closed_at = now_utc()
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="rating_window.closed",
        entity_type="rating_window",
        entity_id=f"{programme.code}/{code}",
        after={"closed_at": window.closed_at},
    )
    return window_out(window, today_shanghai())


async def sheet(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    code: str,
    page: PageParams,
) -> Page[RatingOut]:
    """A lead unit's rating sheet: every (task it leads, responsible unit) pair with the current
    score; the office and viewers see every pair. A unit that leads nothing gets an empty sheet."""
    window = await _window(session, programme, code)
    if principal.can_read_unit(None):
        lead_code = None
    elif principal.is_unit and principal.unit_code:
        lead_code = principal.unit_code
    else:
        raise Forbidden("只有牵头单位可以查看评分表")
    rows, total = await RatingRepository(session).sheet(programme.id, window, lead_code, page)
    return Page[RatingOut](items=[rating_out(r) for r in rows], total=total)


def check_window_accepts_ratings(window: RatingWindow, today: date) -> None:
    """Ratings are given inside the window the office set, until it closes (seed
    001_643c54550577dac0.txt: lead units rate responsible units; the window is an office
    default, docs/RULES.md: "Ratings only within the office's window …")."""
    if window.closed_at is not None or today > window.closes_on:
        raise Conflict(f"评分窗口 {window.code} 已关闭，不能再评分或修改评分")
    if today < window.opens_on:
        raise Conflict(
            f"评分窗口 {window.code} 未开放（开放期 {window.opens_on} 至 {window.closes_on}）"
        )


def check_rated_unit(principal: Principal, task: Task, unit_code: str) -> Unit:
    """Seed 001_643c54550577dac0.txt: the lead unit rates the responsible units of its task —
    only those, and never itself (docs/RULES.md: "The lead unit rates its task's responsible
    units …")."""
    require_lead(principal, task)
    if unit_code == principal.unit_code:
        raise ValidationFailed("不能为本单位评分")
    rated = next((u for u in task.responsible_units if u.code == unit_code), None)
    if rated is None:
        raise ValidationFailed(f"{unit_code} 不是任务 {task.number} 的责任单位")
    return rated


def check_score(window: RatingWindow, body: RatingIn) -> None:
    errors = []
    if body.score > window.scale_max:
        errors.append(
            FieldError(
                loc=["body", "score"],
                msg=f"评分不能超过满分 {window.scale_max}",
                type="less_than_equal",
            )
        )
    if body.score < LOW_SCORE_SHARE * window.scale_max and not body.comment.strip():
        errors.append(
            FieldError(
                loc=["body", "comment"],
                msg=f"低于 {LOW_SCORE_SHARE * window.scale_max:g} 分的评分必须填写理由",
                type="missing",
            )
        )
    if errors:
        raise ValidationFailed("；".join(e.msg for e in errors), errors=errors)


def _version_matches(if_match: str, version: int) -> bool:
    tag = if_match.strip()
    return tag == "*" or tag.removeprefix("W/").strip('"') == str(version)


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
    """Create or change the one rating of (window, task, rated unit). Changing an existing
    rating with a stale If-Match is refused (412); every save is a `rating.submitted` event
    carrying the rating's version, so evaluation keeps the latest."""
    window = await _window(session, programme, code, lock="share")
    task = await readable_task(session, principal, programme, number)
    rated = check_rated_unit(principal, task, unit_code)
    check_window_accepts_ratings(window, today_shanghai())
    check_score(window, body)
    ratings = RatingRepository(session)
    created = await ratings.insert_if_absent(
        window_id=window.id,
        task_id=task.id,
        rater_unit_id=task.lead_unit_id,
        rated_unit_id=rated.id,
        score=body.score,
        comment=body.comment,
        rated_by=principal.username,
    )
    rating: Rating = await ratings.for_update(window.id, task.id, rated.id)
    before = None
    if created:
        if if_match is not None and if_match.strip() != "*":
            raise PreconditionFailed("该评分尚不存在，If-Match 版本号无效，请刷新后重试")
    else:
        if if_match is not None and not _version_matches(if_match, rating.version):
            raise PreconditionFailed(f"该评分已被修改（当前版本 {rating.version}），请刷新后重试")
        before = {"score": rating.score, "comment": rating.comment, "version": rating.version}
        rating.score = float(body.score)
        rating.comment = body.comment
        rating.rater_unit_id = task.lead_unit_id
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
        occurred_at=now_utc(),
    )
    await audit.record(
        session,
        actor=principal,
        action="rating.submitted",
        entity_type="rating",
        entity_id=f"{programme.code}/{code}/{number}/{unit_code}",
        before=before,
        after={"score": body.score, "comment": body.comment, "version": rating.version},
    )
    return rating_out(
        RatingRow(code, number, task.title, task.lead_unit.code, unit_code, rated.name, rating)
    )


async def list_ratings(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    window: str | None,
    task_number: int | None,
    unit: str | None,
) -> Page[RatingOut]:
    """Office and viewers: every rating; a lead unit: the ratings it gave; a unit: the ratings it
    received, with the rater's comment."""
    rows, total = await RatingRepository(session).readable_page(
        principal,
        programme.id,
        page,
        window=window,
        task_number=task_number,
        rated_unit=unit,
    )
    return Page[RatingOut](items=[rating_out(r) for r in rows], total=total)
