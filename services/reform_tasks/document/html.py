"""An OfficialDocument as HTML for the browser preview: the same elements as the DOCX, on
A4-sized sheets, from a Jinja2 template (`templates/official_document.html.j2`), autoescaped
(everything in it is text someone typed or a unit's name) and self-contained: inline styles, no
scripts, no external resources."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from services.reform_tasks.document.model import (
    Heading,
    OfficialDocument,
    Table,
    chinese_date,
    mark_size,
    signature_indents,
)

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.tests.update(
    heading=lambda block: isinstance(block, Heading),
    table=lambda block: isinstance(block, Table),
)


def render_html(document: OfficialDocument) -> str:
    """The document as one HTML page."""
    signed_on = chinese_date(document.signed_on)
    issuer_right, date_right = signature_indents(document.issuer, signed_on)
    several = len(document.attachments) > 1
    size, scale = mark_size(document.mark)
    return _environment.get_template("official_document.html.j2").render(
        document=document,
        signed_on=signed_on,
        printed_on=chinese_date(document.printed),
        mark_size=size,
        mark_scale=scale / 100,
        issuer_right=issuer_right,
        date_right=date_right,
        list_indent=6.5 if several else 5,
        copy_to=document.copy_to.strip().rstrip("。；;，,"),
    )
