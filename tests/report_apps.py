"""reform_tasks with its HTTP client routed to the evaluation and hotline_ingest apps in process
(over ASGITransport), so report generation reads real scores, rankings and hotline rates."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import Settings


class ServiceRoutes(httpx.AsyncBaseTransport):
    """Sends each request to the app serving the port its URL names (as the real services'
    URLs do: evaluation on 8002, hotline on 8003)."""

    def __init__(self, routes: dict[int, httpx.AsyncBaseTransport]) -> None:
        self._routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._routes.get(request.url.port or 80)
        if transport is None:
            raise httpx.ConnectError(f"nothing listens on {request.url}", request=request)
        return await transport.handle_async_request(request)


def _app(
    factory: Callable[[Settings], FastAPI],
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> FastAPI:
    app = factory(settings)
    app.state.sessionmaker = sessionmaker
    return app


def tasks_app_with_sources(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[FastAPI, httpx.AsyncClient]:
    """The reform_tasks app (its `state.http` reaching the other two apps) and a client for it."""
    from services.evaluation.app import create_app as evaluation
    from services.hotline_ingest.app import create_app as hotline
    from services.reform_tasks.app import create_app as reform_tasks

    routes: dict[int, httpx.AsyncBaseTransport] = {
        urlparse(settings.evaluation_url).port or 80: httpx.ASGITransport(
            app=_app(evaluation, settings, sessionmaker)
        ),
        urlparse(settings.hotline_url).port or 80: httpx.ASGITransport(
            app=_app(hotline, settings, sessionmaker)
        ),
    }
    app = _app(reform_tasks, settings, sessionmaker)
    app.state.http = httpx.AsyncClient(transport=ServiceRoutes(routes))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )
    return app, client


async def draft_notice(session: AsyncSession, programme_id: int) -> int:
    """A stored draft quarterly notice with an empty but complete snapshot (for tests that need
    a report to exist without generating one over HTTP)."""
    from shared.clock import now_utc
    from shared.models import Report, ReportKind

    empty_ranking: list[dict[str, object]] = []
    data = {
        "programme": {"code": "2026", "name": "2026年一号改革工程"},
        "period": {"id": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"},
        "as_of_date": "2026-09-30",
        "document_number": "云营改办通〔2026〕3号",
        "issuer": "云岭市优化营商环境工作领导小组办公室",
        "issued_on": "2026-10-01",
        "totals": {"tasks": 0, "done": 0, "on_track": 0, "lagging": 0, "seriously_lagging": 0},
        "by_domain": [],
        "by_unit": [],
        "behind": [],
        "close_outs": [],
        "milestones_completed": 0,
        "extensions": [],
        "supervisions": [],
        "supervision_counts": {"issued": 0, "escalated": 0, "accountability": 0},
        "rule_set_version": None,
        "top_n": 5,
        "bottom_n": 5,
        "naming_margin": 1.0,
        "rankings": [{"group": "district", "name": "区县", "rows": empty_ranking}],
        "hotline": [],
        "praised": [{"group": "district", "name": "区县", "rows": []}],
        "named": [{"group": "district", "name": "区县", "rows": []}],
        "accountability": [],
    }
    report = Report(
        programme_id=programme_id,
        kind=ReportKind.quarterly_notice,
        period="2026-Q3",
        version=1,
        title="关于2026年第三季度营商环境改革工作情况的通报",
        as_of=now_utc(),
        data=data,
        editable={"foreword": "", "typical_cases": "", "requirements": ""},
        generated_at=now_utc(),
        generated_by="office",
    )
    session.add(report)
    await session.flush()
    return report.id
