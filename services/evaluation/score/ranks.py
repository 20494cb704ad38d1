"""Ranks that treat equals equally, and who is praised or named.

Seed 001_643c54550577dac0.txt: quarterly notices praise the best and name the worst
(docs/RULES.md: "Each quarter the best are praised and the worst named"). How ties, groups and
the naming threshold work is the office's default (no seed gives it; docs/RULES.md has a row
for each): totals are compared as published (two decimals); tied totals share a rank (standard
competition ranking: 1, 2, 2, 4); praise takes every unit ranked within the top N, naming every
unit ranked within the bottom N counted from the end, and only if it is more than the rule
set's margin below its group's median (a unit a hair below the others is not named). A praised
unit is never named.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

PUBLISHED_DECIMALS = 2


@dataclass(frozen=True, slots=True)
class Placing:
    rank: int
    top: bool
    bottom: bool


def competition_ranks(totals: dict[str, float]) -> dict[str, int]:
    """1 + how many totals are higher, compared as published."""
    published = {code: round(total, PUBLISHED_DECIMALS) for code, total in totals.items()}
    values = sorted(published.values(), reverse=True)
    first: dict[float, int] = {}
    for index, value in enumerate(values, start=1):
        first.setdefault(value, index)
    return {code: first[value] for code, value in published.items()}


def placings(
    totals: dict[str, float], top_n: int, bottom_n: int, margin: float
) -> dict[str, Placing]:
    """Rank, praise (top N, whole tie groups) and naming (bottom N from the end, whole tie
    groups, more than `margin` below the median) for one ranking group."""
    if not totals:
        return {}
    ranks = competition_ranks(totals)
    from_end = competition_ranks({code: -total for code, total in totals.items()})
    middle = median(round(total, PUBLISHED_DECIMALS) for total in totals.values())
    result: dict[str, Placing] = {}
    for code, total in totals.items():
        top = ranks[code] <= top_n
        below = round(total, PUBLISHED_DECIMALS) < middle - margin
        result[code] = Placing(ranks[code], top, not top and from_end[code] <= bottom_n and below)
    return result
