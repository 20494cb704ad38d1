"""`python -m shared.demo.hotline send --url http://127.0.0.1:8003 --count 300`: a demo 12345
platform. It sends signed Standard Webhooks deliveries to a running hotline_ingest — realistic
orders for the demo units and enterprises (texts in data/hotline_templates.json, written from
seed 004_1871f105e1d7927d.txt's list of what 12345 handles), each order's lifecycle (assign, accept,
reply, close, follow-up visit; some late, some returned and reassigned, some extended, a few with a
unit code the office must map), plus duplicate and out-of-order deliveries like a real platform
retrying.

Before sending, the categories in data/hotline_categories.json that the service does not know
yet are registered with their task-list domain (as the office would). The same seed sends the
same deliveries (same webhook ids), so running it twice adds nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import typer
from rich.console import Console
from standardwebhooks import Webhook

from shared.appeals import URGENCIES
from shared.auth import issue_token
from shared.demo.loader import read_json
from shared.http import signed_headers
from shared.models.platform import Role
from shared.settings import Settings, get_settings

app = typer.Typer(help="12345 热线演示数据", no_args_is_help=True)
console = Console()
WEBHOOK = "/api/hotline/v1/webhooks/12345"
# The platform's own time to close an order, in calendar days (about the office's default closing
# limits in working days: consult 2, help 5, complaint and suggestion 10, report 15).
CLOSING_DAYS = {"consult": 3, "help": 7, "complaint": 14, "suggestion": 14, "report": 21}
UNKNOWN_UNIT = "SJ-RSJ-02"  # a platform code the office has not mapped yet (quarantine demo)


@dataclass(frozen=True)
class Demo:
    units: list[dict[str, Any]]
    districts: list[dict[str, Any]]
    categories: dict[str, dict[str, Any]]
    templates: list[dict[str, Any]]
    enterprises: list[dict[str, Any]]
    surnames: list[str]
    given: list[str]

    @classmethod
    def load(cls) -> Demo:
        units = read_json("units.json")["units"]
        contacts = read_json("contacts.json")
        return cls(
            units=units,
            districts=[u for u in units if u["kind"] == "district"],
            categories={c["code"]: c for c in read_json("hotline_categories.json")},
            templates=read_json("hotline_templates.json"),
            enterprises=read_json("enterprises.json"),
            surnames=contacts["surnames"],
            given=contacts["given_names"],
        )


def _at(moment: datetime) -> str:
    return moment.isoformat()


def order_events(
    demo: Demo, rng: random.Random, number: int, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """One order's lifecycle, each event as the platform would push it (past events only)."""
    template = rng.choice(demo.templates)
    category = demo.categories.get(template["category_code"], {})
    enterprise = rng.choice(demo.enterprises)
    district = next(
        (d for d in demo.districts if d["code"] == enterprise["district_code"]),
        rng.choice(demo.districts),
    )
    unit = category.get("default_unit") or district["code"]
    if rng.random() < 0.3:
        unit = district["code"]  # many appeals go to the district first
    if rng.random() < 0.01:
        unit = UNKNOWN_UNIT
    kind = template["kind"]
    # A few urgent orders (their signing limit is minutes): utilities, then risk to life.
    urgency = rng.choices(URGENCIES, weights=(91, 6, 3))[0]
    received = now - timedelta(days=rng.uniform(0.2, 330), minutes=rng.randint(0, 600))
    order_no = f"YL{received:%Y%m%d}{number:05d}"
    due = received + timedelta(days=CLOSING_DAYS[kind])
    name = rng.choice(demo.surnames) + "".join(
        rng.choice(demo.given) for _ in range(rng.choice((1, 2)))
    )
    content = template["content"].format(enterprise=enterprise["name"], district=district["name"])
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "work_order.created",
            {
                "order_no": order_no,
                "occurred_at": _at(received),
                "channel": rng.choice(["phone", "phone", "phone", "web", "wechat", "app"]),
                "kind": kind,
                "urgency": urgency,
                "title": template["title"],
                "content": content,
                "received_at": _at(received),
                "district_code": district["code"],
                "enterprise_name": enterprise["name"],
                "credit_code": enterprise["credit_code"],
                "contact_name": name,
                "contact_phone": f"1{rng.choice('35789')}{rng.randint(100000000, 999999999)}",
                "category_code": template["category_code"],
                "handling_unit_code": unit,
                "due_at": _at(due),
            },
        )
    ]
    moment = received
    if rng.random() < 0.05:  # the unit sends it back and the platform reassigns it
        moment += timedelta(hours=rng.randint(2, 20))
        events.append(
            (
                "work_order.returned",
                {"order_no": order_no, "occurred_at": _at(moment), "reason": "不属于本单位职责"},
            )
        )
        if received > now - timedelta(days=20) and rng.random() < 0.5:
            return _past(events, now)  # a recent return waits for the office's review (退单审核)
        moment += timedelta(hours=1)
        unit = district["code"]
        due = moment + timedelta(days=CLOSING_DAYS[kind])
        events.append(
            (
                "work_order.assigned",
                {
                    "order_no": order_no,
                    "occurred_at": _at(moment),
                    "handling_unit_code": unit,
                    "due_at": _at(due),
                },
            )
        )
    # Most sign within hours (urgent ones within minutes); some late, a few never.
    if rng.random() < 0.97:
        delays = [0.1, 0.2, 0.3, 0.6] if urgency != "normal" else [0.5, 1, 2, 4, 8, 20, 30, 70]
        moment += timedelta(hours=rng.choice(delays))
        events.append(("work_order.accepted", {"order_no": order_no, "occurred_at": _at(moment)}))
        if rng.random() < 0.9:  # 先行联系: most units call the caller back soon after signing
            contacted = moment + timedelta(minutes=rng.choice([10, 30, 60, 120, 240, 900]))
            events.append(
                (
                    "work_order.first_contacted",
                    {
                        "order_no": order_no,
                        "occurred_at": _at(contacted),
                        "contacted_at": _at(contacted),
                    },
                )
            )
        if rng.random() < 0.06:
            due += timedelta(days=5)
            events.append(
                (
                    "work_order.extended",
                    {
                        "order_no": order_no,
                        "occurred_at": _at(moment + timedelta(hours=2)),
                        "new_due_at": _at(due),
                    },
                )
            )
        if rng.random() < 0.96:
            # Most are closed in time (a reply, then the close an hour or a day later); about
            # one in eight late, by up to four days.
            if rng.random() < 0.88:
                close = moment + (due - moment) * rng.uniform(0.15, 0.9)
            else:
                close = due + timedelta(hours=rng.randint(2, 96))
            moment = max(close - timedelta(hours=rng.randint(1, 24)), moment + timedelta(hours=1))
            events.append(
                (
                    "work_order.replied",
                    {"order_no": order_no, "occurred_at": _at(moment), "reply": template["reply"]},
                )
            )
            moment = max(close, moment + timedelta(minutes=30))
            events.append(("work_order.closed", {"order_no": order_no, "occurred_at": _at(moment)}))
            if rng.random() < 0.85:
                resolved = rng.random() < 0.85
                satisfaction = (
                    rng.choice(["satisfied", "satisfied", "satisfied", "basically_satisfied"])
                    if resolved
                    else rng.choice(["basically_satisfied", "dissatisfied", "dissatisfied"])
                )
                events.append(
                    (
                        "work_order.visited",
                        {
                            "order_no": order_no,
                            "occurred_at": _at(moment + timedelta(days=rng.randint(1, 3))),
                            "resolved": resolved,
                            "satisfaction": satisfaction,
                        },
                    )
                )
    return _past(events, now)


def _past(
    events: list[tuple[str, dict[str, Any]]], now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """What the platform has pushed by `now`."""
    return [e for e in events if datetime.fromisoformat(e[1]["occurred_at"]) < now]


def deliveries(count: int, seed: int, now: datetime) -> list[tuple[str, str]]:
    """(webhook id, body) in the order the platform sends them: 20 % of orders out of order,
    5 % of deliveries sent twice."""
    demo = Demo.load()
    rng = random.Random(seed)
    found: list[tuple[str, str]] = []
    for number in range(1, count + 1):
        events = order_events(demo, rng, number, now)
        if rng.random() < 0.2:
            rng.shuffle(events)
        for event_type, data in events:
            body = json.dumps(
                {"type": event_type, "timestamp": _at(now), "data": data}, ensure_ascii=False
            )
            found.append((f"msg_{seed}_{data['order_no']}_{event_type}", body))
            if rng.random() < 0.05:
                found.append(found[-1])
    return found


async def register_categories(client: httpx.AsyncClient, settings: Settings) -> int:
    """The office's category table: add the demo categories the service does not know yet,
    each with the task-list domain named by its hint."""
    token = issue_token(settings, username="demo-hotline", role=Role.office_admin, unit_code=None)
    headers = {"Authorization": f"Bearer {token}"}
    known = {
        c["code"]
        for c in (await client.get("/api/hotline/v1/categories", headers=headers)).json()["items"]
    }
    domains = {d["name"]: d["code"] for d in read_json("domains.json")}
    added = 0
    for code, category in Demo.load().categories.items():
        if code in known:
            continue
        body = {"name": category["name"], "domain_code": domains.get(category.get("domain_hint"))}
        response = await client.put(
            f"/api/hotline/v1/categories/{code}", json=body, headers=headers
        )
        response.raise_for_status()
        added += 1
    return added


async def send(
    url: str, count: int, seed: int, *, settings: Settings | None = None, concurrency: int = 8
) -> tuple[int, int]:
    """Register categories, then send every delivery signed with the first active secret;
    returns (answered 2xx, failed)."""
    settings = settings or get_settings()
    secret = settings.hotline_webhook_secrets.split(",")[0].strip()
    if not secret:
        raise typer.BadParameter("HOTLINE_WEBHOOK_SECRETS 未设置")
    signer = Webhook(secret)
    now = datetime.now(UTC)
    planned = deliveries(count, seed, now)
    ok = failed = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await register_categories(client, settings)
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        for item in planned:
            queue.put_nowait(item)

        async def worker() -> None:
            nonlocal ok, failed
            while not queue.empty():
                webhook_id, body = queue.get_nowait()
                response = await client.post(
                    WEBHOOK, content=body.encode(), headers=signed_headers(signer, webhook_id, body)
                )
                if response.is_success:
                    ok += 1
                else:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failed


@app.callback()
def main() -> None:
    """Demo hotline commands."""


@app.command("send")
def send_command(
    url: str = typer.Option("http://127.0.0.1:8003", help="hotline_ingest 地址"),
    count: int = typer.Option(300, min=1, help="工单数"),
    seed: int = typer.Option(2026, help="随机种子（同一种子重发不会重复计数）"),
) -> None:
    """Send signed demo deliveries (idempotent for the same seed)."""
    ok, failed = asyncio.run(send(url, count, seed))
    console.print(f"已发送 12345 演示工单事件：成功 {ok} 条，失败 {failed} 条")
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
