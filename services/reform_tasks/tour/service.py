"""The "4+2" 项目观摩 (issue #27; seed 003_fe0a5556b3029276.txt item 21: "每年组织2次(7月初,开展
年中观摩活动;12月底,开展年末观摩活动)……观摩每个县(市、区)的四个新开工项目和两个竣工项目。每次观摩
对各县(市、区)、开发区项目建设情况进行量化打分。观摩评价结果作为年中考评和年末考核的重要依据。").

A round per half-year (年中 / 年末) of the programme. Its score sheet starts as the office's
default items (`DEFAULT_SHEET`, office defaults: no seed gives the items or their points) and can
be edited until the first score is recorded. Each district shows its projects (the seed's 4 new
starts + 2 completed is the expectation: a different mix is shown as a warning, never refused).
The office records the inspection team's points per district and item (0..the item's maximum),
audited; publishing locks them, ranks the districts by total (ties share a rank) and sends each
district's result to evaluation (`tour.published`), where it is the district's `tour` component.
Before publishing a district sees no scores; after, its own points per item and every district's
total and rank."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.tour.repository import TourRepository
from services.reform_tasks.tour.schemas import (
    DistrictOut,
    ScoreOut,
    ScoresIn,
    SheetIn,
    SheetItemOut,
    ShownProjectOut,
    ShownProjectsIn,
    TourRoundDetailOut,
    TourRoundIn,
    TourRoundOut,
)
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import moment_of, now_utc
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.events import TourPublished
from shared.models import (
    Programme,
    Project,
    TourKind,
    TourProject,
    TourProjectRole,
    TourRound,
    TourScore,
    TourSheetItem,
    TourStatus,
    Unit,
    UnitKind,
)
from shared.pagination import Page, PageParams

# Office defaults (no seed gives the sheet): the items and their maximum points, 100 in all.
DEFAULT_SHEET: tuple[tuple[str, Decimal], ...] = (
    ("项目质量", Decimal(30)),
    ("建设进度", Decimal(25)),
    ("投资强度", Decimal(20)),
    ("要素保障", Decimal(15)),
    ("观摩组织", Decimal(10)),
)
# Seed 003 item 21: "观摩每个县(市、区)的四个新开工项目和两个竣工项目".
EXPECTED_MIX = {TourProjectRole.new_start: 4, TourProjectRole.completed: 2}
KIND_LABELS = {TourKind.mid_year: "年中", TourKind.year_end: "年末"}
# Totals are compared as published, to two decimals (as evaluation ranks them).
PUBLISHED_DECIMALS = 2


def _invalid(message: str, *loc: str | int) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[FieldError(loc=["body", *loc], msg=message, type="value_error")]
    )


def mix_warning(district: Unit, roles: Sequence[TourProjectRole]) -> str | None:
    """The seed's expectation (4 new starts, 2 completed) as a warning when the mix differs."""
    counts = Counter(roles)
    if all(counts[role] == n for role, n in EXPECTED_MIX.items()):
        return None
    return (
        f"{district.short_name}展示新开工项目{counts[TourProjectRole.new_start]}个、竣工项目"
        f"{counts[TourProjectRole.completed]}个，与“4+2”（4个新开工、2个竣工项目）不符"
    )


def competition_ranks(totals: dict[str, Decimal]) -> dict[str, int]:
    """Higher total first; tied totals (to two decimals) share a rank (1, 2, 2, 4)."""
    rounded = {code: round(total, PUBLISHED_DECIMALS) for code, total in totals.items()}
    return {
        code: 1 + sum(1 for t in rounded.values() if t > mine) for code, mine in rounded.items()
    }


def _round_out(tour: TourRound, items: Sequence[TourSheetItem], scored: bool) -> TourRoundOut:
    return TourRoundOut(
        id=tour.id,
        kind=tour.kind,
        name=tour.name,
        held_on=tour.held_on,
        status=tour.status,
        sheet_editable=tour.status is TourStatus.open and not scored,
        max_total=float(sum((i.max_points for i in items), Decimal(0))),
        published_at=tour.published_at,
        published_by=tour.published_by,
    )


def _sees_scores(principal: Principal, district: Unit, tour: TourRound) -> bool:
    """The office and viewers see every district's points; a unit its own, once published."""
    if principal.can_read_unit(None):
        return True
    return tour.status is TourStatus.published and principal.unit_code == district.code


def _totals(scores: Sequence[TourScore]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for score in scores:
        totals[score.district_unit_id] += score.points
    return totals


async def _detail(
    session: AsyncSession, principal: Principal, tour: TourRound
) -> TourRoundDetailOut:
    repository = TourRepository(session)
    items = await repository.items([tour.id])
    scores = await repository.scores(tour.id)
    shown: dict[int, list[tuple[TourProject, Project]]] = defaultdict(list)
    for row, project in await repository.shown(tour.id):
        shown[row.district_unit_id].append((row, project))
    by_district: dict[int, list[TourScore]] = defaultdict(list)
    for score in scores:
        by_district[score.district_unit_id].append(score)
    districts = await repository.districts()
    published = tour.status is TourStatus.published
    totals = _totals(scores)
    ranks = competition_ranks({d.code: totals.get(d.id, Decimal(0)) for d in districts})
    out = []
    for district in districts:
        own = by_district[district.id]
        out.append(
            DistrictOut(
                unit_code=district.code,
                unit_name=district.name,
                projects=[
                    ShownProjectOut(
                        project_id=p.id, code=p.code, name=p.name, stage=p.stage, role=row.role
                    )
                    for row, p in shown[district.id]
                ],
                mix_warning=mix_warning(district, [row.role for row, _ in shown[district.id]]),
                scores=[ScoreOut(item_id=s.item_id, points=float(s.points)) for s in own]
                if _sees_scores(principal, district, tour)
                else None,
                scored_items=len(own),
                total=float(totals.get(district.id, Decimal(0))) if published else None,
                rank=ranks[district.code] if published else None,
            )
        )
    if published:
        out.sort(key=lambda d: (d.rank or 0, d.unit_code))
    summary = _round_out(tour, items, bool(scores))
    return TourRoundDetailOut(
        **summary.model_dump(),
        items=[
            SheetItemOut(id=i.id, ordinal=i.ordinal, name=i.name, max_points=float(i.max_points))
            for i in items
        ],
        districts=out,
    )


async def _round(
    session: AsyncSession, programme: Programme, round_id: int, *, lock: bool = False
) -> TourRound:
    tour = await TourRepository(session).get(programme.id, round_id, lock=lock)
    if tour is None:
        raise NotFound("观摩轮次不存在")
    return tour


async def _open_round(session: AsyncSession, programme: Programme, round_id: int) -> TourRound:
    tour = await _round(session, programme, round_id, lock=True)
    if tour.status is TourStatus.published:
        raise Conflict(f"{tour.name}已发布，评分已锁定")
    return tour


async def _district(session: AsyncSession, code: str) -> Unit:
    district = await TourRepository(session).district_by_code(code)
    if district is None or district.kind is not UnitKind.district or not district.is_active:
        raise NotFound(f"区县 {code} 不存在")
    return district


async def create(
    session: AsyncSession, principal: Principal, programme: Programme, body: TourRoundIn
) -> TourRoundDetailOut:
    """One round of each kind per programme (409 for a second), held within the programme's
    year (422); its sheet is the office's default items."""
    repository = TourRepository(session)
    if not programme.starts_on <= body.held_on <= programme.ends_on:
        raise _invalid(
            f"观摩日期须在{programme.name}的年度内（{programme.starts_on}至{programme.ends_on}）",
            "held_on",
        )
    if await repository.of_kind(programme.id, body.kind) is not None:
        raise Conflict(f"{programme.name}已有{KIND_LABELS[body.kind]}观摩")
    name = body.name or f"{body.held_on.year}年{KIND_LABELS[body.kind]}“4+2”项目观摩"
    tour = TourRound(
        programme_id=programme.id,
        kind=body.kind,
        name=name,
        held_on=body.held_on,
        status=TourStatus.open,
        created_by=principal.username,
    )
    await repository.add(tour)
    session.add_all(
        TourSheetItem(
            programme_id=programme.id,
            round_id=tour.id,
            ordinal=ordinal,
            name=item,
            max_points=points,
        )
        for ordinal, (item, points) in enumerate(DEFAULT_SHEET, start=1)
    )
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="tour.created",
        entity_type="tour_round",
        entity_id=tour.id,
        after={"kind": tour.kind, "name": name, "held_on": tour.held_on},
    )
    return await _detail(session, principal, tour)


async def list_rounds(
    session: AsyncSession, principal: Principal, programme: Programme, page: PageParams
) -> Page[TourRoundOut]:
    repository = TourRepository(session)
    rows, total = await repository.page(programme.id, page)
    items: dict[int, list[TourSheetItem]] = defaultdict(list)
    for item in await repository.items(r.id for r in rows):
        items[item.round_id].append(item)
    scored = await repository.scored_rounds(r.id for r in rows)
    return Page[TourRoundOut](
        items=[_round_out(r, items[r.id], r.id in scored) for r in rows], total=total
    )


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, round_id: int
) -> TourRoundDetailOut:
    return await _detail(session, principal, await _round(session, programme, round_id))


async def update_sheet(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    round_id: int,
    body: SheetIn,
) -> TourRoundDetailOut:
    """The office edits the sheet (items and maximum points) before scoring starts: once a
    score is recorded (or the round published) it is fixed (409)."""
    repository = TourRepository(session)
    tour = await _open_round(session, programme, round_id)
    if await repository.score_count(tour.id):
        raise Conflict(f"{tour.name}已开始打分，评分表不能再修改")
    before = [(i.name, i.max_points) for i in await repository.items([tour.id])]
    await repository.replace_items(
        tour,
        [
            TourSheetItem(
                programme_id=programme.id,
                round_id=tour.id,
                ordinal=ordinal,
                name=item.name,
                max_points=item.max_points,
            )
            for ordinal, item in enumerate(body.items, start=1)
        ],
    )
    await audit.record(
        session,
        actor=principal,
        action="tour.sheet_changed",
        entity_type="tour_round",
        entity_id=tour.id,
        before={"items": before},
        after={"items": [(i.name, i.max_points) for i in body.items]},
    )
    return await _detail(session, principal, tour)


async def set_projects(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    round_id: int,
    unit_code: str,
    body: ShownProjectsIn,
) -> TourRoundDetailOut:
    """The projects a district shows: key projects of this programme in that district (422
    otherwise). A mix other than 4 new starts + 2 completed is accepted with a warning."""
    tour = await _open_round(session, programme, round_id)
    district = await _district(session, unit_code)
    projects = await TourRepository(session).projects(
        programme.id, (p.project_id for p in body.projects)
    )
    for index, shown in enumerate(body.projects):
        project = projects.get(shown.project_id)
        if project is None:
            raise _invalid(f"{programme.name}中没有重点项目 {shown.project_id}", "projects", index)
        if project.district_unit_id != district.id:
            raise _invalid(f"重点项目“{project.name}”不在{district.short_name}", "projects", index)
    await TourRepository(session).replace_shown(
        tour,
        district,
        [
            TourProject(
                programme_id=programme.id,
                round_id=tour.id,
                district_unit_id=district.id,
                project_id=p.project_id,
                role=p.role,
            )
            for p in body.projects
        ],
    )
    await audit.record(
        session,
        actor=principal,
        action="tour.projects_set",
        entity_type="tour_round",
        entity_id=tour.id,
        after={"district": district.code, "projects": [p.model_dump() for p in body.projects]},
    )
    return await _detail(session, principal, tour)


async def set_scores(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    round_id: int,
    unit_code: str,
    body: ScoresIn,
) -> TourRoundDetailOut:
    """The inspection team's points for a district (office only), each 0..the item's maximum
    (422 naming the item); a point already given is replaced; audited with before and after."""
    tour = await _open_round(session, programme, round_id)
    district = await _district(session, unit_code)
    repository = TourRepository(session)
    items = {i.id: i for i in await repository.items([tour.id])}
    for index, score in enumerate(body.scores):
        item = items.get(score.item_id)
        if item is None:
            raise _invalid(f"评分项 {score.item_id} 不在{tour.name}的评分表中", "scores", index)
        if score.points > item.max_points:
            raise _invalid(
                f"“{item.name}”得分 {score.points} 超过满分 {item.max_points}",
                "scores",
                index,
                "points",
            )
    existing = await repository.district_scores(tour.id, district.id)
    before = {items[i].name: s.points for i, s in existing.items()}
    now = now_utc()
    for score in body.scores:
        row = existing.get(score.item_id)
        if row is None:
            session.add(
                TourScore(
                    programme_id=programme.id,
                    round_id=tour.id,
                    district_unit_id=district.id,
                    item_id=score.item_id,
                    points=score.points,
                    scored_by=principal.username,
                    scored_at=now,
                )
            )
        else:
            row.points, row.scored_by, row.scored_at = score.points, principal.username, now
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="tour.scored",
        entity_type="tour_round",
        entity_id=tour.id,
        before={"district": district.code, "scores": before},
        after={
            "district": district.code,
            "scores": {items[s.item_id].name: s.points for s in body.scores},
        },
    )
    return await _detail(session, principal, tour)


def _missing(
    districts: Sequence[Unit], items: Sequence[TourSheetItem], scores: Sequence[TourScore]
) -> list[str]:
    given = {(s.district_unit_id, s.item_id) for s in scores}
    missing = []
    for district in districts:
        names = [i.name for i in items if (district.id, i.id) not in given]
        if names:
            missing.append(f"{district.short_name}：{'、'.join(names)}")
    return missing


async def publish(
    session: AsyncSession, principal: Principal, programme: Programme, round_id: int
) -> TourRoundDetailOut:
    """Publish the round once every district has a score on every item (409 listing what is
    missing): the scores are locked, each district's total and rank are sent to evaluation
    (`tour.published`, dated the round's day) and to the district's inbox; audited."""
    tour = await _open_round(session, programme, round_id)
    repository = TourRepository(session)
    items = await repository.items([tour.id])
    scores = await repository.scores(tour.id)
    districts = await repository.districts()
    missing = _missing(districts, items, scores)
    if missing or not districts:
        raise Conflict(f"尚未打分：{'；'.join(missing) or '没有区县'}")
    max_total = sum((i.max_points for i in items), Decimal(0))
    totals = _totals(scores)
    ranks = competition_ranks({d.code: totals[d.id] for d in districts})
    tour.status, tour.published_at, tour.published_by = (
        TourStatus.published,
        now_utc(),
        principal.username,
    )
    await session.flush()
    for district in districts:
        total, rank = totals[district.id], ranks[district.code]
        await outbox.enqueue(
            session,
            "tour.published",
            TourPublished(
                round_code=f"{programme.code}-{tour.kind.value}"[:32],
                round_name=tour.name,
                held_on=tour.held_on,
                total=float(total),
                max_total=float(max_total),
                rank=rank,
                districts=len(districts),
            ),
            programme=programme.code,
            unit_code=district.code,
            occurred_at=moment_of(tour.held_on),
        )
        await notify(
            session,
            district.id,
            "tour",
            f"【观摩结果】{tour.name}",
            f"{district.short_name}得分 {total} / {max_total}，"
            f"第{rank}名（共{len(districts)}个区县）",
            link=f"/tours/{tour.id}",
            dedupe_key=f"tour:{tour.id}:{district.code}",
        )
    await audit.record(
        session,
        actor=principal,
        action="tour.published",
        entity_type="tour_round",
        entity_id=tour.id,
        after={
            "results": {d.code: {"total": totals[d.id], "rank": ranks[d.code]} for d in districts}
        },
    )
    return await _detail(session, principal, tour)
