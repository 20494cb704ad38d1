"""docs/RULES.md: every row names a source and at least one test, and every test it names exists
(issue #19: "a row with no test is a defect")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"^(?:(tests/[\w/]+\.py)|(\w+\.py))?(?:::(\w+))?$")


def _rows() -> list[list[str]]:
    lines = (ROOT / "docs/RULES.md").read_text(encoding="utf-8").splitlines()
    return [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in lines
        if line.startswith("| ") and not line.startswith(("| rule |", "|---"))
    ]


def _resolve(reference: str, current: Path | None) -> tuple[Path | None, str | None]:
    """(test file, function) a reference names; a bare `::name` is in the previous file."""
    match = REFERENCE.match(reference)
    if match is None:
        return None, None
    path, short, function = match.groups()
    if path:
        return ROOT / path, function
    if short:
        found = list((ROOT / "tests").rglob(short))
        return (found[0] if len(found) == 1 else None), function
    return current, function


def test_every_rule_has_a_source_and_tests_that_exist() -> None:
    rows = _rows()
    assert len(rows) >= 40  # issue #19: at least the 40 rules the seeds state
    problems = []
    for rule, source, _function, tests in rows:
        if not source or not (source.startswith("seed ") or "office default" in source):
            problems.append(f"{rule[:40]}: no seed or office default")
        references = [r for r in re.findall(r"`([^`]+)`", tests) if REFERENCE.match(r)]
        if not references:
            problems.append(f"{rule[:40]}: no test")
        current: Path | None = None
        for reference in references:
            path, function = _resolve(reference, current)
            if path is None or not path.exists():
                problems.append(f"{rule[:40]}: no file for {reference}")
                continue
            current = path
            if function and f"def {function}(" not in path.read_text(encoding="utf-8"):
                problems.append(f"{rule[:40]}: {path.name} has no {function}")
    assert problems == []
