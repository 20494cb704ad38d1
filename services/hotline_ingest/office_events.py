"""The office's decisions on a work order, stored as events (source `office`) beside the
platform's, so the order stays a pure function of its events (docs/HOTLINE.md "Work orders are
derived from their events"): a re-dispatch after a return is an `assigned`, a rejected return a
`work_order.return_rejected`, an overturned dissatisfied visit a `work_order.visit_overturned`.
The last two are the office's own: the platform's webhook does not accept them."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.webhook.repository import receive_in_session
from services.hotline_ingest.webhook.schemas import EventData, Text
from services.hotline_ingest.webhook.service import event_receipt
from shared.auth import Principal
from shared.settings import Settings

RETURN_REJECTED = "work_order.return_rejected"
VISIT_OVERTURNED = "work_order.visit_overturned"


class ReturnRejected(EventData):
    """The office sent a return back to the unit: the order carries on on the clock it had."""

    reason: Text


class VisitOverturned(EventData):
    """The office upheld the unit's appeal: the dissatisfied rating leaves the satisfaction
    rate."""

    reason: Text
    appeal_id: int


async def record(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    event_type: str,
    data: EventData,
) -> None:
    """Store the office's decision as an event of the order (derived with its other events, in
    any order; evaluation is told what the derivation says)."""
    base = {
        "webhook_id": f"office:{uuid.uuid4().hex}",
        "source": "office",
        "headers": json.dumps({"actor": principal.username}),
        "body": data.model_dump_json(),
        "event_type": event_type,
    }
    await receive_in_session(session, event_receipt(settings, base, data), settings)
