"""Intake as platforms send it (issue #26): a platform whose payloads differ is identified by the
secret that verified its delivery (`prov:whsec_…`), its delivery goes through the office's
versioned field mapping before validation, and what fails the mapping is kept, listed for review
and taken again when the platform retries it. Plus the intake rules already promised: codes
unknown at intake (absent or null) wait in quarantine, unknown fields are kept raw and ignored,
and the published schema says which fields each event requires."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from services.hotline_ingest.platform.mapping import Mapping, MappingFailed, apply
from services.hotline_ingest.webhook.schemas import EVENT_MODELS, Created, contract_schema
from shared.crypto import decrypt
from shared.http import signed_headers
from shared.models import AuditLog, Delivery, OutboxEvent, WorkOrder
from shared.models.hotline import PlatformMapping
from shared.settings import Settings
from tests.hotline.conftest import SECRET, Platform, at, created, stored_order

WEBHOOK = "/api/hotline/v1/webhooks/12345"
MAPPING_URL = "/api/hotline/v1/platforms/prov/mapping"
DELIVERIES = "/api/hotline/v1/deliveries"
PROV_SECRET = "whsec_" + base64.b64encode(b"provincial-platform-secret-01234").decode()
SHANGHAI = ZoneInfo("Asia/Shanghai")

# The provincial platform's own payload: its envelope, event names, nested field names, Chinese
# code values and times without an offset (Beijing time).
MAPPING: dict[str, Any] = {
    "description": "省 12345 平台",
    "envelope": {"type": "eventType", "timestamp": "sendTime", "data": "payload"},
    "event_types": {
        "GD_SL": "work_order.created",
        "GD_PD": "work_order.assigned",
        "GD_QS": "work_order.accepted",
        "GD_BJ": "work_order.closed",
        "GD_HF": "work_order.visited",
    },
    "fields": {
        "*": {"gd.bh": "order_no", "fssj": "occurred_at"},
        "work_order.created": {
            "qd": "channel",
            "sqlx": "kind",
            "bt": "title",
            "nr": "content",
            "slsj": "received_at",
            "qx": "district_code",
            "fl": "category_code",
            "cbdw": "handling_unit_code",
            "sqr.xm": "contact_name",
            "sqr.dh": "contact_phone",
            "blqx": "due_at",
        },
        "work_order.assigned": {"cbdw": "handling_unit_code"},
        "work_order.visited": {"myd": "satisfaction", "sfjj": "resolved"},
    },
    "values": {
        "channel": {"电话": "phone", "网站": "web", "微信": "wechat", "APP": "app"},
        "kind": {"咨询": "consult", "投诉": "complaint", "求助": "help"},
        "satisfaction": {"满意": "satisfied", "基本满意": "basically_satisfied"},
        "resolved": {"是": True, "否": False},
    },
    "timezone": "Asia/Shanghai",
}


def _naive(moment: datetime) -> str:
    """Their time: Beijing time without an offset, space-separated."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(sep=" ")


def _theirs(their_type: str, order_no: str, moment: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "eventType": their_type,
        "sendTime": _naive(datetime.now(UTC)),
        "payload": {"gd": {"bh": order_no}, "fssj": _naive(moment), **fields},
        "platformInternal": {"node": "sheng-12345-03"},  # theirs alone: kept raw, ignored
    }


def _their_created(order_no: str, moment: datetime, **override: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "qd": "电话",
        "sqlx": "投诉",
        "bt": "企业开办材料被要求重复提交",
        "nr": "在政务服务中心办理企业开办时被要求重复提交营业执照复印件。",
        "slsj": _naive(moment),
        "qx": "yunzhongqu",
        "fl": "qy_kaiban",
        "cbdw": "zhengwu",
        "sqr": {"xm": "张三明", "dh": "13812345678"},
        "blqx": _naive(moment + timedelta(days=5)),
    }
    return _theirs("GD_SL", order_no, moment, **{**fields, **override})


class ProvincialPlatform:
    """A platform that signs with its own secret and posts its own payloads."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.signer = Webhook(PROV_SECRET)

    async def post(self, body: dict[str, Any], *, webhook_id: str | None = None) -> httpx.Response:
        text = json.dumps(body, ensure_ascii=False)
        headers = signed_headers(self.signer, webhook_id or f"msg_{uuid.uuid4().hex}", text)
        return await self.client.post(WEBHOOK, content=text.encode(), headers=headers)


@pytest.fixture
def prov(
    hotline_client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> ProvincialPlatform:
    """Our own platform's secret, and the provincial platform's under its prefix."""
    monkeypatch.setattr(settings, "hotline_webhook_secrets", f"{SECRET},prov:{PROV_SECRET}")
    return ProvincialPlatform(hotline_client)


async def _save(
    client: httpx.AsyncClient, office: dict[str, str], document: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await client.put(MAPPING_URL, json={"document": document, **extra}, headers=office)


async def _delivery(session: AsyncSession, webhook_id: str) -> Delivery:
    found = await session.scalar(
        select(Delivery)
        .where(Delivery.webhook_id == webhook_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


DERIVED = (
    "status",
    "channel",
    "kind",
    "title",
    "content",
    "category_code",
    "district_code",
    "handling_unit_code",
    "received_at",
    "assigned_at",
    "due_at",
    "accepted_at",
    "closed_at",
    "visited_at",
    "satisfaction",
    "resolved",
    "quarantine_reason",
)


async def test_a_platform_payload_whose_names_and_codes_differ_is_mapped_and_scored_as_ours(
    hotline_client: httpx.AsyncClient,
    prov: ProvincialPlatform,
    platform: Platform,
    office: dict[str, str],
    units: None,
    session: AsyncSession,
    settings: Settings,
) -> None:
    saved = await _save(hotline_client, office, MAPPING)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["configured"]) == (1, True)
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    theirs = [
        _their_created("SX001", start),
        _theirs("GD_QS", "SX001", start + timedelta(hours=2)),
        _theirs("GD_BJ", "SX001", start + timedelta(days=2)),
        _theirs("GD_HF", "SX001", start + timedelta(days=3), myd="基本满意", sfjj="是"),
    ]
    for body in theirs:
        answer = await prov.post(body)
        assert answer.json() == {"status": "applied"}, answer.text
    # The same order in our contract, under another number: the same derived state and facts.
    ours = [
        ("work_order.created", created("OX001")),
        ("work_order.accepted", at("OX001", 2 / 24)),
        ("work_order.closed", at("OX001", 2)),
        ("work_order.visited", {**at("OX001", 3), "satisfaction": "basically_satisfied"}),
    ]
    ours[3][1]["resolved"] = True
    for event_type, data in ours:
        assert (await platform.send(event_type, data)).status_code == 200
    mapped, native = await stored_order(session, "SX001"), await stored_order(session, "OX001")
    assert {f: getattr(mapped, f) for f in DERIVED} == {f: getattr(native, f) for f in DERIVED}
    assert mapped.status == "visited"
    assert decrypt(settings.pii_encryption_key, mapped.contact_phone_enc) == "13812345678"
    told = {
        order_no: sorted(
            (e.type, json.dumps({k: v for k, v in e.data.items() if k != "order_no"}))
            for e in await session.scalars(
                select(OutboxEvent).where(OutboxEvent.data["order_no"].astext == order_no)
            )
        )
        for order_no in ("SX001", "OX001")
    }
    assert told["SX001"] == told["OX001"]
    assert len(told["SX001"]) == 4
    kept = await session.scalars(select(Delivery).where(Delivery.platform == "prov"))
    deliveries = list(kept)
    assert {(d.outcome, d.mapping_version, d.event_type) for d in deliveries} == {
        ("applied", 1, t)
        for t in (
            "work_order.created",
            "work_order.accepted",
            "work_order.closed",
            "work_order.visited",
        )
    }
    raw = decrypt(settings.pii_encryption_key, deliveries[0].body_enc)
    assert raw is not None
    assert json.loads(raw) in theirs
    native_delivery = await session.scalar(select(Delivery).where(Delivery.platform.is_(None)))
    assert native_delivery is not None
    assert native_delivery.mapping_version is None


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"event_types": {"GD_SL": "work_order.opened"}}, "event_types.GD_SL"),
        ({"fields": {"work_order.created": {"sqlx": "appeal_kind"}}}, "fields.work_order.created"),
        ({"fields": {"work_order.closing": {"a": "order_no"}}}, "fields："),
        ({"fields": {"*": {"a": "order_no", "b": "order_no"}}}, "多个平台字段"),
        ({"values": {"kind": {"投诉": "grievance"}}}, "values.kind.投诉"),
        ({"values": {"resolved": {"是": 1}}}, "values.resolved.是"),
        ({"timezone": "Asia/Beijing"}, "未知时区"),
    ],
)
async def test_a_mapping_that_names_what_we_do_not_have_is_422_in_chinese(
    hotline_client: httpx.AsyncClient, office: dict[str, str], document: dict[str, Any], where: str
) -> None:
    answer = await _save(hotline_client, office, document)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(where in e["msg"] for e in answer.json()["errors"]), answer.json()


async def test_a_mapping_of_the_wrong_shape_is_422(
    hotline_client: httpx.AsyncClient, office: dict[str, str]
) -> None:
    for document in ({"unknown_key": 1}, {"values": {"title": {"a": "b"}}}, {"fields": []}):
        answer = await _save(hotline_client, office, document)
        assert answer.status_code == 422, answer.text
    bad_code = await hotline_client.put(
        "/api/hotline/v1/platforms/Prov%20X/mapping", json={"document": {}}, headers=office
    )
    assert bad_code.status_code == 422


async def test_each_save_is_a_new_version_the_newest_applies_and_is_audited(
    hotline_client: httpx.AsyncClient,
    prov: ProvincialPlatform,
    office: dict[str, str],
    units: None,
    session: AsyncSession,
) -> None:
    first = {**MAPPING, "values": {**MAPPING["values"], "kind": {"投诉": "complaint"}}}
    assert (await _save(hotline_client, office, first, base_version=0)).status_code == 200
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    refused = await prov.post(_their_created("SV001", start, sqlx="求助"), webhook_id="sv1")
    assert refused.status_code == 422
    second = await _save(hotline_client, office, MAPPING, base_version=1)
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["version"] == 2
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["document"]["values"]["kind"]["求助"] == "help"
    # Saving the newest again adds nothing; an edit based on an older version is a 409.
    assert (await _save(hotline_client, office, MAPPING)).json()["version"] == 2
    stale = await _save(hotline_client, office, first, base_version=1)
    assert stale.status_code == 409
    read = await hotline_client.get(MAPPING_URL, headers=office)
    assert read.status_code == 200
    assert [v["version"] for v in read.json()["versions"]] == [2, 1]
    # The newest applies at once in this process.
    applied = await prov.post(_their_created("SV002", start, sqlx="求助"), webhook_id="sv2")
    assert applied.json() == {"status": "applied"}
    assert (await _delivery(session, "sv2")).mapping_version == 2
    assert (await stored_order(session, "SV002")).kind == "help"
    rows = list(await session.scalars(select(PlatformMapping.version)))
    assert sorted(rows) == [1, 2]
    audits = await session.scalars(
        select(AuditLog.entity_id).where(AuditLog.action == "hotline.platform_mapping.saved")
    )
    assert sorted(audits) == ["prov:1", "prov:2"]


async def test_a_mapping_may_be_read_before_the_platform_has_a_secret_or_a_mapping(
    hotline_client: httpx.AsyncClient, office: dict[str, str], prov: ProvincialPlatform
) -> None:
    unknown = await hotline_client.get("/api/hotline/v1/platforms/county/mapping", headers=office)
    assert unknown.status_code == 200
    assert (unknown.json()["configured"], unknown.json()["version"]) == (False, None)
    configured = await hotline_client.get(MAPPING_URL, headers=office)
    assert configured.status_code == 200
    assert configured.json() == {
        "platform": "prov",
        "configured": True,
        "version": None,
        "document": None,
        "created_by": None,
        "created_at": None,
        "versions": [],
    }


async def test_a_delivery_that_fails_its_mapping_is_kept_listed_and_taken_again_when_retried(
    hotline_client: httpx.AsyncClient,
    prov: ProvincialPlatform,
    platform: Platform,
    office: dict[str, str],
    units: None,
    session: AsyncSession,
) -> None:
    assert (await _save(hotline_client, office, MAPPING)).status_code == 200
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    body = _their_created("SF001", start, sqlx="举报", gd="not-an-object")
    refused = await prov.post(body, webhook_id="sf1")
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "mapping_failed"
    assert "第 1 版" in problem["detail"]
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("data", "gd", "bh")}
    # One failure at a time: the path first; with the order number fixed, the code value.
    body = _their_created("SF001", start, sqlx="举报")
    refused = await prov.post(body, webhook_id="sf1")
    assert refused.status_code == 422
    assert [(e["loc"], e["type"]) for e in refused.json()["errors"]] == [
        (["data", "kind"], "mapping_value")
    ]
    assert "举报" in refused.json()["errors"][0]["msg"]
    kept = await _delivery(session, "sf1")
    assert (kept.outcome, kept.platform, kept.mapping_version) == ("rejected_mapping", "prov", 1)
    assert await session.scalar(select(WorkOrder).where(WorkOrder.order_no == "SF001")) is None
    schema = await platform.send("work_order.created", created("SF002", kind="grievance"))
    assert schema.status_code == 422
    listed = await hotline_client.get(DELIVERIES, headers=office)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["webhook_id"], i["outcome"], i["platform"]) for i in items][:1] == [
        (schema.request.headers["webhook-id"], "rejected_schema", None)
    ]
    assert ("sf1", "rejected_mapping", "prov") in {
        (i["webhook_id"], i["outcome"], i["platform"]) for i in items
    }
    only = await hotline_client.get(
        DELIVERIES, params={"outcome": "rejected_mapping", "platform": "prov"}, headers=office
    )
    assert [i["webhook_id"] for i in only.json()["items"]] == ["sf1"]
    assert only.json()["items"][0]["errors"][0]["loc"] == ["data", "kind"]
    # The office adds the code; the platform retries the same webhook id: applied.
    kinds = {"举报": "report", "投诉": "complaint"}
    fixed = {**MAPPING, "values": {**MAPPING["values"], "kind": kinds}}
    assert (await _save(hotline_client, office, fixed)).json()["version"] == 2
    retried = await prov.post(body, webhook_id="sf1")
    assert retried.json() == {"status": "applied"}, retried.text
    taken = await _delivery(session, "sf1")
    assert (taken.outcome, taken.mapping_version, taken.errors) == ("applied", 2, None)
    assert (await stored_order(session, "SF001")).kind == "report"
    again = await prov.post(body, webhook_id="sf1")
    assert again.json() == {"status": "duplicate_delivery"}
    # A later mapping that would refuse it does not touch the delivery applied.
    assert (await _save(hotline_client, office, MAPPING)).json()["version"] == 3
    resent = await prov.post(body, webhook_id="sf1")
    assert resent.json() == {"status": "duplicate_delivery"}, resent.text
    assert (await _delivery(session, "sf1")).mapping_version == 2
    remaining = await hotline_client.get(DELIVERIES, params={"platform": "prov"}, headers=office)
    assert remaining.json()["total"] == 0


async def test_a_platform_without_a_mapping_sends_our_contract(
    prov: ProvincialPlatform, units: None, session: AsyncSession
) -> None:
    body = {
        "type": "work_order.created",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": created("SN001"),
    }
    answer = await prov.post(body, webhook_id="sn1")
    assert answer.json() == {"status": "applied"}
    delivery = await _delivery(session, "sn1")
    assert (delivery.platform, delivery.mapping_version) == ("prov", None)


async def test_only_the_office_admin_edits_a_mapping_and_units_read_nothing(
    hotline_client: httpx.AsyncClient, factory: Any, units: None
) -> None:
    from shared.models import Role

    staff = factory.headers("staff", Role.office_staff, "gaigeban")
    unit = factory.headers("zw", Role.unit, "zhengwu")
    assert (await _save(hotline_client, staff, MAPPING)).status_code == 403
    assert (await hotline_client.get(MAPPING_URL, headers=unit)).status_code == 403
    assert (await hotline_client.get(DELIVERIES, headers=unit)).status_code == 403
    assert (await hotline_client.get(DELIVERIES)).status_code == 401


async def test_an_order_created_with_null_codes_is_held_until_assigned_then_scored(
    platform: Platform, units: None, session: AsyncSession
) -> None:
    """Issue #26: `handling_unit_code` and `district_code` null — 200, held as 待派单, not
    told; the platform's `assigned` releases it and it is told (scored) with its events."""
    data = created("NU001", handling_unit_code=None, district_code=None)
    answer = await platform.send("work_order.created", data)
    assert answer.json() == {"status": "applied"}, answer.text
    held = await stored_order(session, "NU001")
    assert held.quarantine_reason == "待派单（尚无承办单位）"
    told = select(OutboxEvent.type).where(OutboxEvent.data["order_no"].astext == "NU001")
    assert list(await session.scalars(told)) == []
    assigned = {**at("NU001", 0.1), "handling_unit_code": "zhengwu"}
    assert (await platform.send("work_order.assigned", assigned)).status_code == 200
    released = await stored_order(session, "NU001")
    assert (released.quarantine_reason, released.handling_unit_code) == (None, "zhengwu")
    assert list(await session.scalars(told)) == ["work_order.created"]


async def test_unknown_fields_are_kept_in_the_raw_delivery_and_ignored(
    platform: Platform, units: None, session: AsyncSession, settings: Settings
) -> None:
    data = created("NX001", 工单来源="省平台", nested={"anything": [1, 2]})
    answer = await platform.send("work_order.created", data, webhook_id="nx1")
    assert answer.json() == {"status": "applied"}
    delivery = await _delivery(session, "nx1")
    raw = decrypt(settings.pii_encryption_key, delivery.body_enc)
    assert raw is not None
    assert json.loads(raw)["data"]["工单来源"] == "省平台"
    assert (await stored_order(session, "NX001")).status == "created"


def test_the_schema_says_which_fields_each_event_requires() -> None:
    defs = contract_schema()["$defs"]
    assert set(defs["Created"]["required"]) == {
        "order_no",
        "occurred_at",
        "channel",
        "kind",
        "title",
        "content",
        "received_at",
    }
    for later in ("handling_unit_code", "category_code", "district_code"):
        assert "null" in json.dumps(defs["Created"]["properties"][later])
    assert set(defs["Assigned"]["required"]) == {"order_no", "occurred_at", "handling_unit_code"}


# Hypothesis: the mapping followed by validation is validation of the payload translated by
# hand (the mapping's inverse applied to an order in our contract).
_MAPPED = Mapping.of("prov", 1, MAPPING)
_THEIR_NAMES = {ours: theirs for theirs, ours in MAPPING["fields"]["work_order.created"].items()}
_THEIR_CODES = {
    field: {ours: theirs for theirs, ours in codes.items()}
    for field, codes in MAPPING["values"].items()
}
_moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=0))
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    str.strip
)
_codes = st.one_of(st.none(), st.sampled_from(["", "zhengwu", "yunzhongqu", "qy_kaiban"]))


@st.composite
def _orders(draw: st.DrawFn) -> dict[str, Any]:
    received = draw(_moments)
    return {
        "order_no": draw(st.from_regex(r"[A-Z]{2}[0-9]{1,8}", fullmatch=True)),
        "occurred_at": received,
        "channel": draw(st.sampled_from(sorted(_THEIR_CODES["channel"]))),
        "kind": draw(st.sampled_from(sorted(_THEIR_CODES["kind"]))),
        "title": draw(_text),
        "content": draw(_text),
        "received_at": received,
        "district_code": draw(_codes),
        "category_code": draw(_codes),
        "handling_unit_code": draw(_codes),
        "due_at": draw(st.none() | st.just(received + timedelta(days=5))),
        "contact_name": draw(st.none() | _text),
    }


def _translated_by_hand(order: dict[str, Any]) -> dict[str, Any]:
    """Our delivery as the provincial platform would have sent it."""
    payload: dict[str, Any] = {"gd": {"bh": order["order_no"]}}
    for field, value in order.items():
        if field == "order_no":
            continue
        if isinstance(value, datetime):
            value = _naive(value)
        value = _THEIR_CODES.get(field, {}).get(value, value)
        if field == "occurred_at":
            payload["fssj"] = value
        elif field == "contact_name":
            payload["sqr"] = {"xm": value}
        else:
            payload[_THEIR_NAMES[field]] = value
    return {"eventType": "GD_SL", "sendTime": _naive(datetime.now(UTC)), "payload": payload}


@given(order=_orders())
def test_mapping_then_validation_is_validation_of_the_hand_translated_payload(
    order: dict[str, Any],
) -> None:
    ours = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in order.items()}
    mapped = apply(_MAPPED, _translated_by_hand(order))
    assert mapped["type"] == "work_order.created"
    model = EVENT_MODELS[mapped["type"]]
    assert model.model_validate(mapped["data"]) == Created.model_validate(ours)


@given(kind=_text.filter(lambda k: k not in MAPPING["values"]["kind"]))
def test_a_code_the_mapping_does_not_name_fails_unless_it_is_ours(kind: str) -> None:
    body = _translated_by_hand(
        {"order_no": "HX1", "occurred_at": datetime(2026, 6, 1, tzinfo=UTC), "kind": "投诉"}
    )
    body["payload"]["sqlx"] = kind
    if kind in ("consult", "complaint", "help", "suggestion", "report"):
        assert apply(_MAPPED, body)["data"]["kind"] == kind
        return
    with pytest.raises(MappingFailed) as failed:
        apply(_MAPPED, body)
    assert [e.loc for e in failed.value.errors] == [["data", "kind"]]
