"""Official documents (公文) to GB/T 9704-2012 (党政机关公文格式): the monthly dispatch report,
the quarterly notice (full and public edition), the 督办通知 (first and second) and the 问责建议,
rendered from their render inputs as DOCX (python-docx), HTML and PDF (LibreOffice).

The DOCX is read back with python-docx: every element the records officer asked for (主送, 附件说明,
版记, 附注, page numbers), nothing internal (snapshot time, rule-set version, the old “平台生成”
footer), the page setup and fonts. The PDF is measured with pdfplumber: A4, every character
inside the 版心 but the page number, which reads “— N —” below it, right on odd pages and left on
even ones, 22 lines of 28 characters, and the 版记 on the last page, which is even."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from docx import Document

from services.reform_tasks.document import pdf as pdf_module
from services.reform_tasks.document.docx import render_docx
from services.reform_tasks.document.html import render_html
from services.reform_tasks.document.model import OfficialDocument
from services.reform_tasks.document.pdf import docx_to_pdf, pdf_available
from services.reform_tasks.report.official import report_document
from services.reform_tasks.supervision.official import supervision_document
from shared.errors import ServiceUnavailable
from shared.settings import get_settings

ISSUER = "云岭市优化营商环境工作领导小组办公室"
ADDRESSEE = "各县（市、区）人民政府，市直各有关单位："
AS_OF = "2026-11-30 23:59"
MM = 72 / 25.4  # PDF points per millimetre
DOMAINS = [
    "开办企业",
    "办理建筑许可",
    "获得电力",
    "获得用水用气",
    "登记财产",
    "获得信贷",
    "保护中小投资者",
    "纳税",
    "跨境贸易",
    "执行合同",
    "办理破产",
    "政府采购",
    "招标投标",
    "市场监管",
]
DEPARTMENTS = [
    "市发展改革委",
    "市教育局",
    "市科技局",
    "市工业和信息化局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房城乡建设局",
    "市交通运输局",
    "市水务局",
    "市农业农村局",
    "市商务局",
    "市文化和旅游局",
    "市卫生健康委",
    "市应急管理局",
    "市审计局",
    "市国资委",
    "市市场监管局",
    "市统计局",
    "市医疗保障局",
    "市政务服务管理局",
    "市大数据局",
    "市地方金融管理局",
    "市城市管理局",
    "市公共资源交易中心",
    "市中级人民法院",
]
OTHERS = ["市税务局", "云岭海关", "人民银行云岭分行", "国网云岭供电公司", "云岭水务集团",
          "云岭燃气公司", "市邮政管理局"]  # fmt: skip
DISTRICTS = [
    f"{name}区人民政府"
    for name in ("云中", "河西", "东城", "西城", "南山", "北湖", "高新", "临港", "经开", "青川",
                 "白石", "龙泉")
]  # fmt: skip


def _status(index: int, tasks: int) -> dict[str, int]:
    lagging, serious = index % 3, index % 2
    done = min(tasks - lagging - serious, 2 + index % 4)
    return {
        "tasks": tasks,
        "done": done,
        "on_track": tasks - done - lagging - serious,
        "lagging": lagging,
        "seriously_lagging": serious,
    }


def _ranking(name: str, group: str, units: list[str], top: int, bottom: int) -> dict[str, Any]:
    rows = []
    for index, unit in enumerate(units):
        total = round(96.5 - index * 1.37, 2)
        rows.append(
            {
                "rank": index + 1,
                "unit_code": f"{group}{index:02d}",
                "unit_name": unit,
                "total": total,
                "max_total": 100,
                "grade": "优秀" if total >= 90 else "良好" if total >= 80 else "一般",
                "rank_change": (index % 5) - 2,
                "top": index < top,
                "bottom": index >= len(units) - bottom,
            }
        )
    return {"group": group, "name": name, "rows": rows}


def snapshot(kind: str) -> dict[str, Any]:
    """A realistic snapshot: 14 domains, 49 units (30 departments, 7 others, 12 districts), 30
    lagging tasks, supervisions, rankings per group, the hotline's rates and 红黑榜."""
    units = [*DEPARTMENTS, *OTHERS, *DISTRICTS]
    by_domain = [
        {"code": f"d{index}", "name": name, **_status(index, 9 + index % 5)}
        for index, name in enumerate(DOMAINS)
    ]
    by_unit = [
        {"code": f"u{index}", "name": name, **_status(index, 2 + index % 4)}
        for index, name in enumerate(units)
    ]
    behind = [
        {
            "number": 3 + index * 4,
            "title": f"推进{DOMAINS[index % 14]}领域第{index + 1}项改革举措落地见效",
            "lead_unit": units[index % 37],
            "status": "seriously_lagging" if index < 12 else "lagging",
            "status_label": "严重滞后" if index < 12 else "滞后",
        }
        for index in range(30)
    ]
    supervisions = [
        {
            "unit": units[index],
            "unit_code": f"u{index}",
            "level": ("first", "second", "accountability")[index % 3],
            "level_label": ("督办", "二次督办", "问责")[index % 3],
            "status": "held_accountable" if index % 3 == 2 else "open",
            "subject": f"第{3 + index * 4}项任务第2个时间节点“完成系统上线”",
            "reason": "该节点已超期15天未完成，严重滞后",
            "issued_on": f"2026-11-{10 + index:02d}",
            "due_on": f"2026-11-{20 + index:02d}",
        }
        for index in range(6)
    ]
    top, bottom = 5, 3
    rankings = [
        _ranking("市直部门", "department", DEPARTMENTS, top, bottom),
        _ranking("区县", "district", DISTRICTS, top, bottom),
        _ranking("中央驻市单位及公用企业", "other", OTHERS, 2, 1),
    ]
    hotline = [
        {
            "unit_code": f"u{index}",
            "unit_name": unit,
            "orders": 40 + index * 3,
            "response_rate": 0.98 - index * 0.004,
            "resolution_rate": 0.91 - index * 0.003,
            "satisfaction_rate": 0.93 - index * 0.002,
            "on_time_closing_rate": None if index == 7 else 0.95 - index * 0.003,
            "overdue": index % 4,
        }
        for index, unit in enumerate(units)
    ]
    board_rows = [
        {
            "rank": index + 1,
            "unit_name": unit,
            "score": 9.8 - index * 0.3,
            "response_rate": 0.99,
            "resolution_rate": 0.9,
            "satisfaction_rate": 0.92,
            "on_time_closing_rate": 0.95,
            "red": index < 3,
            "black": index >= 9,
        }
        for index, unit in enumerate(DISTRICTS)
    ]
    data: dict[str, Any] = {
        "programme": {"code": "YL2026", "name": "云岭市2026年优化营商环境改革"},
        "period": {"id": "2026-11", "start": "2026-11-01", "end": "2026-11-30"},
        "as_of_date": "2026-11-30",
        "document_number": "云营改办调〔2026〕11号（旧）",
        "issuer": ISSUER,
        "issued_on": "2026-12-01",
        "totals": {
            "tasks": sum(r["tasks"] for r in by_domain),
            **{k: sum(r[k] for r in by_domain) for k in ("done", "on_track", "lagging")},
            "seriously_lagging": sum(r["seriously_lagging"] for r in by_domain),
        },
        "by_domain": by_domain,
        "by_unit": by_unit,
        "behind": behind,
        "close_outs": [
            {
                "number": 1 + index,
                "title": f"{DOMAINS[index]}“一件事”集成办理",
                "lead_unit": DEPARTMENTS[index],
                "closed_out_on": f"2026-11-{5 + index:02d}",
            }
            for index in range(6)
        ],
        "milestones_completed": 23,
        "extensions": [
            {
                "task_number": 7,
                "milestone": "完成系统联调",
                "unit": "市大数据局",
                "from": "2026-11-15",
                "to": "2026-12-15",
                "decided_on": "2026-11-12",
            }
        ],
        "supervisions": supervisions,
        "supervision_counts": {"issued": 2, "escalated": 4, "accountability": 2, "proposed": 0},
        "rule_set_version": 7,
        "top_n": top,
        "bottom_n": bottom,
        "naming_margin": 5.0,
        "rankings": rankings,
        "hotline": hotline,
        "hotline_board": [{"group": "district", "name": "区县", "rows": board_rows}],
    }
    if kind == "quarterly_notice":
        data["period"] = {"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}

        def pick(flag: str) -> list[dict[str, Any]]:
            return [{**g, "rows": [r for r in g["rows"] if r[flag]]} for g in rankings]

        data["praised"], data["named"] = pick("top"), pick("bottom")
        data["accountability"] = [s for s in supervisions if s["level"] == "accountability"]
    return data


def report_input(kind: str = "monthly_dispatch", **changes: Any) -> dict[str, Any]:
    monthly = kind == "monthly_dispatch"
    editable = {
        "addressee": ADDRESSEE,
        "foreword": "为推动全市优化营商环境各项改革任务落地见效，市优化营商环境工作领导小组办公室"
        "对照改革任务作战图，对各项改革任务推进情况进行了调度。现将有关情况通报如下。",
        "problems": "（一）部分任务推进迟缓。个别牵头单位对时间节点把握不准，滞后任务较多。\n"
        "（二）协同配合不够。跨部门任务存在等靠思想。",
        "requirements": "（一）压实工作责任。各单位要对照作战图时间节点倒排工期，"
        "对滞后任务逐项分析原因、限期整改。\n"
        "（二）加强跟踪督办。被通报单位于下月10日前通过平台报送整改落实情况。",
        "copy_to": "市委办公室，市人大常委会办公室，市政府办公室，市政协办公室，市纪委监委",
    }
    if not monthly:
        editable["typical_cases"] = "市政务服务管理局推行企业开办“一网通办”，全程网办率达98%。"
    values: dict[str, Any] = {
        "kind": kind,
        "kind_label": "月度调度" if monthly else "季度通报",
        "title": "关于2026年11月营商环境改革任务推进情况的通报"
        if monthly
        else "关于2026年第四季度营商环境改革工作情况的通报",
        "period": "2026-11" if monthly else "2026-Q4",
        "version": 1,
        "status": "published",
        "as_of": AS_OF,
        "data": snapshot(kind),
        "editable": editable,
        "bucket_labels": {},
        "document_number": "云营改办调〔2026〕3号" if monthly else "云营改办通〔2026〕4号",
        "document_word": "云营改办调" if monthly else "云营改办通",
        "signed_on": "2026-12-05",
        "publicity": "public",
        "edition": "full",
        "created_at": "2026-12-05T01:30:00+00:00",
    }
    return {**values, **changes}


def supervision_input(level: str = "first", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "level": level,
        "level_label": {"first": "督办", "second": "二次督办", "accountability": "问责"}[level],
        "document_number": "云营改办问〔2026〕1号"
        if level == "accountability"
        else "云营改办督〔2026〕7号",
        "issuer": ISSUER,
        "issued_on": "2026-12-05",
        "addressee": "中共云岭市纪律检查委员会、云岭市监察委员会"
        if level == "accountability"
        else "云岭市市场监督管理局",
        "unit_name": "云岭市市场监督管理局",
        "subject_label": "第12项任务第2个时间节点“完成系统上线”",
        "task_number": 12,
        "task_title": "推行经营主体登记全程电子化",
        "milestone_name": "完成系统上线",
        "milestone_planned_on": "2026-10-31",
        "problem_number": None,
        "problem_title": None,
        "reason": "该节点已超期35天未完成，且未说明原因",
        "due_on": None if level == "accountability" else "2026-12-20",
        "parent_number": None if level == "first" else "云营改办督〔2026〕5号",
        "decision_reason": "经两次督办仍未整改，影响全市改革任务整体进度"
        if level == "accountability"
        else None,
        "copy_to": "市政府办公室",
        "created_at": "2026-12-05T02:00:00+00:00",
    }
    return {**values, **changes}


def documents() -> dict[str, OfficialDocument]:
    return {
        "monthly": report_document(report_input()),
        "quarterly": report_document(report_input("quarterly_notice")),
        "quarterly_public": report_document(report_input("quarterly_notice", edition="public")),
        "supervision": supervision_document(supervision_input("first")),
        "second_supervision": supervision_document(supervision_input("second")),
        "accountability": supervision_document(supervision_input("accountability")),
    }


def docx_of(document: OfficialDocument) -> Any:
    return Document(io.BytesIO(render_docx(document)))


def w(name: str) -> str:
    return f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{name}"


def all_text(document: Any) -> str:
    """Every paragraph, table cell, header and footer of a python-docx document."""
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    for section in document.sections:
        for part in (section.header, section.footer, section.even_page_footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


# --- DOCX ------------------------------------------------------------------------------------


def test_the_monthly_report_has_every_element_the_records_officer_asked_for() -> None:
    paragraphs = [p.text for p in docx_of(report_document(report_input())).paragraphs]
    assert paragraphs[:4] == [
        f"{ISSUER}文件",
        "云营改办调〔2026〕3号",
        "关于2026年11月营商环境改革任务推进情况的通报",
        ADDRESSEE,  # 主送机关
    ]
    text = "\n".join(paragraphs)
    assert "一、总体情况" in paragraphs
    assert "（一）部分任务推进迟缓。" in text  # 存在的问题及原因, as the office typed it
    assert "（详见附件3）" in text  # the lagging tasks' table
    # 附件说明, then each 附件 on its own pages.
    assert "附件：1.\t各领域改革任务推进情况" in paragraphs
    assert "\t7.\t12345热线红黑榜" in paragraphs
    labels = [p for p in paragraphs if re.fullmatch(r"附件\d", p)]
    assert labels == [f"附件{number}" for number in range(1, 8)]
    # 署名, 成文日期, 附注 (公开属性), 版记 (抄送, 印发机关 and 印发日期).
    assert paragraphs.count(ISSUER) == 1
    assert "2026年12月5日" in paragraphs
    assert "（此件主动公开）" in paragraphs
    copy_to = "抄送：市委办公室，市人大常委会办公室，市政府办公室，市政协办公室，市纪委监委。"
    assert copy_to in paragraphs
    assert f"{ISSUER}\t2026年12月5日印发" == paragraphs[-2]


def test_nothing_internal_is_printed() -> None:
    for name, official in documents().items():
        text = all_text(docx_of(official))
        for internal in ("平台生成", AS_OF, "2026-11-30 23", "评价规则版本", "规则版本", "（旧）"):
            assert internal not in text, (name, internal)


def test_the_page_is_a4_with_the_standard_margins() -> None:
    document = docx_of(report_document(report_input()))
    for section in document.sections:
        sizes = (section.page_width, section.page_height, section.top_margin)
        sizes += (section.bottom_margin, section.left_margin, section.right_margin)
        assert [round(size.mm, 1) for size in sizes] == [210, 297, 37, 35, 28, 26]
    assert document.sections[-1].start_type.name == "EVEN_PAGE"  # the 版记's page


def test_odd_and_even_footers_carry_a_page_field_and_nothing_else() -> None:
    content = render_docx(supervision_document(supervision_input()))
    document = Document(io.BytesIO(content))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    odd, even = section.footer.paragraphs, section.even_page_footer.paragraphs
    assert [p.text for p in odd] == [p.text for p in even] == ["— 1 —"]
    assert (odd[0].alignment.name, even[0].alignment.name) == ("RIGHT", "LEFT")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        footers = [n for n in names if re.fullmatch(r"word/footer\d+\.xml", n)]
        assert len(footers) == 2
        assert not [n for n in names if re.fullmatch(r"word/header\d+\.xml", n)]
        for name in footers:
            assert (
                '<w:instrText xml:space="preserve"> PAGE </w:instrText>'
                in archive.read(name).decode()
            )


def test_core_properties_name_the_issuer_and_the_title() -> None:
    properties = docx_of(report_document(report_input())).core_properties
    assert properties.author == properties.last_modified_by == ISSUER
    assert properties.title == "关于2026年11月营商环境改革任务推进情况的通报"
    assert properties.created.isoformat().startswith("2026-12-05T01:30")
    assert properties.comments == ""


def test_no_rule_but_the_red_line_and_the_black_imprint_rules() -> None:
    """The old template's Title style drew a blue rule under the title: no border of any other
    colour than red and black anywhere in the document, its styles included."""
    content = render_docx(report_document(report_input()))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("word/"))
    colours = set(re.findall(r'<w:(?:top|bottom|left|right|between)\b[^>]*w:color="(\w+)"', xml))
    assert colours <= {"FF0000", "000000", "auto"}
    number = docx_of(report_document(report_input())).paragraphs[1]
    assert 'w:color="FF0000"' in number._p.xml  # the red line under the 发文字号


def test_every_run_names_its_font_for_chinese_and_latin_text() -> None:
    document = docx_of(report_document(report_input("quarterly_notice")))
    runs = [r for p in document.paragraphs for r in p.runs]
    for table in document.tables:
        runs += [r for row in table.rows for cell in row.cells for r in cell.paragraphs[0].runs]
    fonts = set()
    for run in runs:
        element = run._r.rPr.rFonts
        assert element.get(w("eastAsia")) == element.get(w("ascii")) == element.get(w("hAnsi"))
        fonts.add(element.get(w("eastAsia")))
    assert fonts == {"仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"}
    assert str(document.paragraphs[0].runs[0].font.color.rgb) == "FF0000"  # 发文机关标志


def test_an_unsigned_draft_prints_the_word_and_year_with_the_number_left_blank() -> None:
    draft = report_input(document_number=None, signed_on=None, publicity=None, status="draft")
    document = docx_of(report_document(draft))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[1] == "云营改办调〔2026〕\u3000号"
    assert "2026年12月1日" in paragraphs  # the generation date stands in for the 成文日期
    assert not any(p.startswith("（此件") for p in paragraphs)
    assert "（草稿，未发布）" not in all_text(document)  # only the browser preview says so


def test_parts_left_empty_print_nothing() -> None:
    editable = {"foreword": "现将有关情况通报如下。"}
    paragraphs = [
        p.text for p in docx_of(report_document(report_input(editable=editable))).paragraphs
    ]
    assert paragraphs[3] == "现将有关情况通报如下。"  # no 主送 line
    assert not any(p.startswith("抄送") for p in paragraphs)
    assert not any("存在的问题" in p or "下一步工作要求" in p for p in paragraphs)
    assert f"{ISSUER}\t2026年12月5日印发" in paragraphs


def test_public_edition_has_no_scores_rankings_named_units_or_internal_tables() -> None:
    report = report_input("quarterly_notice", edition="public")
    document = docx_of(report_document(report))
    text = all_text(document)
    assert document.tables == []
    assert not any(p.text.startswith("附件") for p in document.paragraphs)
    totals = {str(r["total"]) for g in report["data"]["rankings"] for r in g["rows"]}
    assert not [total for total in totals if total in text]
    for internal in ("通报批评", "问责情况", "存在的问题及原因", "抄送"):
        assert internal not in text
    assert report["data"]["praised"][0]["rows"][0]["unit_name"] in text
    assert report["data"]["named"][1]["rows"][0]["unit_name"] not in text
    assert "市政务服务管理局推行企业开办" in text  # typical cases
    assert "（一）压实工作责任。" in text  # requirements
    assert f"{ISSUER}\t2026年12月5日印发" in text
    headings = [p.text for p in document.paragraphs if re.match("^[一二三四五]、", p.text)]
    assert headings == ["一、总体情况", "二、通报表扬", "三、典型案例", "四、下一步工作要求"]


def test_full_quarterly_notice_praises_names_and_attaches_the_scores() -> None:
    document = docx_of(report_document(report_input("quarterly_notice")))
    paragraphs = [p.text for p in document.paragraphs]
    assert [p for p in paragraphs if re.match("^[一二三四五六七]、", p)] == [
        "一、总体情况",
        "二、通报表扬",
        "三、通报批评",
        "四、典型案例",
        "五、问责情况",
        "六、存在的问题及原因",
        "七、下一步工作要求",
    ]
    named = next(p for p in paragraphs if p.startswith("区县综合得分排名后3位"))
    assert all(name in named for name in DISTRICTS[-3:])
    header = ["名次", "单位", "得分", "满分", "等次", "名次变化"]
    assert header in [[c.text for c in t.rows[0].cells] for t in document.tables]
    for table in document.tables:  # the header row repeats on every page
        assert table.rows[0]._tr.trPr.find(w("tblHeader")) is not None


def test_a_line_of_free_text_opening_with_a_level_two_number_is_set_in_kaiti() -> None:
    document = docx_of(report_document(report_input()))
    paragraph = next(p for p in document.paragraphs if p.text.startswith("（一）压实工作责任。"))
    lead, rest = paragraph.runs[0], paragraph.runs[1]
    assert lead.text == "（一）压实工作责任。"
    assert lead._r.rPr.rFonts.get(w("eastAsia")) == "楷体_GB2312"
    assert rest._r.rPr.rFonts.get(w("eastAsia")) == "仿宋_GB2312"
    heading = next(p for p in document.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0]._r.rPr.rFonts.get(w("eastAsia")) == "黑体"


def test_text_that_xml_cannot_hold_is_dropped() -> None:
    report = report_input()
    report["editable"]["foreword"] = "@SUM(1+1)\x01第一段\x1b"
    report["data"]["behind"][0]["title"] = '=HYPERLINK("x")\x0b'
    text = all_text(docx_of(report_document(report)))
    assert "@SUM(1+1)第一段" in text
    assert '=HYPERLINK("x")' in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)


def test_supervision_notices_state_facts_deadline_and_written_reply() -> None:
    first = [p.text for p in docx_of(supervision_document(supervision_input())).paragraphs]
    assert first[1:4] == [
        "云营改办督〔2026〕7号",
        "关于督促云岭市市场监督管理局加快推进第12项任务第2个时间节点“完成系统上线”的督办通知",
        "云岭市市场监督管理局：",
    ]
    body = "\n".join(first)
    task = "第12项任务“推行经营主体登记全程电子化”的时间节点“完成系统上线”"
    assert f"{task}，计划于2026年10月31日完成。" in body
    assert "经核查，该节点已超期35天未完成，且未说明原因。" in body
    assert "于2026年12月20日前完成整改" in body
    assert "“督办回复”书面报告整改情况" in body
    assert "我办将按规定二次督办" in body
    assert "抄送：市政府办公室。" in first
    second = all_text(docx_of(supervision_document(supervision_input("second"))))
    assert "的二次督办通知" in second
    assert "下发督办通知（云营改办督〔2026〕5号）" in second
    assert "我办将按规定提请问责" in second


def test_accountability_proposal_gives_history_reason_and_proposal() -> None:
    official = supervision_document(supervision_input("accountability"))
    paragraphs = [p.text for p in docx_of(official).paragraphs]
    assert paragraphs[1:4] == [
        "云营改办问〔2026〕1号",
        "关于对云岭市市场监督管理局有关责任人予以问责的建议",
        "中共云岭市纪律检查委员会、云岭市监察委员会：",
    ]
    headings = [p for p in paragraphs if re.match("^[一二三]、", p)]
    assert headings == ["一、督办情况", "二、问责理由", "三、问责建议"]
    text = "\n".join(paragraphs)
    assert "云营改办督〔2026〕5号" in text
    assert "经两次督办仍未整改，影响全市改革任务整体进度。" in text
    history = [
        {"level_label": label, "document_number": f"云营改办督〔2026〕{n}号", "issued_on": day}
        for label, n, day in (("督办", 3, "2026-11-01"), ("二次督办", 5, "2026-11-20"))
    ]
    official = supervision_document(supervision_input("accountability", history=history))
    text = all_text(docx_of(official))
    assert "2026年11月1日下发督办通知（云营改办督〔2026〕3号）" in text
    assert "2026年11月20日下发二次督办通知（云营改办督〔2026〕5号）" in text


# --- HTML ------------------------------------------------------------------------------------


def test_html_preview_shows_the_same_document_and_escapes_what_was_typed() -> None:
    report = report_input("quarterly_notice", status="draft")
    report["editable"]["typical_cases"] = '<script>alert("x")</script>'
    html = render_html(report_document(report))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<h2>一、总体情况</h2>" in html
    assert "（草稿，未发布）" in html
    assert f'<div class="mark"><span>{ISSUER}文件</span></div>' in html
    for element in ("附件：", "抄送：", "2026年12月5日印发", "（此件主动公开）"):
        assert element in html
    for internal in (AS_OF, "评价规则版本", "平台生成"):
        assert internal not in html


# --- PDF (LibreOffice) -----------------------------------------------------------------------

needs_libreoffice = pytest.mark.skipif(not pdf_available(), reason="LibreOffice (soffice) 未安装")


@pytest.fixture(scope="module")
def pdfs() -> dict[str, list[dict[str, Any]]]:
    """Each kind rendered once through LibreOffice (a few seconds each) and read back."""

    async def render() -> dict[str, bytes]:
        return {name: await docx_to_pdf(render_docx(d)) for name, d in documents().items()}

    return {name: _pages(content) for name, content in asyncio.run(render()).items()}


def _body_lines(chars: list[dict[str, Any]]) -> dict[float, str]:
    """The lines of 3号 (16 pt) text by their bottom edge."""
    lines: dict[float, str] = defaultdict(str)
    for char in sorted(chars, key=lambda c: c["x0"]):
        if round(char["size"]) == 16:
            lines[round(char["bottom"], 1)] += char["text"]
    return lines


def _rules(page: Any) -> list[tuple[int, int, float, Any, float]]:
    """The page's rules, top down: left and right (mm), top (mm), colour, width (pt)."""
    rules = set()
    for line in page.lines:
        left, right, top = round(line["x0"] / MM), round(line["x1"] / MM), line["top"] / MM
        rules.add((left, right, round(top, 1), line["stroking_color"], line["linewidth"]))
    return sorted(rules, key=lambda rule: rule[2])


def _pages(content: bytes) -> list[dict[str, Any]]:
    """Per page: its size, the page-number line below the 版心, the characters in it."""
    pages = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            below = [c for c in chars if c["top"] > (297 - 35) * MM]
            body = [c for c in chars if c not in below]
            pages.append(
                {
                    "size": (page.width, page.height),
                    "number": "".join(c["text"] for c in sorted(below, key=lambda c: c["x0"])),
                    "number_left": min((c["x0"] for c in below), default=0),
                    "number_right": max((c["x1"] for c in below), default=0),
                    "body": body,
                    "text": page.extract_text() or "",
                    "lines": _body_lines(body),
                    "rules": _rules(page),
                }
            )
    return pages


@needs_libreoffice
def test_every_page_is_a4_and_its_text_stays_in_the_type_area(
    pdfs: dict[str, list[dict[str, Any]]],
) -> None:
    tolerance = 1 * MM
    for name, pages in pdfs.items():
        for index, page in enumerate(pages):
            width, height = page["size"]
            assert (round(width), round(height)) == (595, 842)
            for char in page["body"]:
                where = (name, index + 1, char["text"])
                assert 28 * MM - tolerance <= char["x0"], where
                assert char["x1"] <= (210 - 26) * MM + tolerance, where
                assert 37 * MM - tolerance <= char["top"], where
                assert char["bottom"] <= (297 - 35) * MM + tolerance, where


@needs_libreoffice
def test_page_numbers_sit_below_the_type_area_right_on_odd_pages_left_on_even(
    pdfs: dict[str, list[dict[str, Any]]],
) -> None:
    for name, pages in pdfs.items():
        for number, page in enumerate(pages, start=1):
            if not page["body"] and not page["number"]:
                # The blank page inserted so the 版记 falls on an even page: no number (7.5).
                assert number == len(pages) - 1, name
                continue
            assert page["number"] == f"—{number}—", (name, number)
            if number % 2:
                assert page["number_right"] > 175 * MM, (name, number)  # 右空一字
            else:
                assert page["number_left"] < 37 * MM, (name, number)  # 左空一字


@needs_libreoffice
def test_the_head_is_where_the_standard_puts_it(
    pdfs: dict[str, list[dict[str, Any]]],
) -> None:
    """发文机关标志 35 mm into the 版心, in red; the red line as wide as the 版心, 4 mm under the
    发文字号."""
    for name, pages in pdfs.items():
        first = pages[0]["body"]
        mark = [c for c in first if c["non_stroking_color"] == (1.0, 0.0, 0.0)]
        assert abs(min(c["top"] for c in mark) / MM - (37 + 35)) < 1, name
        number_bottom = max(c["bottom"] for c in first if c["top"] / MM < 120 and c not in mark)
        [(left, right, top, colour, _)] = pages[0]["rules"]
        assert (left, right, colour) == (28, 184, (1.0, 0.0, 0.0)), name
        assert 3.5 < top - number_bottom / MM < 4.5, name


@needs_libreoffice
def test_the_imprint_is_on_the_last_page_which_is_even(
    pdfs: dict[str, list[dict[str, Any]]],
) -> None:
    for name, pages in pdfs.items():
        assert len(pages) % 2 == 0, name
        assert "印发" in pages[-1]["text"], name
        assert not any("印发" in page["text"] for page in pages[:-1]), name
        assert not any("平台生成" in page["text"] for page in pages), name
    assert "抄送" not in "".join(page["text"] for page in pdfs["quarterly_public"])
    # The 版记's rules: as wide as the 版心, thick, thin, thick, the last at its bottom edge.
    rules = pdfs["monthly"][-1]["rules"]
    assert [(left, right, width) for left, right, _, _, width in rules] == [
        (28, 184, 1.0),
        (28, 184, 0.75),
        (28, 184, 1.0),
    ]
    assert 297 - 35 - 2.5 < rules[-1][2] <= 297 - 35
    assert [width for *_, width in pdfs["quarterly_public"][-1]["rules"]] == [1.0, 1.0]


@needs_libreoffice
def test_the_monthly_report_runs_over_pages_of_22_lines_by_28_characters(
    pdfs: dict[str, list[dict[str, Any]]],
) -> None:
    """GB/T 9704 5.2.3: 22 lines of 28 characters; the lines stay 28.95 pt (225 mm / 22) apart
    whatever font LibreOffice substitutes."""
    pages = pdfs["monthly"]
    assert len(pages) >= 8
    bottoms = sorted(pages[1]["lines"])  # a page of body text
    assert len(bottoms) == 22
    for above, below in itertools.pairwise(bottoms):
        assert abs((below - above) / 28.95 - round((below - above) / 28.95)) < 0.02
    lines = [line for page in pages for line in page["lines"].values()]
    chinese = [line for line in lines if all(ord(c) > 0x2E80 for c in line)]
    assert max(len(line) for line in chinese) == 28


async def test_docx_to_pdf_without_libreoffice_is_a_503_in_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert not pdf_available()
    with pytest.raises(ServiceUnavailable) as raised:
        await docx_to_pdf(b"PK")
    assert raised.value.status == 503
    assert raised.value.detail == "服务器未安装 LibreOffice，暂不能生成 PDF；请下载 DOCX"


@needs_libreoffice
async def test_a_conversion_past_the_time_limit_is_a_503_and_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf_module, "TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    content = render_docx(supervision_document(supervision_input()))
    with pytest.raises(ServiceUnavailable) as raised:
        await docx_to_pdf(content)
    assert raised.value.detail == pdf_module.TIMED_OUT
    assert list(tmp_path.iterdir()) == []


@needs_libreoffice
async def test_pdf_requests_beyond_the_queue_limit_are_a_503_to_retry_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flood of PDF downloads does not pile up: past PDF_QUEUE_LIMIT conversions running or
    waiting in a process, the next is told to retry, and the queued ones still finish."""
    monkeypatch.setattr(get_settings(), "pdf_queue_limit", 2)
    content = render_docx(supervision_document(supervision_input()))
    results = await asyncio.gather(
        *(docx_to_pdf(content) for _ in range(3)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, ServiceUnavailable)]
    assert len(refused) == 1
    assert refused[0].detail == pdf_module.BUSY
    assert refused[0].headers == {"Retry-After": "10"}
    assert all(isinstance(r, bytes) and r.startswith(b"%PDF") for r in results if r not in refused)
