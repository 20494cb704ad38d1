"""`python -m services.hotline_ingest import FILE`: a year of historical work orders from the
hotline platform's export (xlsx or CSV, columns in docs/HOTLINE.md), with a progress bar.
Idempotent: importing the same file again adds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.history import service
from services.hotline_ingest.history.reader import read_table
from shared.db import create_engine, create_sessionmaker
from shared.settings import get_settings

app = typer.Typer(help="12345 热线接入服务命令", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """hotline_ingest commands."""


@app.command("import")
def import_history(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="xlsx 或 CSV 文件"),
    chunk: int = typer.Option(500, min=1, max=5000, help="每个事务的事件数"),
    skip_invalid: bool = typer.Option(
        False, help="有错误的行跳过、其余照常导入（默认：有错误则不导入）"
    ),
) -> None:
    """Import historical work orders (idempotent)."""
    settings = get_settings()
    table = read_table(path)

    async def run() -> service.ImportReport:
        engine = create_engine(settings, pool_size=2)
        maker = create_sessionmaker(engine)

        @asynccontextmanager
        async def chunk_session() -> AsyncIterator[AsyncSession]:
            async with maker() as session, session.begin():
                yield session

        try:
            async with maker() as session:
                rows = await service.prepare(session, settings, table)
            invalid = [r for r in rows if r.errors]
            if invalid and not skip_invalid:
                for row in invalid[:50]:
                    console.print(f"[red]第 {row.number} 行[/red]：" + "；".join(row.errors))
                raise typer.Exit(1)
            with Progress(
                TextColumn("导入工单"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} 行"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("import", total=len(rows))
                return await service.import_rows(
                    chunk_session,
                    settings,
                    rows,
                    chunk=chunk,
                    progress=lambda done: progress.update(task, completed=done),
                )
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    for number, error in report.errors[:50]:
        console.print(f"[yellow]跳过第 {number} 行[/yellow]：{error}")
    console.print(
        f"[green]导入完成[/green]：{report.rows} 行，工单 {report.orders} 个，"
        f"事件 {report.events} 条"
        f"（新增 {report.applied}，已存在 {report.duplicates}），"
        f"有误的行 {len({n for n, _ in report.errors})} 行"
    )


if __name__ == "__main__":
    app()
