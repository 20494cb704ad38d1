"""HTML rendering for the SPA's preview: a Jinja2 template (`templates/report.html.j2`),
autoescaped, self-contained (inline styles, no scripts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reform_tasks.report.layout import chinese_date, numbered, percent, sections, text

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals.update(
    numbered=numbered, percent=percent, text=text, chinese_date=chinese_date
)


def render_html(report: dict[str, Any]) -> str:
    template = _environment.get_template("report.html.j2")
    return template.render(report=report, data=report["data"], sections=sections(report))
