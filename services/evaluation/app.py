"""evaluation: rule sets, live scores, rankings and explanations, fed by events."""

from __future__ import annotations

from fastapi import FastAPI

from services.evaluation.event.router import router as event_router
from services.evaluation.inputs.router import MAX_UPLOAD
from services.evaluation.inputs.router import router as inputs_router
from services.evaluation.programme.router import router as programme_router
from services.evaluation.rule_set.router import router as rule_set_router
from services.evaluation.score.router import router as score_router
from services.evaluation.score.stream import Broadcaster, ScoreListener
from services.evaluation.survey_results.router import router as survey_results_router
from shared.app import create_service_app
from shared.settings import Settings

SERVICE = "evaluation"


async def start_listening(app: FastAPI) -> None:
    """Lifespan: this replica's subscribers get the score changes every replica commits."""
    app.state.score_listener = ScoreListener(app.state.settings, app.state.broadcaster)
    app.state.score_listener.start()


async def stop_listening(app: FastAPI) -> None:
    await app.state.score_listener.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 评价服务 (evaluation)",
        description="Scoring rule sets, live scores, rankings and explanations.",
        routers=[
            event_router,
            rule_set_router,
            score_router,
            inputs_router,
            programme_router,
            survey_results_router,
        ],
        settings=settings,
        upload_limits={r"/api/evaluation/v1/surveys/import": MAX_UPLOAD + 1024 * 1024},
        on_startup=[start_listening],
        on_shutdown=[stop_listening],
    )
    app.state.broadcaster = Broadcaster()
    return app


app = create_app()
