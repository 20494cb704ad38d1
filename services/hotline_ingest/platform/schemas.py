"""A platform's field mapping (issue #26) and the review list of deliveries kept but not
applied. The mapping document is what the office admin edits (docs/HOTLINE.md "Platforms whose
payloads differ"); it is checked here against our contract (webhook/schemas.py), so a mapping
that names a type, field or code value we do not have is a 422, never a surprise at delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.hotline_ingest.webhook.schemas import (
    CHANNELS,
    EVENT_MODELS,
    KINDS,
    SATISFACTIONS,
)
from shared.appeals import URGENCIES
from shared.errors import FieldError

# A platform's code: the prefix of its secrets in HOTLINE_WEBHOOK_SECRETS (`prov:whsec_…`).
PLATFORM_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
PlatformCode = Annotated[str, StringConstraints(pattern=PLATFORM_PATTERN)]
# Where a value is in their payload: keys joined by dots (`order.no`: `{"order": {"no": …}}`).
Path = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^.\s]+(\.[^.\s]+)*$")
]
TheirCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ANY_EVENT = "*"
# Our fields whose code values a platform may spell its own way, with the values we accept.
VALUE_FIELDS: dict[str, tuple[Any, ...]] = {
    "channel": CHANNELS,
    "kind": KINDS,
    "urgency": URGENCIES,
    "satisfaction": SATISFACTIONS,
    "resolved": (True, False),
}
ValueField = Literal["channel", "kind", "urgency", "satisfaction", "resolved"]
MAX_ENTRIES = 200


def _fields_of(event: str) -> set[str]:
    models = EVENT_MODELS.values() if event == ANY_EVENT else [EVENT_MODELS[event]]
    return {name for model in models for name in model.model_fields}


class EnvelopeMap(BaseModel):
    """Where their payload keeps our envelope's three parts; `data: null` when their event's
    fields sit at the top level next to the type."""

    model_config = ConfigDict(extra="forbid")

    type: Path = Field(default="type", description="事件类型所在位置")
    timestamp: Path = Field(default="timestamp", description="发送时间所在位置")
    data: Path | None = Field(default="data", description="事件数据所在位置；null：与类型同层")


class MappingDocument(BaseModel):
    """Their names and codes → ours. Anything the document does not name passes unchanged (and
    a field our contract does not know is ignored, as always)."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500, description="说明")
    envelope: EnvelopeMap = Field(default_factory=EnvelopeMap)
    event_types: dict[TheirCode, str] = Field(
        default_factory=dict,
        description='平台事件类型 → 本平台事件类型，如 {"GD_SL": "work_order.created"}',
    )
    fields: dict[str, dict[Path, str]] = Field(
        default_factory=dict,
        description='按本平台事件类型（"*" 为所有事件）：平台字段位置 → 本平台字段名，'
        '如 {"*": {"order.no": "order_no"}}',
    )
    values: dict[ValueField, dict[TheirCode, Any]] = Field(
        default_factory=dict,
        description="本平台字段（channel、kind、urgency、satisfaction、resolved）："
        "平台代码值 → 本平台取值",
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="不带时区的时间按此时区读取，如 Asia/Shanghai；"
        "未给出时不带时区的时间为格式错误",
    )

    @model_validator(mode="after")
    def _names_ours(self) -> MappingDocument:
        errors = [*self._type_errors(), *self._field_errors(), *self._value_errors()]
        if self.timezone is not None and not _zone_known(self.timezone):
            errors.append(f"timezone：未知时区“{self.timezone}”（如 Asia/Shanghai）")
        if errors:
            raise ValueError("；".join(errors[:10]))
        return self

    def _type_errors(self) -> list[str]:
        errors = []
        if len(self.event_types) > MAX_ENTRIES:
            errors.append(f"event_types：最多 {MAX_ENTRIES} 项")
        for theirs, ours in self.event_types.items():
            if ours not in EVENT_MODELS:
                errors.append(f"event_types.{theirs}：“{ours}”不是本平台的事件类型")
        return errors

    def _field_errors(self) -> list[str]:
        errors = []
        for event, renames in self.fields.items():
            if event != ANY_EVENT and event not in EVENT_MODELS:
                errors.append(f'fields：“{event}”不是本平台的事件类型（或 "*"）')
                continue
            if len(renames) > MAX_ENTRIES:
                errors.append(f"fields.{event}：最多 {MAX_ENTRIES} 项")
            known = _fields_of(event)
            targets: set[str] = set()
            for path, ours in renames.items():
                if ours not in known:
                    errors.append(f"fields.{event}.{path}：“{ours}”不是该事件的字段")
                elif ours in targets:
                    errors.append(f"fields.{event}：多个平台字段映射到“{ours}”")
                targets.add(ours)
        return errors

    def _value_errors(self) -> list[str]:
        errors = []
        for field, codes in self.values.items():
            allowed = VALUE_FIELDS[field]
            if len(codes) > MAX_ENTRIES:
                errors.append(f"values.{field}：最多 {MAX_ENTRIES} 项")
            for theirs, ours in codes.items():
                # bool is an int in Python: `1` must not pass as `true`, nor `true` as a code.
                if not any(type(ours) is type(a) and ours == a for a in allowed):
                    shown = "、".join(str(a).lower() for a in allowed)
                    errors.append(f"values.{field}.{theirs}：取值应为 {shown} 之一")
        return errors


def _zone_known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class MappingIn(BaseModel):
    document: MappingDocument
    base_version: int | None = Field(
        default=None,
        ge=0,
        description="编辑所依据的版本（0：尚无映射）；已有更新的版本时 409，避免覆盖他人的修改",
    )


class MappingVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    created_by: str
    created_at: datetime


class MappingOut(BaseModel):
    platform: str
    configured: bool = Field(description="HOTLINE_WEBHOOK_SECRETS 中是否有该平台的密钥")
    version: int | None = Field(description="生效的（最新）版本；null：尚无映射，按本平台格式接收")
    document: MappingDocument | None
    created_by: str | None
    created_at: datetime | None
    versions: list[MappingVersionOut] = Field(description="全部版本，新的在前")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: str
    received_at: datetime
    platform: str | None
    mapping_version: int | None
    event_type: str | None
    outcome: str
    errors: list[FieldError] | None
