"""The outbox's guard in the database, generated from the event catalogue (shared/events.py).

Python producers check an event's data against its model in `shared.outbox.enqueue`; the hotline
builds its events in SQL (`hotline.settle`). So that every row, whoever writes it, passes one
check, `platform.outbox` has a row trigger (before the row is stored) that refuses a row whose
type, consumer or data does not fit the catalogue: `platform.fits_catalogue(type, consumer,
data)`, whose text this module writes from each model's JSON Schema (the same schema pydantic
validates with).

`python -m shared.event_guard` prints it. The function lives in versioned files,
shared/sql/fits_catalogue/<revision>.sql: when the catalogue changes, the newest file no longer
equals this output (tests/test_event_catalogue.py fails) and a new revision loads a new
version. tests/test_event_guard.py holds the SQL equal to pydantic on any data (hypothesis).

What JSON Schema cannot say is not checked here: a model's own validator (today only
`supervision.escalated`'s one subject) is Python's alone.
"""

from __future__ import annotations

from typing import Any

from shared.events import EVENTS, OA_CONSUMER, REMINDER_PREFIX, EventData, Reminder

Schema = dict[str, Any]


def _text(ref: str) -> str:
    return f"({ref} #>> '{{}}')"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _string(schema: Schema, ref: str) -> list[str]:
    value, checks = _text(ref), []
    if "enum" in schema:
        checks.append(f"{value} IN ({', '.join(_literal(v) for v in schema['enum'])})")
    if "minLength" in schema:
        checks.append(f"char_length({value}) >= {int(schema['minLength'])}")
    if "maxLength" in schema:
        checks.append(f"char_length({value}) <= {int(schema['maxLength'])}")
    if "pattern" in schema:
        checks.append(f"{value} ~ {_literal(schema['pattern'])}")
    if schema.get("format") == "date":
        checks.append(f"{value} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'")
        checks.append(f"pg_input_is_valid({value}, 'date')")
    elif "format" in schema:
        raise NotImplementedError(f"string format {schema['format']!r}")
    return checks


def _number(schema: Schema, ref: str) -> list[str]:
    value = f"{_text(ref)}::numeric"
    bounds = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    return [f"{value} {op} {schema[key]!r}" for key, op in bounds.items() if key in schema]


def _array(schema: Schema, ref: str) -> list[str]:
    """Arrays of strings (the catalogue has no other): no element that is not a string of the
    allowed length, asked with a JSON path rather than a subquery (see `_check`)."""
    item = schema["items"]
    if item.get("type") != "string" or set(item) - {"type", "minLength", "maxLength"}:
        raise NotImplementedError(f"array items {item!r}")
    length = f"{item.get('minLength', 0)},{item.get('maxLength', '')}"
    misfit = f'$[*] ? (@.type() != "string" || !(@ like_regex "^.{{{length}}}$" flag "s"))'
    return [f"NOT jsonb_path_exists({ref}, {_literal(misfit)})"]


def _object(schema: Schema, ref: str, defs: Schema, depth: int) -> list[str]:
    if schema.get("additionalProperties") is not False:
        raise NotImplementedError("an event's data must forbid extra keys")
    properties: Schema = schema["properties"]
    required = schema.get("required", [])
    names = ", ".join(_literal(name) for name in properties)
    checks = [
        f"{ref} ?& ARRAY[{', '.join(_literal(name) for name in required)}]::text[]",
        f"({ref} - ARRAY[{names}]::text[]) = '{{}}'::jsonb",
    ]
    for name, field in properties.items():
        check = _check(field, f"({ref} -> {_literal(name)})", defs, depth + 1)
        checks.append(check if name in required else f"(NOT {ref} ? {_literal(name)} OR {check})")
    return checks


JSON_TYPES = {
    "string": "'string'",
    "integer": "'number'",
    "number": "'number'",
    "boolean": "'boolean'",
    "null": "'null'",
    "array": "'array'",
    "object": "'object'",
}


def _check(schema: Schema, ref: str, defs: Schema, depth: int = 0) -> str:
    """SQL, true when the jsonb `ref` fits `schema` (a type test guards every other test: SQL
    does not promise to evaluate AND from left to right, CASE does). No subqueries: the
    function stays one expression that PostgreSQL inlines into the trigger's query (a
    subquery made every call run as a query of its own, ~70 µs a row against ~5 µs)."""
    if "$ref" in schema:
        return _check(defs[schema["$ref"].rsplit("/", 1)[1]], ref, defs, depth)
    if "anyOf" in schema:
        options = [_check(option, ref, defs, depth) for option in schema["anyOf"]]
        return "(" + " OR ".join(options) + ")"
    kind = schema["type"]
    checks: list[str] = []
    if kind == "string":
        checks = _string(schema, ref)
    elif kind == "integer":
        checks = [f"{_text(ref)} ~ '^-?[0-9]+$'", *_number(schema, ref)]
    elif kind == "number":
        checks = _number(schema, ref)
    elif kind == "array":
        checks = _array(schema, ref)
    elif kind == "object":
        checks = _object(schema, ref, defs, depth)
    elif kind not in ("boolean", "null"):
        raise NotImplementedError(f"JSON type {kind!r}")
    is_type = f"jsonb_typeof({ref}) = {JSON_TYPES[kind]}"
    if not checks:
        return f"({is_type})"
    # One check a line (a diff between two versions shows which changed).
    test = ("\n" + "    " * (depth + 3) + "AND ").join(checks)
    return f"(CASE WHEN {is_type} THEN {test} ELSE false END)"


def data_check(model: type[EventData], ref: str = "p_data") -> str:
    """SQL, true when the jsonb `ref` is data `model` accepts."""
    schema = model.model_json_schema(mode="validation")
    return _check(schema, ref, schema.get("$defs", {}))


def render_sql() -> str:
    """`platform.fits_catalogue(type, consumer, data)`: whether the outbox may carry the row."""
    branches = [
        f"    WHEN p_type = {_literal(name)} THEN p_consumer = {_literal(event.consumer)}\n"
        f"        AND {data_check(event.model)}"
        for name, event in EVENTS.items()
    ]
    branches.append(
        f"    WHEN p_type LIKE {_literal(REMINDER_PREFIX + '_%')}"
        f" THEN p_consumer = {_literal(OA_CONSUMER)}\n        AND {data_check(Reminder)}"
    )
    body = "\n".join(branches)
    return (
        "-- Generated by `python -m shared.event_guard` from the event catalogue\n"
        "-- (shared/events.py):"
        " whether platform.outbox may carry an event of this type, to this\n"
        "-- consumer, with this data. Never edit by hand: a catalogue change is a new version of\n"
        "-- this file.\n"
        "CREATE OR REPLACE FUNCTION platform.fits_catalogue(p_type text, p_consumer text,\n"
        "                                                   p_data jsonb)\n"
        "RETURNS boolean\n"
        "LANGUAGE sql STABLE PARALLEL SAFE AS $$\n"
        f"SELECT coalesce(CASE\n{body}\n    ELSE false END, false)\n$$;\n"
    )


if __name__ == "__main__":
    print(render_sql(), end="")
