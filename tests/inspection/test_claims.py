"""Numbers with units and Chinese numerals in agent speech."""

from __future__ import annotations

import pytest

from inspection.claims import has_time_expression, overlap, parse_number, quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30", 30),
        ("三十", 30),
        ("七十二", 72),
        ("十五", 15),
        ("一千八百六十二", 1862),
        ("二十万", 200000),
        ("一二三九三", 12393),
        ("两三", None),
        ("几", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_quantities_units_and_history() -> None:
    q = quantities("在职职工由原来的50%提高到72%")
    assert [(x.value, x.unit, x.historical) for x in q] == [(50, "percent", True), (72, "percent", False)]
    assert [(x.value, x.unit) for x in quantities("一般三十个工作日到账")] == [(30, "workday")]
    assert [(x.value, x.unit) for x in quantities("退休的百分之八十一")] == [(81, "percent")]


def test_dates_and_opening_hours_are_not_limits() -> None:
    assert quantities("2023年8月1日起实行") == []
    assert quantities("全年365天、一天24小时都能办") == []


def test_time_expressions() -> None:
    assert has_time_expression("提交了马上就生效")
    assert has_time_expression("20个工作日内办完")
    assert not has_time_expression("在公众号上办理")


def test_overlap() -> None:
    assert overlap("零星报销时限", "零星报销30个工作日") > 0.5
    assert overlap("", "abc") == 0.0
