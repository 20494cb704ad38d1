"""DOCX rendering: the official-document template (红头, 文号 and red line, title, signature;
`templates/official_document.docx`, editable in Word) filled with python-docx. Placeholders
`{{name}}` in the template are replaced; `{{body}}` becomes the sections and their tables."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from services.reform_tasks.report.layout import (
    Cell,
    Table,
    chinese_date,
    numbered,
    percent,
    sections,
    text,
)
from shared.office_files import xml_clean_tree

TEMPLATE = Path(__file__).parent / "templates" / "official_document.docx"
BODY = "{{body}}"


def _replace(paragraph: Paragraph, values: dict[str, str]) -> None:
    """Replace placeholders even if Word split them across runs (the paragraph keeps the first
    run's formatting)."""
    full = paragraph.text
    if "{{" not in full:
        return
    for key, value in values.items():
        full = full.replace("{{" + key + "}}", value)
    runs = paragraph.runs
    if runs:
        runs[0].text = full
        for run in runs[1:]:
            run.text = ""


def _table(document: DocumentObject, anchor: Paragraph, table: Table) -> None:
    caption = document.add_paragraph(table.caption)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.runs[0].bold = True
    anchor._p.addprevious(caption._p)
    empty: list[Cell] = ["无", *[""] * (len(table.columns) - 1)]
    rows = table.rows or [empty]
    grid = document.add_table(rows=len(rows) + 1, cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
    for row, values in zip(grid.rows[1:], rows, strict=True):
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = percent(value) if index in table.percent_columns else text(value)
    for row in grid.rows:
        for cell in row.cells:
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(10.5)
    anchor._p.addprevious(grid._tbl)


def render_docx(report: dict[str, Any]) -> bytes:
    report = xml_clean_tree(report)  # python-docx refuses what XML 1.0 cannot hold
    document = Document(str(TEMPLATE))
    data, editable = report["data"], report["editable"]
    values = {
        "document_number": data["document_number"],
        "title": report["title"],
        "issuer": data["issuer"],
        "issued_on": chinese_date(data["issued_on"]),
        "as_of": report["as_of"],
        "rule_set_version": str(data["rule_set_version"] or "默认"),
    }
    anchor = next(p for p in document.paragraphs if BODY in p.text)
    for paragraph in document.paragraphs:
        if paragraph is not anchor:
            _replace(paragraph, values)
    for paragraph in document.sections[0].footer.paragraphs:
        _replace(paragraph, values)
    opening = [editable["foreword"]] if editable.get("foreword") else []
    for line in opening:
        lead = document.add_paragraph(line)
        lead.paragraph_format.first_line_indent = Pt(32)
        anchor._p.addprevious(lead._p)
    for index, section in enumerate(sections(report)):
        heading = document.add_paragraph(numbered(index, section.heading), style="Heading 1")
        anchor._p.addprevious(heading._p)
        for line in section.paragraphs:
            paragraph = document.add_paragraph(line)
            paragraph.paragraph_format.first_line_indent = Pt(32)
            anchor._p.addprevious(paragraph._p)
        for table in section.tables:
            _table(document, anchor, table)
    anchor._p.getparent().remove(anchor._p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
