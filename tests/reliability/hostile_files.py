"""Hostile spreadsheets: zip bombs (honest and lying about their size), XML entity bombs,
broken containers and workbooks without sheets. Built in memory, each well under 5 MB."""

from __future__ import annotations

import struct
import zipfile
from io import BytesIO

from openpyxl import Workbook

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _replace(content: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with some parts rewritten (deflated)."""
    source = zipfile.ZipFile(BytesIO(content))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, parts.pop(item.filename, source.read(item.filename)))
        for name, data in parts.items():
            target.writestr(name, data)
    return buffer.getvalue()


def _sheet_rows(count: int) -> bytes:
    row = '<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>单位</t></is></c></row>'
    body = "".join(row.format(n=n) for n in range(1, count + 1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def _lie_about_sizes(content: bytes, member: str, size: int) -> bytes:
    """Patch the local and central headers of `member` to declare `size` uncompressed bytes."""
    data = bytearray(content)
    name = member.encode()
    # (signature, offset of the uncompressed size, of the name length, of the name)
    for signature, size_at, length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) != -1:
            (length,) = struct.unpack_from("<H", data, start + length_at)
            if bytes(data[start + name_at : start + name_at + length]) == name:
                struct.pack_into("<I", data, start + size_at, size)
            start += 4
    return bytes(data)


def corpus() -> dict[str, bytes]:
    """name → file bytes; every one must be refused with a 4xx and a message."""
    base = workbook([["考核期", "单位", "得分", "参评企业数"], ["2026-H1", "zhengwu", 90, 10]])
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    honest_bomb = _replace(base, {"xl/worksheets/sheet1.xml": b" " * (80 * 1024 * 1024)})
    lying_bomb = _lie_about_sizes(honest_bomb, "xl/worksheets/sheet1.xml", 4096)
    many = BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for n in range(3000):
            archive.writestr(f"xl/media/{n}.bin", b"")
    no_sheets = _replace(
        base,
        {
            "xl/workbook.xml": (
                b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheets/></workbook>'
            )
        },
    )
    return {
        "billion laughs": _replace(base, {"xl/worksheets/sheet1.xml": laughs}),
        "external entity": _replace(base, {"xl/worksheets/sheet1.xml": external}),
        "80 MB of whitespace in 80 KB": honest_bomb,
        "zip bomb declaring 4 KB": lying_bomb,
        "3000 members": many.getvalue(),
        "workbook without sheets": no_sheets,
        "200 000 rows": _replace(base, {"xl/worksheets/sheet1.xml": _sheet_rows(200_000)}),
        "truncated": base[: len(base) // 2],
        "csv renamed": "考核期,单位,得分\n2026-H1,zhengwu,90\n".encode(),
        "empty": b"",
    }
