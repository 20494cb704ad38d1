"""A report as the official document's HTML preview: `report.official` makes the document,
`document.html` lays it out. Kept for the callers that render a report's render input."""

from __future__ import annotations

from typing import Any

from services.reform_tasks.document import html
from services.reform_tasks.report.official import report_document


def render_html(report: dict[str, Any]) -> str:
    return html.render_html(report_document(report))
