"""The demo's published 万企评机关 results (issue #27; seed 002_c95ffdd180ea7e81.txt): the 处室 /
站所 rows of the demo's two rounds (`data/survey_sub_units.json`, imported as the office would,
through the survey sheet's optional 处室/站所 column), then both rounds published. The units' own
rows come from `surveys.json` (shared/demo/office_inputs.py): 住建局 (zhujian), 自然资源局
(ziranziyuan) and 城管局 (chengguan) are in the bottom five of 2025-H2 and of 2026-H1, so
publishing 2026-H1 proposes accountability for them (and for the sub-units in both bottoms), for
the office to decide. Idempotent: a published round is left as it is."""

from __future__ import annotations

from io import BytesIO

import httpx

from shared.demo.loader import read_json
from shared.periods import parse_period, today

BASE = "/api/evaluation/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sub_unit_sheet(periods: set[str]) -> bytes | None:
    """The survey sheet with the sub-unit rows of `periods` (None when there are none)."""
    from openpyxl import Workbook

    rows = [r for r in read_json("survey_sub_units.json")["results"] if r["period"] in periods]
    if not rows:
        return None
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["万企评机关处室、站所评议结果"])
    sheet.append(["考核期", "单位", "处室/站所", "得分", "参评企业数"])
    for r in rows:
        sheet.append([r["period"], r["unit"], r["sub_unit"], r["score"], r["respondents"]])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def publish(client: httpx.AsyncClient) -> list[str]:
    """Import the sub-unit rows of the rounds not yet published, then publish those rounds,
    oldest first (only rounds already over). Returns the periods published."""
    rounds = await client.get(f"{BASE}/surveys/rounds")
    rounds.raise_for_status()
    waiting = sorted(
        r["period"]
        for r in rounds.json()["items"]
        if r["published_at"] is None and parse_period(r["period"]).end < today()
    )
    if not waiting:
        return []
    content = sub_unit_sheet(set(waiting))
    if content is not None:
        imported = await client.post(
            f"{BASE}/surveys/import",
            params={"dry_run": "false"},
            files={"file": ("万企评机关处室站所.xlsx", content, XLSX)},
        )
        if imported.status_code != 200:
            raise RuntimeError(f"import: {imported.status_code} {imported.text[:300]}")
    for period in waiting:
        published = await client.post(f"{BASE}/surveys/{period}/publish")
        if published.status_code != 200:
            raise RuntimeError(f"publish {period}: {published.status_code} {published.text[:300]}")
    return waiting
