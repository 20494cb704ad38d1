"""Applying a platform's field mapping to a delivery it sent, before validation (issue #26). A
pure function of the parsed body and the mapping: the result is a body in our contract
(`{"type", "timestamp", "data"}`) that the webhook then validates as any other. The raw body
itself is kept exactly as received.

What fails here (a delivery kept as `rejected_mapping`, listed for review, 422) is what only
the mapping can fix: a code value the mapping does not name (and that is not ours either), or a
path that runs into a value that is not an object. Anything else — a required field missing
after the renames, a time that is not a time — is the contract's to refuse (`rejected_schema`),
as for a delivery in our own format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from services.hotline_ingest.platform.schemas import ANY_EVENT, VALUE_FIELDS, MappingDocument
from services.hotline_ingest.webhook.schemas import EVENT_MODELS
from shared.errors import FieldError

_ABSENT = object()


def _times(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, field in model.model_fields.items()
        if AwareDatetime in (field.annotation, *get_args(field.annotation))
    )


# Our times, per event, that a mapping's `timezone` completes when they come without an offset.
TIME_FIELDS = {name: _times(model) for name, model in EVENT_MODELS.items()}


class MappingFailed(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Mapping:
    """One version of a platform's mapping, compiled for use on every delivery."""

    platform: str
    version: int
    document: MappingDocument

    @classmethod
    def of(cls, platform: str, version: int, document: dict[str, Any] | str) -> Mapping:
        raw = json.loads(document) if isinstance(document, str) else document
        return cls(platform, version, MappingDocument.model_validate(raw))

    def renames(self, event_type: str) -> dict[str, str]:
        """Their path → our field for one event: those for every event, then the event's own."""
        fields = self.document.fields
        return {**fields.get(ANY_EVENT, {}), **fields.get(event_type, {})}


def _split(path: str) -> list[str]:
    return path.split(".")


def _get(source: Any, path: str, loc: list[str | int]) -> Any:
    """The value at a dotted path, `_ABSENT` if a key is missing; a step into something that is
    not an object is the mapping's failure."""
    value = source
    for key in _split(path):
        if value is None:
            return _ABSENT
        if not isinstance(value, dict):
            raise MappingFailed(
                [FieldError(loc=loc, msg=f"“{path}”中的“{key}”之前不是对象", type="mapping_path")]
            )
        value = value.get(key, _ABSENT)
        if value is _ABSENT:
            return _ABSENT
    return value


def _lookup_key(value: Any) -> str | None:
    """How a value is named in `values` (JSON object keys are strings): `true`, `1`, `投诉`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _code(field: str, value: Any, codes: dict[str, Any]) -> Any:
    key = _lookup_key(value)
    if key is not None and key in codes:
        return codes[key]
    if any(type(value) is type(ours) and value == ours for ours in VALUE_FIELDS[field]):
        return value  # already ours
    raise MappingFailed(
        [
            FieldError(
                loc=["data", field],
                msg=f"平台代码值“{str(value)[:64]}”未在字段映射中（{field}），也不是本平台的取值",
                type="mapping_value",
            )
        ]
    )


def _with_zone(value: Any, zone: ZoneInfo) -> Any:
    """A time without an offset read in the mapping's zone; anything else unchanged (the
    contract judges it)."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=zone).isoformat()


def _data(mapping: Mapping, event_type: Any, data: dict[str, Any]) -> dict[str, Any]:
    ours = dict(data)  # their other fields stay: the contract ignores what it does not name
    renames = mapping.renames(event_type) if isinstance(event_type, str) else {}
    for path, field in renames.items():
        value = _get(data, path, ["data", *_split(path)])
        if value is not _ABSENT:
            ours[field] = value
    errors: list[FieldError] = []
    for field, codes in mapping.document.values.items():
        if ours.get(field) is not None:
            try:
                ours[field] = _code(field, ours[field], codes)
            except MappingFailed as failed:
                errors.extend(failed.errors)
    if errors:
        raise MappingFailed(errors)
    if mapping.document.timezone is not None:
        zone = ZoneInfo(mapping.document.timezone)
        for field in TIME_FIELDS.get(event_type, ()):
            if field in ours:
                ours[field] = _with_zone(ours[field], zone)
    return ours


def apply(mapping: Mapping, body: Any) -> Any:
    """Their parsed body → a body in our contract; raises `MappingFailed` with field errors.
    A body that is not an object is returned as it is (the contract refuses it)."""
    if not isinstance(body, dict):
        return body
    envelope = mapping.document.envelope
    their_type = _get(body, envelope.type, [envelope.type])
    timestamp = _get(body, envelope.timestamp, [envelope.timestamp])
    data = body if envelope.data is None else _get(body, envelope.data, [envelope.data])
    event_type = (
        mapping.document.event_types.get(their_type, their_type)
        if isinstance(their_type, str)
        else their_type
    )
    if mapping.document.timezone is not None:
        timestamp = _with_zone(timestamp, ZoneInfo(mapping.document.timezone))
    mapped: dict[str, Any] = {}
    if event_type is not _ABSENT:
        mapped["type"] = event_type
    if timestamp is not _ABSENT:
        mapped["timestamp"] = timestamp
    if data is not _ABSENT:
        mapped["data"] = _data(mapping, event_type, data) if isinstance(data, dict) else data
    return mapped
