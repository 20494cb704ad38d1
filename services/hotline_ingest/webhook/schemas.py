"""The 12345 platform's webhook contract (docs/HOTLINE.md). The JSON Schema of every event is
generated from these models: `GET /api/hotline/v1/schemas/events`, the OpenAPI request body of
the webhook, and the file docs/schemas/hotline-webhook.schema.json (kept equal by a test)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from shared.appeals import AppealKind, Urgency
from shared.events import Satisfaction

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PERSONAL_FIELDS = frozenset({"contact_name", "contact_phone"})
CHANNELS = ("phone", "web", "wechat", "app")
KINDS: tuple[str, ...] = get_args(AppealKind)
SATISFACTIONS: tuple[str, ...] = get_args(Satisfaction)


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters, the last a check character over the first 17."""
    if len(code) != 18 or any(c not in CREDIT_CHARS for c in code):
        return False
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


def storable(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and UTF-8 cannot hold lone surrogates (both reachable
    through JSON escapes): refuse them as a field error rather than fail on insert."""
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("包含无效的 Unicode 字符") from exc
    return value


Text = Annotated[str, AfterValidator(storable)]


def _blank_is_absent(value: object) -> object:
    """A code the platform does not know yet may come absent, null or empty: all mean none."""
    return None if isinstance(value, str) and not value.strip() else value


# A code known later (issue #26): the order is kept and waits in the quarantine queue for it.
LaterCode = Annotated[Text | None, BeforeValidator(_blank_is_absent)]


class Envelope(BaseModel):
    """What the platform POSTs: `{"type", "timestamp", "data"}`."""

    type: Text = Field(min_length=1, max_length=64, examples=["work_order.created"])
    timestamp: AwareDatetime = Field(
        description="when the platform sent it (ISO 8601, with offset)"
    )
    data: dict[str, Any]


DUE_AT = "办理期限；未给出时按办结时限（HOTLINE_CLOSING_DAYS，工作日）从受理或改派起算"


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_no: Text = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    occurred_at: AwareDatetime = Field(description="when it happened on the platform")


class Created(EventData):
    channel: Literal["phone", "web", "wechat", "app"]
    kind: AppealKind
    urgency: Urgency = Field(
        default="normal",
        description="紧急程度：normal 一般；utilities 水电气热等公用事业；life_property "
        "涉及生命财产安全（签收时限按分钟计，HOTLINE_URGENT_SIGNING_MINUTES）",
    )
    title: Text = Field(min_length=1, max_length=200)
    content: Text = Field(min_length=1, max_length=20000)
    received_at: AwareDatetime
    district_code: LaterCode = Field(
        default=None, max_length=32, description="来源区县；未知可缺省或为 null"
    )
    enterprise_name: Text | None = Field(default=None, max_length=200)
    credit_code: Text | None = Field(
        default=None, description="统一社会信用代码 (GB 32100-2015, check character verified)"
    )
    contact_name: Text | None = Field(default=None, max_length=64, description="encrypted at rest")
    contact_phone: Text | None = Field(default=None, max_length=32, description="encrypted at rest")
    category_code: LaterCode = Field(
        default=None,
        max_length=64,
        description="诉求分类；未知可缺省或为 null（工单进入待处理队列“待分类”）",
    )
    handling_unit_code: LaterCode = Field(
        default=None,
        max_length=32,
        description="承办单位；未知可缺省或为 null（工单进入待处理队列“待派单”）",
    )
    due_at: AwareDatetime | None = Field(default=None, description=DUE_AT)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        code = value.strip().upper()
        if not credit_code_valid(code):
            raise ValueError("统一社会信用代码校验位不正确")
        return code


class Assigned(EventData):
    handling_unit_code: Text = Field(min_length=1, max_length=32)
    due_at: AwareDatetime | None = Field(default=None, description=DUE_AT)


class Categorized(EventData):
    """The order's category, for one that came without it (the platform's, or the office's
    choice recorded from the quarantine queue)."""

    category_code: Text = Field(min_length=1, max_length=64)


class Accepted(EventData):
    pass


class Replied(EventData):
    reply: Text = Field(min_length=1, max_length=20000)


class Closed(EventData):
    pass


class Visited(EventData):
    satisfaction: Satisfaction
    resolved: bool


class Returned(EventData):
    reason: Text = Field(min_length=1, max_length=2000)


class Extended(EventData):
    new_due_at: AwareDatetime


class FirstContacted(EventData):
    """先行联系 (issue #26): the handling unit (or the platform) first contacted the caller."""

    contacted_at: AwareDatetime = Field(description="首次联系诉求人的时间")


EVENT_MODELS: dict[str, type[EventData]] = {
    "work_order.created": Created,
    "work_order.assigned": Assigned,
    "work_order.categorized": Categorized,
    "work_order.accepted": Accepted,
    "work_order.replied": Replied,
    "work_order.closed": Closed,
    "work_order.visited": Visited,
    "work_order.returned": Returned,
    "work_order.extended": Extended,
    "work_order.first_contacted": FirstContacted,
}


def contract_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """One JSON Schema (draft 2020-12) for a delivery body: an envelope whose `data` follows the
    event `type` (any other type is accepted and ignored). With the default template the event
    models are under `$defs`; the OpenAPI passes `#/components/schemas/{model}` and takes the
    models from `event_components`."""
    branches = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"properties": {"data": {"$ref": ref_template.format(model=model.__name__)}}},
        }
        for name, model in EVENT_MODELS.items()
    ]
    envelope = Envelope.model_json_schema()
    schema: dict[str, Any] = {
        "title": "12345 工单事件 (hotline webhook delivery)",
        "description": (
            "Body of POST /api/hotline/v1/webhooks/12345, signed per Standard Webhooks. "
            "Known types: " + ", ".join(EVENT_MODELS) + "; other types are stored and ignored."
        ),
        "type": "object",
        "properties": envelope["properties"],
        "required": envelope["required"],
        "allOf": branches,
    }
    if ref_template.startswith("#/$defs/"):
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "hotline-webhook.schema.json",
            **schema,
            "$defs": event_components(ref_template),
        }
    return schema


def event_components(ref_template: str) -> dict[str, Any]:
    """The event models' schemas, named by model, referencing each other with `ref_template`."""
    found: dict[str, Any] = {}
    for model in EVENT_MODELS.values():
        schema = model.model_json_schema(ref_template=ref_template)
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


class WebhookAck(BaseModel):
    status: Literal["applied", "duplicate_delivery", "duplicate_event", "ignored_type"] = Field(
        description="applied / duplicate_delivery / duplicate_event / ignored_type"
    )
