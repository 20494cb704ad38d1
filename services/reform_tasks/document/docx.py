"""An OfficialDocument as a DOCX laid out to GB/T 9704-2012 (党政机关公文格式), built in code with
python-docx (docs/ARCHITECTURE.md says why not from a Word template).

The layout, element by element (GB/T 9704 clause in brackets):
- A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (5.2.1); 22 lines of 28 characters (5.2.3):
  3号 (16 pt) 仿宋_GB2312 at an exact 28.95 pt line pitch, characters condensed by 0.25 pt so
  28 fit a line. Exact spacing keeps the lines where they are with any substitute font.
- 版头: 发文机关标志 in red 小标宋, centred, its top 35 mm into the 版心 (7.2.4); 发文字号 two
  lines below it (7.2.5); the red line, as wide as the 版心, under the 发文字号 (7.2.7) — a
  paragraph border, so there is no other rule in the file (the old Title style drew a blue one).
- 主体: title in 2号 小标宋, centred, two lines below the red line (7.3.1); 主送机关 flush left
  one line below (7.3.2); body with headings 一、 in 黑体 and （一） in 楷体 (7.3.3); 附件说明 one
  line below the body, names aligned after “附件：” (7.3.4); 署名 centred on the 成文日期, which is
  右空四字, two lines below the text for the seal (7.3.5.1); 附注 on the next line, 左空二字
  (7.3.6); each 附件 on a new page, “附件N” in 黑体 top left, its title on the third line (7.3.7),
  tables with a repeated header row.
- 版记 at the bottom of the last page, which is even (7.4): a section that starts on the next even
  page (a blank page, without a page number, is inserted when needed), see `_imprint`.
- 页码 “— N —” in 4号 宋体 below the 版心: odd pages right, even pages left, one character in from
  the edge (7.5), a PAGE field in the odd and the even footer; nothing else in any header or
  footer.
"""

from __future__ import annotations

import io
import math
from datetime import UTC
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph as DocxParagraph

from services.reform_tasks.document.model import (
    Attachment,
    Block,
    Heading,
    OfficialDocument,
    Table,
    chinese_date,
    mark_size,
    signature_indents,
    text_width,
)
from shared.office_files import xml_text

# Standard names of the government fonts: Word and WPS use them when installed; elsewhere they
# are substituted (the fixed line pitch keeps the layout).
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
# name → (panose, alternative name): lets Word and WPS pick a near font when one is missing.
FONT_TABLE = {
    FANGSONG: ("02010609030101010101", "仿宋"),
    HEITI: ("02010609060101010101", "SimHei"),
    KAITI: ("02010609030101010101", "楷体"),
    XIAOBIAOSONG: ("02000000000000000000", "宋体"),
    SONGTI: ("02010600030101010101", "SimSun"),
}

# The template's styles that are kept: the defaults, the table grid and the footer's.
KEPT_STYLES = {
    "Normal",
    "DefaultParagraphFont",
    "TableNormal",
    "NoList",
    "TableGrid",
    "Footer",
    "FooterChar",
}
RED = RGBColor(0xFF, 0x00, 0x00)
BODY_SIZE = Pt(16)  # 3号
TITLE_SIZE = Pt(22)  # 2号
IMPRINT_SIZE = Pt(14)  # 4号: 版记 and 页码
TABLE_SIZE = Pt(12)  # 小四, in attachment tables
NARROW_COLUMN = 7  # characters: a column this narrow is numbers, dates or labels (centred)
LINE = Pt(28.95)  # 225 mm / 22 lines (w:line 579)
CHAR = Pt(16)  # 一字 in 3号
CONDENSE = -5  # character spacing in twips (-0.25 pt): 28 characters of 3号 to a 156 mm line
TEXT_WIDTH = Mm(156)
TEXT_HEIGHT = Mm(225)
MARK_BEFORE = Mm(35.3)  # puts the 发文机关标志's top 35 mm below the 版心's top (7.2.4)
RED_RULE_SPACE = 5  # pt between the 发文字号's line and the red line: 4 mm below the characters
FOOTER_DISTANCE = Mm(24)  # puts the 页码's 一字线 about 7 mm below the 版心 (7.5)
THICK_RULE, THIN_RULE, RED_RULE = 8, 6, 12  # border widths in eighths of a point (0.35, 0.25 mm)
RULE_LINE = Pt(1)  # the height of the empty line carrying a 版记 rule
IMPRINT_SLACK = Mm(1.5)  # room left under the 版记 for how LibreOffice and Word differ


def _tags(names: str) -> list[str]:
    return [f"w:{name}" for name in names.split()]


# Schema order of the elements in w:pPr, w:sectPr and w:rPr (Word rejects them out of order).
_PPR_ORDER = _tags(
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap "
    "overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd "
    "snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
    "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr "
    "sectPr pPrChange"
)
_SECTPR_ORDER = _tags(
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc "
    "pgBorders lnNumType pgNumType cols formProt vAlign noEndnote titlePg "
    "textDirection bidi rtlGutter docGrid printerSettings sectPrChange"
)
_RPR_ORDER = _tags(
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
    "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz "
    "szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout "
    "specVanish oMath"
)


def _child(parent: Any, tag: str, order: list[str], **attributes: str) -> Any:
    """`parent`'s `tag` child (replaced if present) with `attributes`, in schema order."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    later = order[order.index(tag) + 1 :]
    parent.insert_element_before(element, *later)
    return element


def _fonts(rpr: Any, font: str) -> None:
    """The font for every script (eastAsia for the Chinese, ascii/hAnsi for digits and Latin),
    without theme fonts, which would win over a named one."""
    fonts = _child(rpr, "w:rFonts", _RPR_ORDER)
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def _run(
    paragraph: DocxParagraph,
    text: str,
    *,
    font: str = FANGSONG,
    size: Length = BODY_SIZE,
    color: RGBColor | None = None,
    scale: int | None = None,
) -> Any:
    run = paragraph.add_run(xml_text(text))
    run.font.size = size
    if color is not None:
        run.font.color.rgb = color
    rpr = run._r.get_or_add_rPr()
    _fonts(rpr, font)
    if scale is not None:
        _child(rpr, "w:w", _RPR_ORDER, val=str(scale))
    return run


def _border(paragraph: DocxParagraph, **sides: tuple[int, str, int]) -> None:
    """Paragraph rules: side → (width in eighths of a point, colour, distance from text in pt)."""
    borders = _child(paragraph._p.get_or_add_pPr(), "w:pBdr", _PPR_ORDER)
    for side in ("top", "bottom"):
        if side in sides:
            width, color, space = sides[side]
            rule = OxmlElement(f"w:{side}")
            for name, value in (("val", "single"), ("sz", width), ("space", space)):
                rule.set(qn(f"w:{name}"), str(value))
            rule.set(qn("w:color"), color)
            borders.append(rule)


# --- the file: page, styles, fonts, footers, properties ------------------------------------------


def _page(document: DocumentObject) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = FOOTER_DISTANCE
    section.gutter = 0


def _styles(document: DocumentObject) -> None:
    """Normal is the body text (3号 仿宋, exact pitch, condensed, Chinese; punctuation never
    hangs past the 版心). The template's other styles are dropped (its Title drew a blue rule,
    its table styles are coloured), and theme fonts with them: a theme font wins over a named
    one in Word."""
    styles = document.styles.element
    for style in list(styles.findall(qn("w:style"))):
        if style.get(qn("w:styleId")) not in KEPT_STYLES:
            styles.remove(style)
    for fonts in styles.iter(qn("w:rFonts")):
        for name in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{name}"), None)
    defaults = styles.find(qn("w:docDefaults")).find(f".//{qn('w:rPr')}")
    _fonts(defaults, FANGSONG)
    _child(defaults, "w:lang", _RPR_ORDER, val="zh-CN", eastAsia="zh-CN", bidi="ar-SA")
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    rpr = normal.element.get_or_add_rPr()
    _fonts(rpr, FANGSONG)
    _child(rpr, "w:spacing", _RPR_ORDER, val=str(CONDENSE))
    layout = normal.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE
    layout.space_before = layout.space_after = Pt(0)
    layout.widow_control = False  # 22 lines on every page
    _child(normal.element.get_or_add_pPr(), "w:overflowPunct", _PPR_ORDER, val="0")


def _package(document: DocumentObject) -> None:
    """Declare the government fonts as Chinese (GB2312 charset) with a panose, so Word and WPS
    pick a near font where one is missing; Chinese as the theme's East Asian language; and drop
    what python-docx's default template carries that is not this document (a thumbnail, a copy
    of the styles with their blue Title rule, a bibliography part)."""
    fonts = document.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(fonts.blob)
    for name, (panose, alternative) in FONT_TABLE.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (
            ("altName", alternative),
            ("panose1", panose),
            ("charset", "86"),
            ("family", "modern"),
            ("pitch", "variable"),
        ):
            element = OxmlElement(f"w:{tag}")
            element.set(qn("w:val"), value)
            font.append(element)
        root.append(font)
    fonts._blob = serialize_part_xml(root)
    language = document.settings.element.find(qn("w:themeFontLang"))
    if language is not None:
        language.set(qn("w:eastAsia"), "zh-CN")
    unwanted = ("stylesWithEffects", "customXml", "thumbnail")
    for rels in (document.part.rels, document.part.package.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith(unwanted):
                rels.pop(rid)


def _layout(
    paragraph: DocxParagraph,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first_line: Length | None = None,
    left: Length | None = None,
    right: Length | None = None,
    before: Length | None = None,
    line: Length = LINE,
    keep_with_next: bool = False,
    new_page: bool = False,
) -> DocxParagraph:
    layout = paragraph.paragraph_format
    layout.alignment = align
    layout.first_line_indent = first_line
    layout.left_indent = left
    layout.right_indent = right
    layout.space_before = before
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = line
    layout.keep_with_next = keep_with_next or None
    layout.page_break_before = new_page or None
    return paragraph


def _paragraph(container: Any, **layout: Any) -> DocxParagraph:
    return _layout(container.add_paragraph(), **layout)


def _footers(document: DocumentObject) -> None:
    """页码 (7.5): “— N —”, 4号 宋体 with half-width digits, odd pages right and even pages left,
    one character in; a PAGE field, so Word, WPS and LibreOffice number the pages themselves."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        _layout(
            paragraph,
            align=WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT,
            right=IMPRINT_SIZE if odd else None,
            left=None if odd else IMPRINT_SIZE,
            line=Pt(18),
        )
        _page_number(paragraph)


def _field_char(kind: str) -> Any:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _page_number(paragraph: DocxParagraph) -> None:
    """“— N —”, N a PAGE field (its cached result “1”; Word, WPS and LibreOffice update it)."""
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    field = [_field_char("begin"), instruction, _field_char("separate"), "1", _field_char("end")]
    for part in ["— ", *field, " —"]:
        if isinstance(part, str):
            _run(paragraph, part, font=SONGTI, size=IMPRINT_SIZE)
        else:
            _run(paragraph, "", font=SONGTI, size=IMPRINT_SIZE)._r.append(part)


def _properties(document: DocumentObject, official: OfficialDocument) -> None:
    """Core properties: the issuer as author, the title, the creation time; nothing of
    python-docx's defaults."""
    properties = document.core_properties
    created = official.created
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    properties.author = properties.last_modified_by = xml_text(official.issuer)
    properties.title = xml_text(official.title)
    properties.created = properties.modified = created
    properties.revision = 1
    for name in ("subject", "keywords", "comments", "category", "content_status"):
        setattr(properties, name, "")


# --- 版头 and 主体 -------------------------------------------------------------------------------


def _chars(count: float) -> Length:
    """A length of `count` characters of 3号 (一字)."""
    return Emu(int(CHAR * count))


def _head(document: DocumentObject, official: OfficialDocument) -> None:
    """发文机关标志 35 mm into the 版心, 发文字号 two lines below, the red line 4 mm under it, the
    title two lines below the line, 主送机关 one line below the title."""
    size, scale = mark_size(official.mark)
    mark = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=MARK_BEFORE, line=Pt(44))
    _run(mark, official.mark, font=XIAOBIAOSONG, size=Pt(size), color=RED, scale=scale)
    number = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=LINE * 2)
    _run(number, official.number)
    _border(number, bottom=(RED_RULE, "FF0000", RED_RULE_SPACE))
    title = _paragraph(
        document, align=WD_ALIGN_PARAGRAPH.CENTER, before=LINE * 2, keep_with_next=True
    )
    _run(title, official.title, font=XIAOBIAOSONG, size=TITLE_SIZE)
    if official.addressee:
        addressee = _paragraph(document, before=LINE, keep_with_next=True)
        _run(addressee, official.addressee)


def _block(document: DocumentObject, block: Block) -> DocxParagraph | None:
    """One heading, paragraph or table; the paragraph written (None for a table)."""
    if isinstance(block, Table):
        _table(document, block)
        return None
    if isinstance(block, Heading):
        paragraph = _paragraph(document, first_line=CHAR * 2, keep_with_next=True)
        _run(paragraph, block.text, font=HEITI if block.level == 1 else KAITI)
        return paragraph
    paragraph = _paragraph(document, first_line=CHAR * 2)
    if block.lead:
        _run(paragraph, block.lead, font=KAITI)
    if block.text:
        _run(paragraph, block.text)
    return paragraph


def _attachment_list(document: DocumentObject, attachments: list[Attachment]) -> None:
    """附件说明 (7.3.4): one line below the text, 左空二字, “附件：1. 名称”; the names (and the
    lines they wrap to) aligned on one tab stop; kept together and with the signature after
    it (which never stands alone on a page, 7.3.5.5)."""
    numbered = len(attachments) > 1
    number_at, name_at = _chars(5), _chars(6.5 if numbered else 5)
    for index, attachment in enumerate(attachments):
        paragraph = _paragraph(
            document,
            left=name_at,
            first_line=CHAR * 2 - name_at,
            before=LINE if index == 0 else None,
            keep_with_next=True,
        )
        if numbered:
            stops = paragraph.paragraph_format.tab_stops
            stops.add_tab_stop(number_at, WD_TAB_ALIGNMENT.LEFT)
            stops.add_tab_stop(name_at, WD_TAB_ALIGNMENT.LEFT)
            lead = "附件：" if index == 0 else "\t"
            _run(paragraph, f"{lead}{index + 1}.\t{attachment.title}")
        else:
            _run(paragraph, f"附件：{attachment.title}")


def _signature(document: DocumentObject, official: OfficialDocument) -> None:
    """署名 and 成文日期 (7.3.5.1): the date 右空四字, the issuer centred on it, two lines below
    the text so the seal's top is within a line of it; an issuer too long to centre on the date
    is 右空二字 and the date centred under it. 附注 (7.3.6) on the next line, 左空二字."""
    signed_on = chinese_date(official.signed_on)
    issuer_right, date_right = signature_indents(official.issuer, signed_on)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    issuer = _paragraph(
        document, align=right, right=_chars(issuer_right), before=LINE * 2, keep_with_next=True
    )
    _run(issuer, official.issuer)
    date = _paragraph(
        document, align=right, right=_chars(date_right), keep_with_next=bool(official.note)
    )
    _run(date, signed_on)
    if official.note:
        _run(_paragraph(document, first_line=CHAR * 2), official.note)


# --- attachments and their tables -----------------------------------------------------------


def _attachment(document: DocumentObject, label: str, attachment: Attachment) -> None:
    """附件 (7.3.7): a new page; “附件N” in 黑体 flush left on its first line, the title centred
    on the third line, then the tables."""
    _run(_paragraph(document, new_page=True, keep_with_next=True), label, font=HEITI)
    title = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=LINE, keep_with_next=True)
    _run(title, attachment.title, font=XIAOBIAOSONG, size=TITLE_SIZE)
    for block in attachment.blocks:
        _block(document, block)


def _column_widths(rows: list[list[str]]) -> list[tuple[int, bool]]:
    """Each column's width in twips, filling the 版心's width, and whether it holds text (set
    flush left; numbers, dates and labels are centred). A column is as wide as its longest
    text (its heading may take two lines) plus the cell margins; if they do not fit, the short
    columns keep their width and the text columns share what is left, wrapping."""
    natural = [
        min(max(math.ceil(text_width(header) / 2), *map(text_width, cells)), 30.0) + 1
        for header, *cells in zip(*rows, strict=True)
    ]
    texts = [width > NARROW_COLUMN for width in natural]
    room = TEXT_WIDTH / TABLE_SIZE
    wide = sum(width for width, text in zip(natural, texts, strict=True) if text)
    fixed = sum(natural) - wide
    if sum(natural) > room and wide and room - fixed >= 4 * sum(texts):
        scale = (room - fixed) / wide
        natural = [w * scale if text else w for w, text in zip(natural, texts, strict=True)]
    total = sum(natural)
    return [
        (int(TEXT_WIDTH.twips * width / total), text)
        for width, text in zip(natural, texts, strict=True)
    ]


def _table(document: DocumentObject, table: Table) -> None:
    """A table as wide as the 版心, fixed layout, the header row repeated on every page, rows not
    split across pages; short columns centred, text columns flush left."""
    if table.caption:
        caption = _paragraph(
            document, align=WD_ALIGN_PARAGRAPH.CENTER, before=Pt(14), keep_with_next=True
        )
        _run(caption, table.caption, font=HEITI)
    body = table.rows or [["无", *[""] * (len(table.columns) - 1)]]
    rows = [table.columns, *body]
    columns = _column_widths(rows)
    widths = [width for width, _ in columns]
    grid = document.add_table(rows=len(rows), cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    table_width = grid._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:w"), str(sum(widths)))
    table_width.set(qn("w:type"), "dxa")
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Twips(width)
    for index, (row, values) in enumerate(zip(grid.rows, rows, strict=True)):
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))
        if index == 0:
            row_properties.append(OxmlElement("w:tblHeader"))
        for cell, value, (width, left) in zip(row.cells, values, columns, strict=True):
            cell.width = Twips(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            align = WD_ALIGN_PARAGRAPH.LEFT if left and index else WD_ALIGN_PARAGRAPH.CENTER
            paragraph = _layout(cell.paragraphs[0], align=align, line=Pt(18))
            _run(paragraph, value, font=HEITI if index == 0 else FANGSONG, size=TABLE_SIZE)


# --- 版记 -------------------------------------------------------------------------------------


def _wrapped_lines(text: str, first: float, rest: float) -> int:
    """How many lines `text` takes in 4号 with `first` and `rest` characters of room: counted
    cautiously (a character less per line, for the rule that no line opens with punctuation),
    so the estimate is never short."""
    lines, used, room = 1, 0.0, first - 1
    for character in text:
        width = text_width(character)
        if used + width > room:
            lines, used, room = lines + 1, 0.0, rest - 1
        used += width
    return lines


def _imprint(document: DocumentObject, official: OfficialDocument) -> None:
    """版记 (7.4) at the bottom of the last page, which is even: a section that starts on the
    next even page (a blank page is inserted before it if the text ends on an even page), an
    empty line as tall as the 版心 less the 版记 (every line has an exact height, so the space
    left is known), then 抄送 and the 印发 line in 4号 仿宋, one character in from either side,
    between rules as wide as the 版心 (first and last thick, the one between thin). The section
    is also bottom-aligned, which Word and WPS honour, so there the last rule lies exactly on the
    版心's bottom edge; LibreOffice (no vertical alignment) leaves the slack below it."""
    document.add_section(WD_SECTION.EVEN_PAGE)
    _layout(document.paragraphs[-1], line=Pt(1))  # the section break's paragraph takes no line
    section = document.sections[-1]
    _child(section._sectPr, "w:vAlign", _SECTPR_ORDER, val="bottom")
    one = IMPRINT_SIZE
    names = official.copy_to.strip().rstrip("。；;，,")
    per_line = (TEXT_WIDTH - 2 * one) / one
    lines = 1 + (_wrapped_lines(f"抄送：{names}。", per_line, per_line - 3) if names else 0)
    rules = RULE_LINE * 3 + Pt((THICK_RULE * 2 + THIN_RULE) / 8)
    _paragraph(document, line=Emu(int(TEXT_HEIGHT - lines * LINE - rules - IMPRINT_SLACK)))
    _rule(document, THICK_RULE)
    if names:
        copy_to = _paragraph(document, left=one * 4, first_line=-one * 3, right=one)
        _run(copy_to, f"抄送：{names}。", size=IMPRINT_SIZE)
        _rule(document, THIN_RULE)
    printed = _paragraph(document, left=one)
    printed.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH - one, WD_TAB_ALIGNMENT.RIGHT)
    _run(printed, f"{official.issuer}\t{chinese_date(official.printed)}印发", size=IMPRINT_SIZE)
    _rule(document, THICK_RULE)


def _rule(document: DocumentObject, width: int) -> None:
    """A 版记 rule: an empty line of no height with a bottom border, as wide as the 版心 (a
    border on the 抄送 paragraph would only be as wide as its indented text)."""
    _border(_paragraph(document, line=RULE_LINE), bottom=(width, "000000", 0))


def render_docx(official: OfficialDocument) -> bytes:
    """The document as a .docx file (bytes)."""
    document = Document()
    _page(document)
    _styles(document)
    _package(document)
    _footers(document)
    _properties(document, official)
    _head(document, official)
    last = None
    for block in official.body:
        last = _block(document, block) or last
    if official.attachments:
        _attachment_list(document, official.attachments)
    elif last is not None:
        last.paragraph_format.keep_with_next = True  # the signature never stands alone
    _signature(document, official)
    numbered = len(official.attachments) > 1
    for index, attachment in enumerate(official.attachments):
        _attachment(document, f"附件{index + 1}" if numbered else "附件", attachment)
    _imprint(document, official)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
