"""The 万企评机关 ranking rules, pure (seed 002_c95ffdd180ea7e81.txt: "公布满意度排名"; "对在
“万企评机关”活动中连续两次处于后五位的部门和处室负责人进行严肃问责处理").

- Rank by score, highest first; equal scores share a rank (1, 2, 2, 4), as the office's other
  rankings do.
- "后五位" (office reading): fewer than N entries score strictly lower (N: the rule set's
  `survey_bottom_n`, 5 by default as the seed says). Ties at the edge are all in the bottom five.
  A round that ranks N or fewer has no bottom five (everyone would be in it; office default).
- "连续两次": two consecutive half-years (the seed's survey is half-yearly), as
  `score.service.survey_accountability` flags it on the rankings: both use `bottom`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K", str, tuple[str, str])  # a unit code, or (unit code, sub-unit)

# The seed's "后五位" (the rule set's `survey_bottom_n` defaults to it).
BOTTOM = 5


def ranks(scores: Mapping[K, float]) -> dict[K, int]:
    """Competition ranks: 1 + how many score strictly higher."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[float, int] = {}
    for index, value in enumerate(ordered):
        first.setdefault(value, index + 1)
    return {key: first[value] for key, value in scores.items()}


def bottom(scores: Mapping[K, float], n: int = BOTTOM) -> set[K]:
    """The entries fewer than `n` others score strictly below; none when `n` or fewer rank."""
    if len(scores) <= n:
        return set()
    values = sorted(scores.values())
    return {key for key, value in scores.items() if bisect_left(values, value) < n}


def repeat_bottom(
    previous: Mapping[K, float], current: Mapping[K, float], n: int = BOTTOM
) -> set[K]:
    """Those in the bottom `n` of both of two consecutive rounds: the accountability proposal."""
    before: set[K] = bottom(previous, n)
    return before & bottom(current, n)
