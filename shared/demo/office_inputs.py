"""The office's demo inputs to evaluation, entered through its API as the office would: the year's
inspections (四不两直 included; seed 001_643c54550577dac0.txt), the half-yearly enterprise survey of
departments (万企评机关; seed 002_c95ffdd180ea7e81.txt) and last year's national and provincial
indicator ranks (国评/省评; seed 001), from `data/inspections.json`, `surveys.json` and
`external_ranks.json`. `make up` sends them once, on the first start, before the scheduler catches
up the reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from shared.demo.loader import read_json
from shared.periods import parse_period

BASE = "/api/evaluation/v1"


@dataclass
class Sent:
    inspections: int = 0
    surveys: int = 0
    external_ranks: int = 0


def requests_until(as_of: date) -> list[tuple[str, dict[str, Any]]]:
    """What the office had entered by `as_of`: inspections done by then, survey results of
    half-years already over, and last year's ranks."""
    wanted: list[tuple[str, dict[str, Any]]] = []
    for row in read_json("inspections.json"):
        if date.fromisoformat(row["inspected_on"]) <= as_of:
            wanted.append(
                (
                    "inspections",
                    {
                        "unit_code": row["unit"],
                        "inspected_on": row["inspected_on"],
                        "mode": row["mode"],
                        "finding": row["finding"],
                        "deduction": row["deduction"],
                    },
                )
            )
    for row in read_json("surveys.json")["results"]:
        if parse_period(row["period"]).end <= as_of:
            wanted.append(
                (
                    "surveys",
                    {
                        "period": row["period"],
                        "unit_code": row["unit"],
                        "score": row["score"],
                        "respondents": row["respondents"],
                    },
                )
            )
    for row in read_json("external_ranks.json"):
        wanted.append(("external-ranks", {"year": as_of.year - 1, **row}))
    return wanted


def send(evaluation_url: str, token: str, as_of: date) -> Sent:
    """Post the office's inputs, unless evaluation already holds inspections (a later start)."""
    sent = Sent()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=evaluation_url.rstrip("/"), headers=headers, timeout=30) as client:
        existing = client.get(f"{BASE}/inspections")
        existing.raise_for_status()
        if existing.json()["total"]:
            return sent
        for path, body in requests_until(as_of):
            response = client.post(f"{BASE}/{path}", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
            setattr(sent, path.replace("-", "_"), getattr(sent, path.replace("-", "_")) + 1)
    return sent
