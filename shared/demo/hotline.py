"""`python -m shared.demo.hotline send`: a demo 12345 platform. It sends signed deliveries to a
running hotline_ingest — realistic orders for the demo units (texts in data/hotline_templates.json,
written from seed 004's list of what 12345 handles), each order's lifecycle, plus duplicates and
out-of-order events like a real platform retrying."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import typer
from rich.console import Console
from standardwebhooks import Webhook

from shared.demo.loader import read_json
from shared.settings import get_settings

app = typer.Typer(help="12345 热线演示数据", no_args_is_help=True)
console = Console()
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明"]
DUE_DAYS = {"consult": 1, "complaint": 5, "help": 3, "suggestion": 5, "report": 5}


def credit_code(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = (
        "913601"
        + "".join(rng.choice("0123456789") for _ in range(2))
        + "".join(rng.choice(chars) for _ in range(9))
    )
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def order_events(
    rng: random.Random, number: int, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    units = read_json("units.json")["units"]
    districts = [u for u in units if u["kind"] == "district"]
    template = rng.choice(read_json("hotline_templates.json"))
    district = rng.choice(districts)
    unit = district["code"] if template["unit"] == "district" else template["unit"]
    received = now - timedelta(days=rng.uniform(1, 300), minutes=rng.randint(0, 600))
    order_no = f"YL{received:%Y%m%d}{number:05d}"
    due = received + timedelta(days=DUE_DAYS[template["kind"]])
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    events = [
        (
            "work_order.created",
            {
                "order_no": order_no,
                "occurred_at": received.isoformat(),
                "channel": rng.choice(["phone", "phone", "web", "wechat", "app"]),
                "kind": template["kind"],
                "title": template["title"],
                "content": f"{district['short_name']}：{template['content']}",
                "received_at": received.isoformat(),
                "district_code": district["code"],
                "enterprise_name": f"云岭市{rng.choice(['鑫达', '恒通', '华宇', '瑞丰', '中科'])}"
                f"{rng.choice(['机械', '科技', '建材', '食品', '物流'])}有限公司",
                "credit_code": credit_code(rng),
                "contact_name": name,
                "contact_phone": f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}",
                "category_code": template["category"],
                "handling_unit_code": unit,
                "due_at": due.isoformat(),
            },
        )
    ]
    accepted = received + timedelta(hours=rng.choice([2, 6, 20, 30, 60, 150]))
    events.append(
        ("work_order.accepted", {"order_no": order_no, "occurred_at": accepted.isoformat()})
    )
    replied = accepted + timedelta(hours=rng.randint(4, 72))
    events.append(
        (
            "work_order.replied",
            {"order_no": order_no, "occurred_at": replied.isoformat(), "reply": template["reply"]},
        )
    )
    closed = replied + timedelta(hours=1)
    events.append(("work_order.closed", {"order_no": order_no, "occurred_at": closed.isoformat()}))
    if rng.random() < 0.85:
        resolved = rng.random() < 0.85
        events.append(
            (
                "work_order.visited",
                {
                    "order_no": order_no,
                    "occurred_at": (closed + timedelta(days=1)).isoformat(),
                    "resolved": resolved,
                    "satisfaction": rng.choice(["satisfied", "satisfied", "basically_satisfied"])
                    if resolved
                    else rng.choice(["basically_satisfied", "dissatisfied"]),
                },
            )
        )
    return [e for e in events if datetime.fromisoformat(e[1]["occurred_at"]) < now]


async def send(url: str, count: int, seed: int) -> tuple[int, int]:
    settings = get_settings()
    secret = settings.hotline_webhook_secrets.split(",")[0].strip()
    if not secret:
        raise typer.BadParameter("HOTLINE_WEBHOOK_SECRETS 未设置")
    signer = Webhook(secret)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    deliveries: list[tuple[str, str]] = []
    for number in range(1, count + 1):
        events = order_events(rng, number, now)
        if rng.random() < 0.2:  # out of order, as a retrying platform delivers
            rng.shuffle(events)
        for event_type, data in events:
            body = json.dumps(
                {"type": event_type, "timestamp": now.isoformat(), "data": data}, ensure_ascii=False
            )
            deliveries.append((f"msg_{seed}_{number}_{event_type}", body))
            if rng.random() < 0.05:  # a duplicate delivery
                deliveries.append((f"msg_{seed}_{number}_{event_type}", body))
    ok = failed = 0
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for webhook_id, body in deliveries:
            sent_at = datetime.now(UTC)
            headers = {
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": signer.sign(webhook_id, sent_at, body),
                "content-type": "application/json",
            }
            response = await client.post(
                "/api/hotline/v1/webhooks/12345", content=body.encode(), headers=headers
            )
            if response.is_success:
                ok += 1
            else:
                failed += 1
    return ok, failed


@app.callback()
def main() -> None:
    """Demo hotline commands."""


@app.command("send")
def send_command(
    url: str = typer.Option("http://127.0.0.1:8003", help="hotline_ingest 地址"),
    count: int = typer.Option(300, help="工单数"),
    seed: int = typer.Option(2026, help="随机种子（同一种子重发不会重复计数）"),
) -> None:
    """Send signed demo deliveries (idempotent for the same seed)."""
    ok, failed = asyncio.run(send(url, count, seed))
    console.print(f"已发送 12345 演示工单事件：成功 {ok} 条，失败 {failed} 条")


if __name__ == "__main__":
    app()
