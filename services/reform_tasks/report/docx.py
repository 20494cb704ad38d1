"""A report as an official-document DOCX (GB/T 9704-2012): `report.official` makes the document,
`document.docx` lays it out. Kept for the callers that render a report's render input."""

from __future__ import annotations

from typing import Any

from services.reform_tasks.document import docx
from services.reform_tasks.report.official import report_document


def render_docx(report: dict[str, Any]) -> bytes:
    return docx.render_docx(report_document(report))
