"""XLSX rendering with openpyxl: a cover sheet, then one sheet per section; numbers stay numbers
(rates as fractions formatted as percentages) so the workbook round-trips the snapshot."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.reform_tasks.report.layout import sections
from shared.office_files import append_row, xml_clean_tree

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def render_xlsx(report: dict[str, Any]) -> bytes:
    report = xml_clean_tree(report)
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "封面"
    data = report["data"]
    for row in (
        [report["title"]],
        ["文号", report["document_number"] or "（签发时编号）"],
        ["类别", report["kind_label"]],
        ["期次", report["period"]],
        ["版本", report["version"]],
        ["数据截至", report["as_of"]],
        ["评价规则版本", data["rule_set_version"]],
        ["发文单位", data["issuer"]],
    ):
        append_row(cover, row)
    cover["A1"].font = Font(bold=True, size=14)
    cover.column_dimensions["A"].width = 16
    cover.column_dimensions["B"].width = 40
    for section in sections(report):
        sheet = workbook.create_sheet(section.sheet[:31])
        for line in section.paragraphs:
            append_row(sheet, [line])
        widths: dict[int, int] = {}
        for table in section.tables:
            if sheet.max_row > 1 or sheet["A1"].value is not None:
                sheet.append([])
            append_row(sheet, [table.caption])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
            append_row(sheet, table.columns)
            for cell in sheet[sheet.max_row]:
                cell.font, cell.fill = Font(bold=True), HEADER_FILL
            for values in table.rows:
                append_row(sheet, values)
                for index in table.percent_columns:
                    sheet.cell(sheet.max_row, index + 1).number_format = "0.0%"
            for index, heading in enumerate(table.columns):
                widths[index] = max(widths.get(index, 8), len(heading) * 2 + 2)
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(width, 40)
        for row in sheet.iter_rows(max_col=1):
            row[0].alignment = Alignment(wrap_text=False)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
