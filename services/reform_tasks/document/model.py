"""An official document (公文) as data: the elements GB/T 9704-2012 (党政机关公文格式) lays out, in
reading order, and nothing else. The report and supervision modules build one
(`report/official.py`, `supervision/official.py`); `docx.py` and `html.py` lay it out. Keeping
the content apart from the layout is what makes the DOCX, PDF and browser preview say the same
thing, and what keeps internal metadata (snapshot times, rule-set versions) out of the document:
there is no field to put it in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

LEVEL_ONE_NUMERALS = "一二三四五六七八九十"
TEXT_WIDTH_PT = 156 * 72 / 25.4  # 版心 width (GB/T 9704 5.2.1)
MARK_HEIGHT_PT = 36.0  # 发文机关标志
# A line of free text that opens with a level-2 number, （一） … （十）, is a level-2 heading.
_LEVEL_TWO = re.compile(r"^（[一二三四五六七八九十]{1,3}）")
_SENTENCE_END = "。！？；：”）"


@dataclass(frozen=True, slots=True)
class Heading:
    """A level-1 heading, numbered 一、二、… (黑体), or a level-2 one, （一）… (楷体)."""

    text: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of body text (仿宋, 左空二字). `lead` is a run-in level-2 heading (“（一）压实
    工作责任。”) printed in 楷体 before the text, as offices write them."""

    text: str
    lead: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A table with its header row; cells are the text as printed. An empty `caption` prints
    none (an attachment holding one table is titled by the attachment)."""

    caption: str
    columns: list[str]
    rows: list[list[str]]


Block = Heading | Paragraph | Table


@dataclass(frozen=True, slots=True)
class Attachment:
    """附件: printed on pages of its own after the body, named in the 附件说明."""

    title: str
    blocks: list[Block]


@dataclass(frozen=True, slots=True)
class OfficialDocument:
    """A 公文 of a single issuing office, with its seal (印章) applied on paper or by the office's
    signing system: 版头 (发文机关标志, 发文字号, red line), 主体 (title, 主送机关, body, 附件说明,
    署名 and 成文日期, 附注), attachments, and 版记 (抄送机关, 印发机关 and 印发日期)."""

    issuer: str  # 发文机关: 发文机关标志, 署名, 印发机关 and the file's author
    number: str  # 发文字号 as printed (an unsigned draft: the 代字 with the number left blank)
    title: str
    body: list[Block]
    signed_on: date  # 成文日期
    created: datetime  # the file's creation time (core properties)
    addressee: str = ""  # 主送机关, ending in “：”; "" prints no 主送 line
    attachments: list[Attachment] = field(default_factory=list)
    note: str = ""  # 附注, e.g. “（此件主动公开）”
    copy_to: str = ""  # 抄送机关, without “抄送：” and the closing “。”
    printed_on: date | None = None  # 印发日期 (default: the 成文日期)
    # Shown above the browser preview only, never in the document: “（草稿，未发布）”.
    preview_note: str = ""

    @property
    def mark(self) -> str:
        """发文机关标志: the issuer's name followed by 文件."""
        return f"{self.issuer}文件"

    @property
    def printed(self) -> date:
        return self.printed_on or self.signed_on


def chinese_date(day: date) -> str:
    """2026-12-05 → 2026年12月5日 (GB/T 9704 7.3.5.4: Arabic numerals, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def level_one(index: int, text: str) -> Heading:
    """The `index`-th (from 0) level-1 heading: 一、… 十、, then 11、…"""
    numeral = LEVEL_ONE_NUMERALS[index] if index < len(LEVEL_ONE_NUMERALS) else str(index + 1)
    return Heading(f"{numeral}、{text}")


def sentence(text: str) -> str:
    """`text` ending as a sentence (a reason typed without its full stop gets one)."""
    text = text.strip()
    return text if not text or text.endswith(tuple(_SENTENCE_END)) else f"{text}。"


def text_blocks(text: str | None) -> list[Block]:
    """Free text the office typed, one paragraph per non-empty line. A line opening with
    （一）… is a level-2 heading: on its own (no full stop) it is a heading line; followed by
    text in the same line, its first sentence is the run-in heading of a paragraph."""
    blocks: list[Block] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not _LEVEL_TWO.match(line):
            blocks.append(Paragraph(line))
            continue
        end = line.find("。") + 1
        blocks.append(Paragraph(line[end:], lead=line[:end]) if end else Heading(line, level=2))
    return blocks


def text_width(text: str) -> float:
    """Width in characters (一字): a Chinese character or full-width mark is one, a digit or
    Latin letter half."""
    return sum(0.5 if ord(character) < 0x2E80 else 1.0 for character in text)


def mark_size(mark: str) -> tuple[float, int]:
    """The 发文机关标志's type size in pt and its character width in per cent: 36 pt (小标宋,
    GB/T 9704 7.2.4 leaves the size to the office), narrowed to fit the 版心 in one line (a long
    issuer's name is set condensed, as offices do), and smaller still past half width."""
    room = TEXT_WIDTH_PT * 0.96
    length = max(text_width(mark), 1.0)
    scale = min(100, int(room / (length * MARK_HEIGHT_PT) * 100))
    if scale >= 50:
        return MARK_HEIGHT_PT, scale
    return room / (length * 0.5), 50


def signature_indents(issuer: str, signed_on: str) -> tuple[float, float]:
    """Right indents, in characters, of the 署名 and the 成文日期 of a sealed document (GB/T 9704
    7.3.5.1): the date 右空四字 with the issuer centred on it; an issuer too long for that is
    右空二字 and the date centred under it."""
    issuer_right = 4 + (text_width(signed_on) - text_width(issuer)) / 2
    date_right = 4.0
    if issuer_right < 2:
        date_right += 2 - issuer_right
        issuer_right = 2
    return issuer_right, date_right


def addressee_line(text: str | None) -> str:
    """主送机关 as GB/T 9704 7.3.2 prints it: ending with a full-width colon."""
    text = (text or "").strip().rstrip(":：，,。")
    return f"{text}：" if text else ""
