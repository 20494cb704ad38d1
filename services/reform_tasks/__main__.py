"""`python -m services.reform_tasks create-admin --username NAME`: the first administrator.

A new installation has no accounts (the demo loader refuses ENVIRONMENT=production): this makes
the first office admin, who then creates every other account in the SPA. The password is read
from a hidden prompt (twice) or, with --password-stdin, from standard input; it must meet the
platform's password policy (shared.validation.NewPassword). Audited as `cli:create-admin`.
"""

from __future__ import annotations

import asyncio
import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from services.reform_tasks.user.schemas import UserCreate
from services.reform_tasks.user.service import create_first_admin
from shared.db import create_engine, create_sessionmaker
from shared.errors import DomainError
from shared.models import Role
from shared.settings import get_settings

app = typer.Typer(help="任务服务命令", no_args_is_help=True)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """reform_tasks commands."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("密码", hide_input=True, confirmation_prompt=True))


@app.command("create-admin")
def create_admin(
    username: str = typer.Option(..., help="登录名（小写字母开头）"),
    display_name: str = typer.Option("改革办管理员", help="显示名"),
    password_stdin: bool = typer.Option(False, help="从标准输入读取密码（一行）"),
) -> None:
    """Create the first office admin (refused once one exists)."""
    try:
        body = UserCreate(
            username=username,
            display_name=display_name,
            role=Role.office_admin,
            password=_password(password_stdin),
        )
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]{'.'.join(map(str, error['loc']))}：{error['msg']}[/red]")
        raise typer.Exit(2) from exc

    async def run() -> None:
        engine = create_engine(get_settings(), pool_size=1)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                await create_first_admin(session, body)
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]已创建改革办管理员 {username}[/green]")


if __name__ == "__main__":
    app()
