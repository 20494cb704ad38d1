"""`python -m shared.demo load`: load the 云岭市 demo data (idempotent)."""

from __future__ import annotations

import asyncio
from datetime import date

import typer
from rich.console import Console

from shared.db import create_engine, create_sessionmaker
from shared.demo.loader import load
from shared.settings import Environment, get_settings

app = typer.Typer(help="云岭市演示数据", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """Demo data commands."""


@app.command("load")
def load_command(
    as_of: str = typer.Option(
        "", help="simulate progress up to this date (YYYY-MM-DD); default today"
    ),
) -> None:
    """Load units, users, the 2026 programme, 210 tasks and simulated progress."""
    settings = get_settings()
    if settings.environment is Environment.production:
        # Demo accounts share one published password: never in production (issue #23).
        console.print(
            "[red]ENVIRONMENT=production：拒绝加载演示数据（演示账号共用公开密码）。"
            "首个管理员请用 python -m services.reform_tasks create-admin 创建。[/red]"
        )
        raise typer.Exit(2)

    async def run() -> None:
        engine = create_engine(settings, pool_size=2)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                report = await load(
                    session,
                    password=settings.demo_password,
                    as_of=date.fromisoformat(as_of) if as_of else None,
                )
        finally:
            await engine.dispose()
        console.print(
            f"[green]演示数据已就绪[/green]：单位 {report.units} 个，新增用户 {report.users} 个，"
            f"新增任务 {report.tasks} 项，时间节点 {report.milestones} 个，"
            f"进展报送 {report.progress_reports} 条"
        )

    asyncio.run(run())


if __name__ == "__main__":
    app()
