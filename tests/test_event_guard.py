"""The outbox's guard in the database (shared/event_guard.py): generated from the catalogue, the
same verdict as pydantic on any data, and every statement that writes a misfit is refused."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from migrations.history import SQL_DIRS
from shared import event_guard
from shared.events import EVENTS, REMINDER_PREFIX, EventData, Reminder, consumer_of, parse_data
from tests.event_data import event_data

# A model's own validator is Python's alone (shared/event_guard.py): compared on the rest.
TYPES = [t for t in EVENTS if t != "supervision.escalated"] + [f"{REMINDER_PREFIX}due_soon"]
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
EDGE_STRINGS = ["", "x" * 33, "2026-02-30", "2026-1-01", "2026-01-01T00:00:00", "satisfied"]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([0.5, 1.0, -1.5, 1e300]),
    st.text(CHARACTERS, max_size=40),
    st.sampled_from(EDGE_STRINGS),
    st.lists(st.text(CHARACTERS, max_size=3), max_size=2),
    st.dictionaries(st.text(CHARACTERS, max_size=3), st.integers(), max_size=1),
)


def _model(event_type: str) -> type[EventData]:
    return Reminder if event_type.startswith(REMINDER_PREFIX) else EVENTS[event_type].model


def _valid(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that fit `schema` (as the catalogue's JSON Schema says it)."""
    if "$ref" in schema:
        return _valid(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in schema:
        return st.one_of(*(_valid(option, defs) for option in schema["anyOf"]))
    kind = schema["type"]
    if kind == "string":
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if schema.get("format") == "date":
            return st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat)
        return st.text(
            CHARACTERS, min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 40)
        )
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40) - 1) + 1)
        return st.integers(min_value=low, max_value=schema.get("maximum"))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(min_value=low, allow_nan=False, allow_infinity=False).filter(
            lambda v: "exclusiveMinimum" not in schema or v > schema["exclusiveMinimum"]
        )
    if kind == "array":
        return st.lists(_valid(schema["items"], defs), max_size=3)
    return {"boolean": st.booleans(), "null": st.none()}[kind]


OTHER_TYPES = [True, "1", 1, 1.5, [], {}]


def _misses(schema: dict[str, Any], defs: dict[str, Any]) -> list[Any]:
    """Values just outside `schema`: what its own limits refuse (one character too many or too
    few, a day that does not exist, a float where an integer belongs, one below the minimum, a
    word not in the list, an element too long), then values of another JSON type."""
    if "$ref" in schema:
        return _misses(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in schema:
        return [miss for option in schema["anyOf"] for miss in _misses(option, defs)]
    kind, misses = schema["type"], []
    if "maxLength" in schema:
        misses.append("x" * (schema["maxLength"] + 1))
    if schema.get("minLength", 0) > 0:
        misses.append("x" * (schema["minLength"] - 1))
    if schema.get("format") == "date":
        misses += ["2026-02-30", "2026-1-01", "2026-01-01T00:00:00", "2026-13-01"]
    if "enum" in schema:
        misses += [schema["enum"][0] + " ", schema["enum"][0].upper()]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        misses += [low - 1, low - 0.5, *([low + 0.5, float(low + 1)] if kind == "integer" else [])]
    if kind == "array":
        misses += [[1], [""], ["x" * 33], ["ok", None], "a"]
    return misses + OTHER_TYPES


def _near_miss(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(_misses(schema, defs))


@st.composite
def rows(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """(type, consumer, data): a third fit; the others are spoilt in one way only (one value a
    near miss or junk, one key missing, one extra, the wrong consumer), so that the verdict
    turns on that one check."""
    event_type = draw(st.sampled_from(TYPES))
    schema = _model(event_type).model_json_schema(mode="validation")
    defs, fields = schema.get("$defs", {}), schema["properties"]
    data = {name: draw(_valid(field, defs)) for name, field in fields.items()}
    consumer = consumer_of(event_type)
    spoil = draw(st.sampled_from(["none", "value", "value", "missing", "extra", "consumer"]))
    name = draw(st.sampled_from(sorted(fields)))
    if spoil == "value":
        data[name] = draw(
            st.one_of(_near_miss(fields[name], defs), _near_miss(fields[name], defs), JUNK)
        )
    elif spoil == "missing":
        del data[name]
    elif spoil == "extra":
        data[draw(st.sampled_from(["extra", "unit_code", "order_no"]))] = draw(JUNK)
    elif spoil == "consumer":
        consumer = draw(st.sampled_from(["reform_tasks", "oa", "evaluation"]))
    return event_type, consumer, data


def _fits(event_type: str, consumer: str, data: dict[str, Any]) -> bool:
    try:
        parse_data(event_type, data)
    except ValidationError:
        return False
    return consumer == consumer_of(event_type)


def test_the_database_runs_the_guard_the_catalogue_generates() -> None:
    """A catalogue change needs a new version of the guard (and the revision that loads it)."""
    newest = max((SQL_DIRS["platform"] / "fits_catalogue").glob("*.sql"))
    assert newest.read_text(encoding="utf-8") == event_guard.render_sql(), (
        f"the catalogue changed: write `python -m shared.event_guard` to a new version next to "
        f"{Path(newest).name}, loaded by a new revision"
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=st.lists(rows(), min_size=1, max_size=8))
async def test_the_guard_agrees_with_pydantic_on_any_data(
    connection: AsyncConnection, cases: list[tuple[str, str, dict[str, Any]]]
) -> None:
    await _judged_alike(connection, cases)


async def test_the_guard_judges_every_near_miss_of_every_field_as_pydantic_does(
    connection: AsyncConnection,
) -> None:
    """Each field of each type's sample data (tests/event_data.py) replaced, in turn, by each
    of its near misses."""
    cases = []
    for event_type in (t for t in TYPES if t in EVENTS):
        sample = event_data(event_type, "shichang")
        schema = _model(event_type).model_json_schema(mode="validation")
        for name, field in schema["properties"].items():
            for miss in _misses(field, schema.get("$defs", {})):
                cases.append((event_type, consumer_of(event_type), {**sample, name: miss}))
    assert len(cases) > 500
    await _judged_alike(connection, cases)


async def _judged_alike(
    connection: AsyncConnection, cases: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """The oracle reads the data as stored (jsonb keeps 1e+300 as the integer it equals), which
    is what the consumer is sent."""
    verdicts = (
        await connection.execute(
            text(
                "SELECT platform.fits_catalogue(c.type, c.consumer, c.data), c.data::text"
                " FROM unnest(CAST(:types AS text[]), CAST(:consumers AS text[]),"
                " CAST(:data AS jsonb[])) WITH ORDINALITY AS c(type, consumer, data, n)"
                " ORDER BY c.n"
            ),
            {
                "types": [c[0] for c in cases],
                "consumers": [c[1] for c in cases],
                "data": [json.dumps(c[2]) for c in cases],
            },
        )
    ).all()
    stored = [
        (t, consumer, json.loads(data))
        for (t, consumer, _), (_, data) in zip(cases, verdicts, strict=True)
    ]
    assert [fits for fits, _ in verdicts] == [_fits(*case) for case in stored]


INSERT = text(
    "INSERT INTO platform.outbox (id, type, occurred_at, data, producer, consumer)"
    " SELECT gen_random_uuid(), :type, now(), CAST(d AS jsonb), 'hotline_ingest', 'evaluation'"
    " FROM unnest(CAST(:data AS text[])) AS t(d)"
)
RESPONDED = {
    "order_no": "GD1",
    "kind": "help",
    "district_code": None,
    "received_on": "2026-06-01",
    "within_limit": True,
    "after_expiry": False,
}


async def test_a_statement_that_writes_one_misfit_writes_nothing(session: AsyncSession) -> None:
    count = text("SELECT count(*) FROM platform.outbox")
    before = await session.scalar(count)
    renamed = {**RESPONDED, "in_time": True}
    del renamed["within_limit"]
    savepoint = await session.begin_nested()
    with pytest.raises(DBAPIError, match="does not fit the event catalogue"):
        await session.execute(
            INSERT,
            {"type": "work_order.responded", "data": [json.dumps(RESPONDED), json.dumps(renamed)]},
        )
    await savepoint.rollback()
    assert await session.scalar(count) == before
    await session.execute(INSERT, {"type": "work_order.responded", "data": [json.dumps(RESPONDED)]})
    assert await session.scalar(count) == before + 1
