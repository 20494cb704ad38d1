"""Historical import (a year of orders from the platform's export), idempotent: each event's
delivery id is `import:<order_no>:<type>` and events are unique by (order_no, type,
occurred_at), so running the same file again changes nothing. Stored through the same SQL as
the webhook (`hotline.receive_batch`), so imported orders derive, quarantine and feed
evaluation exactly like pushed ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.history.reader import Row, to_row
from services.hotline_ingest.history.repository import HistoryRepository
from services.hotline_ingest.webhook.repository import Receipt, link_repeats_in_session
from services.hotline_ingest.webhook.service import event_receipt
from shared.hotline_rates import closing_deadline, limits_json
from shared.settings import Settings


@dataclass
class ImportReport:
    rows: int = 0
    orders: int = 0
    events: int = 0
    applied: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


async def prepare(
    session: AsyncSession, settings: Settings, table: list[dict[str, object]]
) -> list[Row]:
    """Validate every row first (the working calendar fills missing due times)."""
    working = await calendar.load(session)

    def due(received: datetime, kind: str) -> datetime:
        return closing_deadline(working, settings, received, kind)

    return [to_row(number, cells, due) for number, cells in enumerate(table, start=2)]


def receipts(settings: Settings, row: Row) -> list[Receipt]:
    found = []
    for event_type, model in row.events:
        order_no = getattr(model, "order_no", "")
        base = {
            "webhook_id": f"import:{order_no}:{event_type}",
            "source": "import",
            "headers": "{}",
            "body": model.model_dump_json(exclude={"contact_name", "contact_phone"}),
            "event_type": event_type,
        }
        found.append(event_receipt(settings, base, model))
    return found


async def store(session: AsyncSession, settings: Settings, batch: list[Receipt]) -> list[str]:
    """One chunk in the caller's transaction; returns each event's outcome."""
    batch = sorted(batch, key=lambda r: r.lock_order)
    stored = await HistoryRepository(session).receive_batch(
        [r.args(settings) for r in batch], limits_json(settings)
    )
    callers = {r.order_no: r.caller_key for r in batch if r.order_no and r.caller_key}
    orders = sorted({r.order_no for r in batch if r.order_no is not None})
    linked = await link_repeats_in_session(
        session, orders, settings, [callers.get(o) for o in orders]
    )
    if linked or any(told for _, told in stored):
        session.info["outbox_enqueued"] = True
    return [outcome for outcome, _ in stored]


async def import_rows(
    session_for_chunk: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    settings: Settings,
    rows: list[Row],
    *,
    chunk: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store valid rows in chunks of events, one transaction per chunk (`session_for_chunk`
    gives an async context manager yielding a session in a transaction)."""
    report = ImportReport(rows=len(rows))
    pending: list[Receipt] = []

    async def flush() -> None:
        if not pending:
            return
        async with session_for_chunk() as session:
            outcomes = await store(session, settings, pending)
        report.applied += outcomes.count("applied")
        report.duplicates += len(outcomes) - outcomes.count("applied")
        pending.clear()

    for done, row in enumerate(rows, start=1):
        if row.errors:
            report.errors.extend((row.number, e) for e in row.errors)
        elif row.events:
            report.orders += 1
            found = receipts(settings, row)
            report.events += len(found)
            pending.extend(found)
            if len(pending) >= chunk:
                await flush()
        if progress is not None:
            progress(done)
    await flush()
    return report


def describe(report: ImportReport) -> str:
    return json.dumps(
        {
            "rows": report.rows,
            "orders": report.orders,
            "events": report.events,
            "applied": report.applied,
            "duplicates": report.duplicates,
            "invalid_rows": len({n for n, _ in report.errors}),
        },
        ensure_ascii=False,
    )
