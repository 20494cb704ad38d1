"""A programme's life as evaluation sees it (issue #21; docs/EVALUATION.md "Programmes"):

- `programme.created` with `copy_from`: the new programme gets the copied programme's rule set
  in force at its end as a draft, for the office to edit and publish (docs/RULES.md: "A new
  programme copied from another gets that programme's rule set as a draft …");
- `programme.closed`: its scores are frozen as the year's final results (docs/RULES.md: "A
  closed programme's scores are frozen …"); facts of it that still arrive are parked
  (`ledger.park_closed`), and what would change its scores is a 409 (`ledger.ensure_open`).

Both events are kept as facts (`evaluation.facts`), like every event consumed, but score
nothing: they never reach the per-unit ledger, and a recompute skips them."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger import service as ledger
from services.evaluation.ledger.repository import LedgerRepository
from services.evaluation.programme.repository import ProgrammeRepository
from services.evaluation.programme.schemas import FinalResults
from services.evaluation.rule_set.repository import RuleSetRepository
from services.evaluation.rule_set.service import year_start
from services.evaluation.score import service as scores
from services.evaluation.score.ranks import Placing, placings
from shared import audit
from shared.auth import Principal
from shared.events import EventEnvelope, ProgrammeClosed, ProgrammeCreated
from shared.models import Role, RuleSet, RuleSetStatus
from shared.periods import Period, parse_period, period_containing

PROGRAMME_EVENTS = ("programme.created", "programme.closed")
# Who acts when an event arrives without a caller (a replay from the CLI, a test).
SYSTEM = Principal(username="system", role=Role.service, unit_code=None)


async def consume(session: AsyncSession, event: EventEnvelope, producer: Principal | None) -> None:
    """Apply a programme event (its inbox claim and fact are already stored); one whose data
    does not fit the catalogue is parked with the reason."""
    data = ledger.typed_data(event)
    actor = producer or SYSTEM
    if isinstance(data, ProgrammeCreated):
        await copy_rule_set(session, data, actor)
    elif isinstance(data, ProgrammeClosed):
        await close(session, event, data, actor)
    else:
        await ledger.park(session, event, str(data))


def copy_note(programme: str, version: int) -> str:
    if version == 0:
        return f"复制自 {programme} 年默认评分规则"
    return f"复制自 {programme} 年第 {version} 版"


async def copy_rule_set(session: AsyncSession, data: ProgrammeCreated, actor: Principal) -> None:
    """The new programme's rule set starts as a copy of `copy_from`'s in force at its end (its
    latest published version by then) — a draft, effective from the new programme's first day
    once the office publishes it. Until then the programme scores with the default set,
    published from its first day (`ledger.ensure_default_rule_set`). Nothing without
    `copy_from`; a second delivery, or a second event for the same copy, adds nothing."""
    if data.copy_from is None:
        return
    source_book = await ledger.rule_book(session, data.copy_from)
    # A programme that never stored rules scored with the default set (version 0): that is
    # what is copied, and the source is left as it is.
    version, body = source_book.at(date(year_start(data.copy_from).year, 12, 31))
    note = copy_note(data.copy_from, version)
    repo = RuleSetRepository(session)
    await ProgrammeRepository(session).lock([f"rule_sets:{data.code}"], exclusive=True)
    if any(r.note == note for r in await repo.versions(data.code)):
        return
    await ledger.ensure_default_rule_set(session, data.code, data.starts_on, actor.username)
    draft = RuleSet(
        programme=data.code,
        version=await repo.highest_version(data.code) + 1,
        status=RuleSetStatus.draft,
        body=body.model_dump(mode="json"),
        note=note,
        effective_from=data.starts_on,
        created_by=actor.username,
    )
    session.add(draft)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="rule_set.copied",
        entity_type="rule_set",
        entity_id=f"{data.code}/v{draft.version}",
        after={
            "copied_from": f"{data.copy_from}/v{version}",
            "note": note,
            "effective_from": data.starts_on,
            "body": draft.body,
        },
    )


def year_periods(year: int) -> list[Period]:
    """Every period of a year: the year, its halves, quarters and months."""
    found = {p.id: p for p in [parse_period(str(year))]}
    for kind in ("half", "quarter", "month"):
        for month in range(1, 13):
            period = period_containing(date(year, month, 1), kind)
            found[period.id] = period
    return list(found.values())


async def close(
    session: AsyncSession, event: EventEnvelope, data: ProgrammeClosed, actor: Principal
) -> None:
    """Freeze the programme's scores for the year and every half, quarter and month of it, as
    `GET /scores` and the rankings answer them now, and mark it closed. Holds the programme's
    lock exclusively: no fact, input or recompute of it is applied meanwhile. Once closed, a
    second `programme.closed` changes nothing."""
    repo = ProgrammeRepository(session)
    await repo.lock([data.code], exclusive=True)
    if await repo.closed([data.code]):
        return
    rows = []
    for period in year_periods(data.year):
        rows += await _frozen_rows(session, data.code, period, actor)
    await repo.add_closed(
        code=data.code,
        year=data.year,
        closed_on=data.closed_on,
        closed_by=data.closed_by,
        event_id=event.id,
    )
    await repo.add_results(rows)
    await audit.record(
        session,
        actor=actor,
        action="programme.results_frozen",
        entity_type="programme",
        entity_id=data.code,
        after={
            "closed_on": data.closed_on,
            "closed_by": data.closed_by,
            "periods": len({r["period"] for r in rows}),
            "results": len(rows),
        },
    )


async def _frozen_rows(
    session: AsyncSession, programme: str, period: Period, actor: Principal
) -> list[dict[str, object]]:
    """One period's final results: each unit's score as `GET /scores` shows it whole, and its
    place in its ranking group as the rankings place it (`ranks.placings` over the group's
    active units)."""
    book = await ledger.rule_book(session, programme)
    _, rules = book.at(period.end)
    shown = await scores.list_scores(session, actor, programme, period, as_of=None, kind=None)
    kinds = await LedgerRepository(session).unit_kinds()
    flagged = await scores.survey_accountability(session, programme, period, rules)
    placed: dict[str, tuple[str | None, Placing | None]] = {}
    for group in rules.ranking_groups:
        totals = {s.unit_code: s.total for s in shown if kinds.get(s.unit_code) in group.unit_kinds}
        for code, placing in placings(
            totals, rules.top_n, rules.bottom_n, rules.naming_margin
        ).items():
            placed[code] = (group.key, placing)
    rows: list[dict[str, object]] = []
    for s in shown:
        group_key, place = placed.get(s.unit_code, (None, None))
        rows.append(
            {
                "programme": programme,
                "period": period.id,
                "unit_code": s.unit_code,
                "unit_name": s.unit_name,
                "unit_kind": s.unit_kind,
                "ranking_group": group_key,
                "rank": place.rank if place else None,
                "top": bool(place and place.top),
                "bottom": bool(place and place.bottom),
                "survey_accountability": s.unit_code in flagged,
                "total": s.total,
                "max_total": s.max_total,
                "grade": s.grade,
                "components": [c.model_dump(mode="json") for c in s.components],
                "rule_set_version": s.rule_set_version,
                "scored_at": s.updated_at,
            }
        )
    return rows


async def final_results(session: AsyncSession, programme: str) -> FinalResults:
    """The year-end 结果 list: the year's ranking of every group of the rule set — the frozen
    final results once the programme is closed (rankings read them), provisional before."""
    year = year_start(programme).year
    period = parse_period(str(year))
    closed = await ProgrammeRepository(session).closed_programme(programme)
    _, rules = (await ledger.rule_book(session, programme)).at(period.end)
    rankings = [
        await scores.rankings(session, programme, period, group.key)
        for group in rules.ranking_groups
    ]
    return FinalResults(
        programme=programme,
        period=period.id,
        closed=closed is not None,
        closed_on=closed.closed_on if closed else None,
        closed_by=closed.closed_by if closed else None,
        rankings=rankings,
    )
