"""Demo problem list (问题清单) of the 2026 programme, from `data/problems.json`.

Seeds 003_fe0a5556b3029276.txt (problem / cause / measure lists) and 002_c95ffdd180ea7e81.txt
(problems closed out item by item). Each row:

    {"number": 1, "source": "inspection" | "hotline" | "survey" | "self_check" (or 督查 / 热线 /
     调查 / 自查), "problem": "…", "cause": "…", "measure": "…", "responsible_unit": "<unit code>",
     "found_on": "2026-03-02", "due_on" (or "due_date"): "2026-05-31",
     "closed_on": "2026-05-20" | null, "progress": ["进展说明", …]}

`number` defaults to the row's position in the file; a problem is closed when it has a
`closed_on` that is not after today (a close-out dated in the future has not happened yet);
`cause`/`measure`/`progress` default to empty. The file may be a list of rows or
`{"problems": [...]}`.

Loading is idempotent: rows are keyed by (programme, number) and a number already present is left
as it is. A problem closed in the data is told to evaluation (`problem.closed`) when it is
created, as reform_tasks would have done.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import outbox
from shared.clock import SHANGHAI, today_shanghai
from shared.context import current_service
from shared.models import Problem, ProblemSource, ProblemStatus, Programme, TimelineEntry, Unit

DATA_FILE = "problems.json"
SOURCE_LABELS = {
    "督查": ProblemSource.inspection,
    "督导": ProblemSource.inspection,
    "检查": ProblemSource.inspection,
    "热线": ProblemSource.hotline,
    "12345": ProblemSource.hotline,
    "调查": ProblemSource.survey,
    "问卷": ProblemSource.survey,
    "测评": ProblemSource.survey,
    "自查": ProblemSource.self_check,
}


def read_rows() -> list[dict[str, Any]]:
    """The rows of `data/problems.json` ([] if the file is not there)."""
    path = resources.files("shared.demo").joinpath("data", DATA_FILE)
    if not path.is_file():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    rows = raw.get("problems", []) if isinstance(raw, dict) else raw
    return [dict(row) for row in rows]


def _source(value: str) -> ProblemSource:
    try:
        return ProblemSource(value)
    except ValueError:
        for label, source in SOURCE_LABELS.items():
            if label in value:
                return source
        raise ValueError(f"problems.json: unknown source {value!r}") from None


def _due_on(row: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(row.get("due_on") or row["due_date"]))


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


async def load_problems(
    session: AsyncSession,
    programme: Programme,
    units_by_code: Mapping[str, Unit],
    *,
    rows: Sequence[Mapping[str, Any]] | None = None,
    as_of: date | None = None,
) -> int:
    """Create the programme's demo problems that do not exist yet; returns how many were
    created. `rows` replaces the data file (tests); `as_of` is the demo's today."""
    rows = read_rows() if rows is None else rows
    today = as_of or today_shanghai()
    existing = set(
        (
            await session.scalars(
                select(Problem.number).where(Problem.programme_id == programme.id)
            )
        ).all()
    )
    created = 0
    for position, row in enumerate(rows, start=1):
        number = int(row.get("number", position))
        if number in existing:
            continue
        code = str(row.get("responsible_unit") or row.get("unit") or "")
        unit = units_by_code.get(code)
        if unit is None:
            raise ValueError(f"problems.json: problem {number} names unknown unit {code!r}")
        found_on = date.fromisoformat(str(row["found_on"]))
        due_on = _due_on(row)
        closed_on = date.fromisoformat(str(row["closed_on"])) if row.get("closed_on") else None
        if closed_on is not None and closed_on > today:
            closed_on = None
        closed = closed_on is not None
        problem_id = await session.scalar(
            insert(Problem)
            .values(
                programme_id=programme.id,
                number=number,
                source=_source(str(row["source"])),
                problem=str(row["problem"]),
                cause=str(row.get("cause", "")),
                measure=str(row.get("measure", "")),
                responsible_unit_id=unit.id,
                found_on=found_on,
                due_on=due_on,
                status=ProblemStatus.closed if closed else ProblemStatus.open,
                closed_on=closed_on,
            )
            .on_conflict_do_nothing(index_elements=[Problem.programme_id, Problem.number])
            .returning(Problem.id)
        )
        if problem_id is None:  # created meanwhile by someone else
            continue
        created += 1
        existing.add(number)
        await _history(session, programme, problem_id, number, unit, row, found_on, closed_on)
    await session.flush()
    return created


async def _history(
    session: AsyncSession,
    programme: Programme,
    problem_id: int,
    number: int,
    unit: Unit,
    row: Mapping[str, Any],
    found_on: date,
    closed_on: date | None,
) -> None:
    """The new problem's timeline, and its close-out told to evaluation."""
    due_on = _due_on(row)
    entries = [
        TimelineEntry(
            subject_type="problem",
            subject_id=problem_id,
            kind="problem.created",
            summary=f"改革办登记问题，责任单位：{unit.short_name}，整改期限 {due_on}",
            occurred_at=_at(found_on, 10),
            actor_username="office",
            data={},
        )
    ]
    for note in row.get("progress") or []:
        entries.append(
            TimelineEntry(
                subject_type="problem",
                subject_id=problem_id,
                kind="problem.progress",
                summary=str(note),
                occurred_at=_at(found_on, 16),
                actor_username=unit.code,
                actor_unit_code=unit.code,
                data={},
            )
        )
    if closed_on is not None:
        entries.append(
            TimelineEntry(
                subject_type="problem",
                subject_id=problem_id,
                kind="problem.closed",
                summary="改革办销号：整改到位",
                occurred_at=_at(closed_on, 17),
                actor_username="office",
                data={"on_time": closed_on <= due_on},
            )
        )
    session.add_all(entries)
    if closed_on is None:
        return
    token = current_service.set("reform_tasks")
    try:
        await outbox.enqueue(
            session,
            "problem.closed",
            {
                "problem_number": number,
                "unit": unit.code,
                "source": _source(str(row["source"])),
                "found_on": found_on,
                "due_on": due_on,
                "closed_on": closed_on,
                "on_time": closed_on <= due_on,
            },
            programme=programme.code,
            unit_code=unit.code,
            occurred_at=_at(closed_on, 17),
        )
    finally:
        current_service.reset(token)
