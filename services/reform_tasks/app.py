"""reform_tasks: task list, units, battle map, progress, extensions, ratings, problems,
supervision, sweeps, reports, reminders, unit inboxes and to-do lists (and login and user
accounts)."""

from __future__ import annotations

from fastapi import FastAPI

from services.reform_tasks.auth.router import router as auth_router
from services.reform_tasks.battle_map.router import router as battle_map_router
from services.reform_tasks.case.router import router as case_router
from services.reform_tasks.evidence.router import router as evidence_router
from services.reform_tasks.extension.router import router as extension_router
from services.reform_tasks.import_export import xlsx
from services.reform_tasks.import_export.router import router as import_export_router
from services.reform_tasks.instruction.router import router as instruction_router
from services.reform_tasks.message.router import router as message_router
from services.reform_tasks.problem.router import router as problem_router
from services.reform_tasks.problem_list import xlsx as problem_list_xlsx
from services.reform_tasks.problem_list.router import router as problem_list_router
from services.reform_tasks.programme.router import router as programme_router
from services.reform_tasks.progress.router import router as progress_router
from services.reform_tasks.project.router import router as project_router
from services.reform_tasks.rating.router import router as rating_router
from services.reform_tasks.reminder.router import router as reminder_router
from services.reform_tasks.report.router import router as report_router
from services.reform_tasks.scheduler_runs.router import router as scheduler_runs_router
from services.reform_tasks.submission.router import router as submission_router
from services.reform_tasks.supervision.router import router as supervision_router
from services.reform_tasks.sweep.router import router as sweep_router
from services.reform_tasks.task.router import router as task_router
from services.reform_tasks.timeline.router import router as timeline_router
from services.reform_tasks.todo.router import router as todo_router
from services.reform_tasks.tour.router import router as tour_router
from services.reform_tasks.unit.router import router as unit_router
from services.reform_tasks.user.router import router as user_router
from shared.app import create_service_app
from shared.settings import Settings, get_settings

SERVICE = "reform_tasks"

ROUTERS = [
    auth_router,
    unit_router,
    user_router,
    programme_router,
    # import/export before the task router so /tasks/export is not read as /tasks/{number}
    import_export_router,
    task_router,
    battle_map_router,
    progress_router,
    extension_router,
    rating_router,
    supervision_router,
    sweep_router,
    problem_router,
    timeline_router,
    message_router,
    report_router,
    reminder_router,
    scheduler_runs_router,
    todo_router,
    evidence_router,
    project_router,
    problem_list_router,
    submission_router,
    case_router,
    instruction_router,
    tour_router,
]


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 任务服务 (reform_tasks)",
        description="Task list, units, battle map, progress, ratings and supervision; login.",
        routers=ROUTERS,
        settings=settings,
        produces_events=True,
        upload_limits=upload_limits(settings or get_settings()),
    )


def upload_limits(settings: Settings) -> dict[str, int]:
    """The routes that take files, and their body caps (files plus 1 MiB of form fields)."""
    form = 1024 * 1024
    return {
        r"/api/tasks/v1/tasks/\d+/milestones/\d+/reports": (
            settings.evidence_max_bytes * settings.evidence_max_files + form
        ),
        r"/api/tasks/v1/supervisions/\d+/replies": (
            settings.evidence_max_bytes * settings.supervision_reply_max_files + form
        ),
        r"/api/tasks/v1/tasks/import": xlsx.MAX_BYTES + form,
        r"/api/tasks/v1/projects/\d+/weekly-reports": (
            settings.evidence_max_bytes * settings.evidence_max_files + form
        ),
        r"/api/tasks/v1/projects/\d+/plan": settings.evidence_max_bytes + form,
        r"/api/tasks/v1/projects/import": xlsx.MAX_BYTES + form,
        r"/api/tasks/v1/submissions": settings.evidence_max_bytes * settings.evidence_max_files
        + form,
        r"/api/tasks/v1/problem-lists/\d+/import": problem_list_xlsx.MAX_BYTES + form,
        r"/api/tasks/v1/instructions/\d+/answers": (
            settings.evidence_max_bytes * settings.supervision_reply_max_files + form
        ),
    }


app = create_app()
