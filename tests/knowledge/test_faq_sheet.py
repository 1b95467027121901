"""FAQ sheets: CSV in UTF-8, UTF-8 with BOM and GBK, XLSX; English and Chinese headers; every bad row
reported with the row number a person sees, and no rows at all when any row is bad."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.faq_sheet import SheetInvalid, parse_date, parse_region, parse_sheet, read_sheet

DATA = Path(__file__).resolve().parents[1] / "data" / "faq"
HEADER = ["问题", "答案", "地区", "生效日期", "来源", "主题", "受众", "相似问题"]
GOOD = [
    "生育津贴多久到账？",
    "出院结算后10个工作日内发放。",
    "杭州",
    "2023-07",
    "杭州医保官网",
    "生育",
    "公众",
    "津贴几天到\n津贴啥时候发；生育津贴要等多久",
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def reasons(exc: pytest.ExceptionInfo[SheetInvalid]) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in exc.value.errors}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_reads_the_same_row(encoding: str) -> None:
    [row] = parse_sheet(csv_bytes([HEADER, GOOD], encoding), "faq.csv")
    assert (row.row, row.question, row.region, row.effective) == (
        2,
        "生育津贴多久到账?",
        "浙江/杭州",
        "2023-07",
    )
    assert row.answer == "出院结算后10个工作日内发放。"
    assert (row.topic, row.audience, row.source) == ("生育", "public", "杭州医保官网")
    assert row.similar == ("津贴几天到", "津贴啥时候发", "生育津贴要等多久")


def test_xlsx_with_english_headers_dates_and_blank_rows() -> None:
    import datetime as dt

    data = xlsx_bytes(
        [
            [None],  # a blank first line: the header is the first non-empty row
            ["Question", "Answer", "Region", "Effective", "Source", "Audience", "Notes"],
            [
                "坐席怎么登记举报？",
                "按投诉登记工单。",
                "河南省开封市",
                dt.datetime(2020, 9, 1),
                "内部口径",
                "agent",
                "x",
            ],
            [None, None],
            ["全国热线号码是多少？", "12393。", "全国", 2021, "国家医保局", "", ""],
        ]
    )
    first, second = parse_sheet(data, "faq.xlsx")
    assert (first.row, first.region, first.effective, first.audience) == (
        3,
        "河南/开封",
        "2020-09-01",
        "agent",
    )
    assert (second.row, second.region, second.effective, second.topic) == (5, None, "2021", "常见问题")


def test_every_problem_is_reported_by_row_and_nothing_is_returned() -> None:
    rows = [
        HEADER,
        GOOD,
        ["", "答案", "杭州", "2023", "来源", "", "", ""],  # 3: no question
        ["问题三", "答案", "火星", "2023", "来源", "", "", ""],  # 4: unknown region
        ["问题四", "答案", "杭州", "2023年13月", "来源", "", "", ""],  # 5: bad date
        ["问题五", "答案", "杭州", "2023", "来源", "", "群众", ""],  # 6: bad audience
        ["生育津贴多久到账", "另一个答案", "浙江/杭州", "2023", "来源", "", "", ""],  # 7: duplicate of 2
        ["问题六", "答" * 4001, "杭州", "2023", "", "", "", ""],  # 8: too long, no source
        ["生育津贴多久到账？", "开封的答案", "开封", "2023", "来源", "", "", ""],  # other region: fine
    ]
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(csv_bytes(rows), "faq.csv")
    assert reasons(caught) == {
        (3, "question", "missing"),
        (4, "region", "bad_region"),
        (5, "effective", "bad_date"),
        (6, "audience", "bad_audience"),
        (7, "question", "duplicate"),
        (8, "answer", "too_long"),
        (8, "source", "missing"),
    }
    duplicate = next(e for e in caught.value.errors if e.code == "duplicate")
    assert duplicate.detail == "2"


def test_missing_columns_empty_sheets_and_unknown_files() -> None:
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(csv_bytes([["问题", "答案", "备注"], ["a", "b", "c"]]), "faq.csv")
    assert reasons(caught) == {(1, c, "missing_column") for c in ("region", "effective", "source")}
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(csv_bytes([HEADER]), "faq.csv")
    assert reasons(caught) == {(2, "", "no_rows")}
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(b"PK\x03\x04 not really", "faq.xlsx")
    assert {e.code for e in caught.value.errors} == {"unreadable"}
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(b"x", "faq.pdf")
    assert {e.code for e in caught.value.errors} == {"bad_format"}


def test_a_multiline_cell_keeps_the_row_numbers_a_person_sees() -> None:
    rows = [
        HEADER,
        GOOD,
        ["第二个问题", "第一行\n第二行", "杭州", "2023", "来源", "", "", ""],
        ["", "", "", "", "", "", "", ""],
    ]
    rows.append(["第三个问题", "答案", "杭州", "bad", "来源", "", "", ""])
    with pytest.raises(SheetInvalid) as caught:
        parse_sheet(csv_bytes(rows), "faq.csv")
    assert reasons(caught) == {(5, "effective", "bad_date")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", "2023"),
        ("2023-7", "2023-07"),
        ("2023/07/01", "2023-07-01"),
        ("2023年7月1日", "2023-07-01"),
        ("2023.02.30", None),
        ("23-07", None),
        ("1800", None),
    ],
)
def test_dates(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开封", "河南/开封"),
        ("河南/开封", "河南/开封"),
        ("河南省开封市", "河南/开封"),
        ("京津冀", "京津冀"),
        ("陕西省汉中市略阳县", "陕西/汉中/略阳"),
        ("开封 不知道", None),
        ("火星", None),
    ],
)
def test_regions(text: str, expected: str | None) -> None:
    assert parse_region(text) == expected


def test_the_shipped_sheets_agree() -> None:
    csv_rows = read_sheet(DATA / "seed_faq.csv")
    xlsx_rows = read_sheet(DATA / "seed_faq.xlsx")
    assert len(csv_rows) >= 40
    assert csv_rows == xlsx_rows
