"""The sections of a report, once: headings, paragraphs and tables that the DOCX, XLSX and HTML
renderers lay out each in their own way (so the three formats always say the same thing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    # Columns holding a rate in [0, 1] (shown as percentages).
    percent_columns: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    sheet: str  # XLSX sheet name (≤ 31 characters)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


STATUS_COLUMNS = ["任务数", "已完成", "按期推进", "滞后", "严重滞后"]
NUMERALS = "一二三四五六七八九十"


def _status_cells(row: dict[str, Any]) -> list[Cell]:
    return [row["tasks"], row["done"], row["on_track"], row["lagging"], row["seriously_lagging"]]


def _ranking_table(caption: str, rows: list[dict[str, Any]]) -> Table:
    return Table(
        caption,
        ["名次", "单位", "得分", "满分", "等次", "名次变化"],
        [
            [r["rank"], r["unit_name"], r["total"], r["max_total"], r["grade"], r["rank_change"]]
            for r in rows
        ],
    )


def chinese_date(iso: str) -> str:
    """2026-12-01 → 2026年12月1日 (how an official document writes a date)."""
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{day}日"


def summary_text(data: dict[str, Any], monthly: bool) -> str:
    totals, counts = data["totals"], data["supervision_counts"]
    span = "本月" if monthly else "本季度"
    return (
        f"截至{chinese_date(data['as_of_date'])}，{totals['tasks']}项改革任务中，已完成{totals['done']}项，"
        f"按期推进{totals['on_track']}项，滞后{totals['lagging']}项，"
        f"严重滞后{totals['seriously_lagging']}项。{span}完成时间节点"
        f"{data['milestones_completed']}个，销号任务{len(data['close_outs'])}项，"
        f"批准延期{len(data['extensions'])}项，发出督办{counts['issued']}件，"
        f"升级督办{counts['escalated']}件（其中问责{counts['accountability']}件"
        + (f"，拟问责待决定{counts['proposed']}件" if counts.get("proposed") else "")
        + "）。"
    )


def _overview(data: dict[str, Any], monthly: bool) -> Section:
    totals = data["totals"]
    return Section(
        "总体情况",
        "总体情况",
        [summary_text(data, monthly)],
        [
            Table(
                "改革任务推进总体情况",
                ["指标", "数量"],
                [
                    ["改革任务", totals["tasks"]],
                    ["已完成", totals["done"]],
                    ["按期推进", totals["on_track"]],
                    ["滞后", totals["lagging"]],
                    ["严重滞后", totals["seriously_lagging"]],
                    ["完成时间节点", data["milestones_completed"]],
                    ["销号任务", len(data["close_outs"])],
                    ["批准延期", len(data["extensions"])],
                    ["发出督办", data["supervision_counts"]["issued"]],
                    ["升级督办", data["supervision_counts"]["escalated"]],
                ],
            )
        ],
    )


def _progress(data: dict[str, Any]) -> list[Section]:
    return [
        Section(
            "分领域推进情况",
            "分领域",
            tables=[
                Table(
                    "各领域任务推进情况",
                    ["领域", *STATUS_COLUMNS],
                    [[r["name"], *_status_cells(r)] for r in data["by_domain"]],
                )
            ],
        ),
        Section(
            "分牵头单位推进情况",
            "分单位",
            tables=[
                Table(
                    "各牵头单位任务推进情况",
                    ["牵头单位", *STATUS_COLUMNS],
                    [[r["name"], *_status_cells(r)] for r in data["by_unit"]],
                )
            ],
        ),
        Section(
            "滞后任务清单",
            "滞后任务",
            [] if data["behind"] else ["无滞后任务。"],
            [
                Table(
                    "滞后及严重滞后任务",
                    ["序号", "任务", "牵头单位", "状态"],
                    [
                        [r["number"], r["title"], r["lead_unit"], r["status_label"]]
                        for r in data["behind"]
                    ],
                )
            ],
        ),
    ]


def _facts(data: dict[str, Any]) -> list[Section]:
    return [
        Section(
            "任务销号情况",
            "销号",
            tables=[
                Table(
                    "期内销号任务",
                    ["序号", "任务", "牵头单位", "销号日期"],
                    [
                        [r["number"], r["title"], r["lead_unit"], r["closed_out_on"]]
                        for r in data["close_outs"]
                    ],
                )
            ],
        ),
        Section(
            "延期审批情况",
            "延期",
            tables=[
                Table(
                    "期内批准的延期",
                    ["任务序号", "时间节点", "申请单位", "原计划", "延至", "批准日期"],
                    [
                        [
                            r["task_number"],
                            r["milestone"],
                            r["unit"],
                            r["from"],
                            r["to"],
                            r["decided_on"],
                        ]
                        for r in data["extensions"]
                    ],
                )
            ],
        ),
        Section(
            "督办情况",
            "督办",
            tables=[
                Table(
                    "期内督办（含二次督办、问责）",
                    ["被督办单位", "级别", "事项", "下发日期", "整改期限", "事由"],
                    [
                        [
                            r["unit"],
                            r["level_label"],
                            r["subject"],
                            r["issued_on"],
                            r["due_on"],
                            r["reason"],
                        ]
                        for r in data["supervisions"]
                    ],
                )
            ],
        ),
    ]


def _scores(data: dict[str, Any]) -> Section:
    return Section(
        "评价得分与排名",
        "评分排名",
        [f"评价规则版本：{data['rule_set_version'] or '默认'}。"],
        [_ranking_table(f"{g['name']}得分排名", g["rows"]) for g in ranking_groups(data)],
    )


def ranking_groups(data: dict[str, Any], part: str = "rankings") -> list[dict[str, Any]]:
    """The snapshot's rankings by group (`part`: rankings, praised, named). Snapshots taken
    before ranking groups (two lists, districts and everyone else) read as two groups."""
    if part in data:
        groups: list[dict[str, Any]] = data[part]
        return groups
    legacy = {"rankings": "{}_ranking", "praised": "praised_{}s", "named": "named_{}s"}[part]
    return [
        {"group": "district", "name": "区县", "rows": data[legacy.format("district")]},
        {"group": "unit", "name": "市直部门及单位", "rows": data[legacy.format("unit")]},
    ]


def _hotline(data: dict[str, Any]) -> Section:
    """The rates as the scores counted them (shared.hotline_rates); a snapshot taken before
    按时办结率 was defined has none (shown as “—”)."""
    return Section(
        "12345热线办理情况",
        "热线办理",
        tables=[
            Table(
                "各承办单位响应率、解决率、满意率、按时办结率（按受理日计入本期，同考评口径）",
                ["承办单位", "受理工单", "响应率", "解决率", "满意率", "按时办结率", "超期工单"],
                [
                    [
                        r["unit_name"],
                        r["orders"],
                        r["response_rate"],
                        r["resolution_rate"],
                        r["satisfaction_rate"],
                        r.get("on_time_closing_rate"),
                        r["overdue"],
                    ]
                    for r in data["hotline"]
                ],
                percent_columns=frozenset({2, 3, 4, 5}),
            )
        ],
    )


def _hotline_board(data: dict[str, Any]) -> list[Section]:
    """12345 红黑榜 (issue #26): per ranking group, the units on the red (top N) and black
    (bottom N) lists by the hotline component's share. Snapshots taken before it have none."""
    boards = data.get("hotline_board") or []
    if not boards:
        return []
    columns = [
        "榜单",
        "名次",
        "单位",
        "得分率%",
        "响应率",
        "解决率",
        "满意率",
        "按时办结率",
        "二次催办",  # orders whose 催办 was copied to the unit's leader (older snapshots: 0)
    ]
    tables = [
        Table(
            f"{board['name']}：红榜前{data['top_n']}位、黑榜后{data['bottom_n']}位",
            columns,
            [
                [
                    "红榜" if r["red"] else "黑榜",
                    r["rank"],
                    r["unit_name"],
                    f"{r['score']:.2f}",
                    r["response_rate"],
                    r["resolution_rate"],
                    r["satisfaction_rate"],
                    r["on_time_closing_rate"],
                    r.get("escalated", 0),
                ]
                for r in board["rows"]
                if r["red"] or r["black"]
            ],
            percent_columns=frozenset({4, 5, 6, 7}),
        )
        for board in boards
    ]
    return [Section("12345热线红黑榜", "热线红黑榜", tables=tables)]


def _hotline_returns(data: dict[str, Any]) -> list[Section]:
    """12345 退单情况 (issue #26, monthly): per unit with a return in the month, the returns and
    the office's decisions on them when the report was generated. Snapshots taken before it
    have none."""
    if "hotline_returns" not in data:
        return []
    rows = data["hotline_returns"]
    return [
        Section(
            "12345热线退单情况",
            "热线退单",
            [] if rows else ["本月无12345工单退单。"],
            [
                Table(
                    "各承办单位退单及审核情况（按退单日计入本月）",
                    ["单位", "退单", "审核通过（改派）", "驳回", "待审核"],
                    [
                        [r["unit_name"], r["returned"], r["approved"], r["rejected"], r["pending"]]
                        for r in rows
                    ],
                )
            ],
        )
    ]


def _notice(data: dict[str, Any], editable: dict[str, str]) -> list[Section]:
    n_top, n_bottom = data["top_n"], data["bottom_n"]

    def names(rows: list[dict[str, Any]]) -> str:
        return "、".join(r["unit_name"] for r in rows) or "无"

    praised, named = ranking_groups(data, "praised"), ranking_groups(data, "named")
    margin = data.get("naming_margin")
    below = f"且低于本组中位数{margin:g}分以上" if margin else ""
    return [
        Section(
            "通报表扬",
            "表扬",
            [
                f"{g['name']}综合得分排名前{n_top}位（并列同享）：{names(g['rows'])}。"
                for g in praised
            ],
            [_ranking_table(f"表扬{g['name']}", g["rows"]) for g in praised],
        ),
        Section(
            "通报批评",
            "通报批评",
            [
                f"{g['name']}综合得分排名后{n_bottom}位（并列同享）{below}的：{names(g['rows'])}。"
                for g in named
            ],
            [_ranking_table(f"末位{g['name']}", g["rows"]) for g in named],
        ),
        Section(
            "典型案例",
            "典型案例",
            [line for line in editable.get("typical_cases", "").splitlines() if line.strip()],
            _cases_table(data),
        ),
        Section(
            "问责情况",
            "问责",
            [] if data["accountability"] else ["本季度无升级至问责的督办事项。"],
            [
                Table(
                    "升级至问责的督办事项",
                    ["被督办单位", "事项", "下发日期", "事由"],
                    [
                        [r["unit"], r["subject"], r["issued_on"], r["reason"]]
                        for r in data["accountability"]
                    ],
                )
            ],
        ),
    ]


def _cases_table(data: dict[str, Any]) -> list[Table]:
    """The quarter's registered typical cases (snapshots taken before the register have none)."""
    if "cases" not in data:
        return []
    return [
        Table(
            "本季度典型案例",
            [
                "类别",
                "案例",
                "涉及单位",
                "处理情况",
                "一案双查（责任人）",
                "一案双查（单位）",
                "公开",
            ],
            [
                [
                    c["kind_label"],
                    c["title"],
                    c["unit"],
                    c["handling"],
                    c["people_accountability"],
                    c["unit_accountability"],
                    "是" if c["public"] else "否",
                ]
                for c in data["cases"]
            ],
        )
    ]


def _submissions(data: dict[str, Any]) -> list[Section]:
    """季度工作报告报送情况: the units that reported late or not at all (snapshots taken before
    the quarterly work reports have none)."""
    standing = data.get("submissions")
    if standing is None:
        return []
    rows = [*standing["late"], *standing["missing"]]
    return [
        Section(
            "季度工作报告报送情况",
            "季度报告报送",
            [] if rows else ["各单位均按时报送季度工作报告。"],
            [
                Table(
                    f"逾期报送及未报送季度工作报告的单位（应于{chinese_date(standing['due_on'])}前报送）",
                    ["单位", "报送情况", "报送日期"],
                    [[r["unit"], r["status_label"], r["submitted_on"]] for r in rows],
                )
            ],
        )
    ]


def sections(report: dict[str, Any]) -> list[Section]:
    """The report's body, in reading order."""
    data, editable = report["data"], report["editable"]
    if report["kind"] == "monthly_dispatch":
        body = [
            _overview(data, True),
            *_progress(data),
            *_facts(data),
            _scores(data),
            _hotline(data),
            *_hotline_board(data),
            *_hotline_returns(data),
        ]
    else:
        requirements = [
            line for line in editable.get("requirements", "").splitlines() if line.strip()
        ]
        body = [
            _overview(data, False),
            *_notice(data, editable),
            *_submissions(data),
            _scores(data),
            *_progress(data)[:2],
            _hotline(data),
            *_hotline_board(data),
            Section("工作要求", "工作要求", requirements),
        ]
    return body


def numbered(index: int, heading: str) -> str:
    return f"{NUMERALS[index] if index < len(NUMERALS) else index + 1}、{heading}"


def percent(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    return str(value)


def text(value: Cell) -> str:
    return "—" if value is None else str(value)
