"""Text the platform writes into xlsx and docx files, in one place for every writer.

- XML 1.0 cannot hold most control characters, lone surrogates or U+FFFE/U+FFFF: openpyxl and
  python-docx raise on them, so a unit name or a 12345 text holding one would break the export.
  `xml_text` drops them (input refuses them since shared.validation; older rows and the 12345
  platform's texts may still hold them).
- A cell whose text starts with = + - @, a tab or a carriage return is what a spreadsheet runs as
  a formula (CSV/formula injection). `append_row` writes such text as a text cell with Excel's
  quote prefix, so it is shown and re-saved as the text it is, never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def xml_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


def xml_clean_tree(value: Any) -> Any:
    """Every string in a JSON-like tree (a report's snapshot) cleaned with `xml_text`."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {key: xml_clean_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [xml_clean_tree(item) for item in value]
    return value


def cell_value(value: Any) -> Any:
    return xml_text(value) if isinstance(value, str) else value


def keep_as_text(cell: Any) -> None:
    """A string that looks like a formula stays a string (and Excel shows it quoted)."""
    value = cell.value if isinstance(cell, Cell) else None
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """`sheet.append` for text from people and platforms: cleaned, never a formula."""
    cleaned = [cell_value(v) for v in values]
    sheet.append(cleaned)
    if any(isinstance(v, str) for v in cleaned):
        for cell in sheet[sheet.max_row]:
            keep_as_text(cell)
