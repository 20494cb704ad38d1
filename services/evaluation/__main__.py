"""`python -m services.evaluation recompute --programme 2026`: rebuild every score from facts."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from services.evaluation.ledger import service as ledger
from shared.db import create_engine, create_sessionmaker
from shared.errors import Conflict
from shared.settings import get_settings

app = typer.Typer(help="评价服务命令", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """Evaluation commands."""


@app.command()
def recompute(programme: str = typer.Option("2026", help="改革工程代码（年份）")) -> None:
    """Rebuild ledger, counters and scores from facts alone (same result as the live path)."""
    settings = get_settings()

    async def run() -> int:
        engine = create_engine(settings, pool_size=2)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                tasks: dict[str, TaskID] = {}

                def report(stage: str, done: int, total: int) -> None:
                    label = {"facts": "重放事实", "scores": "计算得分"}.get(stage, stage)
                    if stage not in tasks:
                        tasks[stage] = progress.add_task(label, total=total)
                    progress.update(tasks[stage], completed=done, total=total)

                async with create_sessionmaker(engine)() as session, session.begin():
                    return await ledger.recompute(session, programme, report)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    try:
        replayed = asyncio.run(run())
    except Conflict as exc:  # a closed programme: its results are frozen
        console.print(f"[red]未重算[/red]：{exc.detail}")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]重算完成[/green]：改革工程 {programme}，重放非热线事实 {replayed} 条，"
        f"用时 {time.perf_counter() - started:.2f} 秒"
    )


if __name__ == "__main__":
    app()
