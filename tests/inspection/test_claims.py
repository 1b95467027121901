"""Numbers with units and Chinese numerals in agent speech."""

from __future__ import annotations

import pytest

from inspection.claims import agrees, has_time_expression, overlap, parse_number, quantities, repair_numbers


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


def test_spoken_ranges_and_approximations() -> None:
    def spans(text: str) -> list[tuple[float, float, str, bool]]:
        return [(q.low, q.top, q.unit, q.vague) for q in quantities(text)]

    assert spans("二十来天") == [(20, 26, "day", True)]
    assert spans("一个多月") == [(1, 1.9, "month", True)]
    assert spans("十几天") == [(11, 19, "day", True)]
    assert spans("两三个礼拜") == [(2, 3, "week", True)]
    assert spans("个把月") == [(1, 1.5, "month", True)]
    assert spans("大概一个半月") == [(1.5, 1.5, "month", True)]
    assert spans("能报八成") == [(80, 80, "percent", True)]
    assert spans("三十个工作日") == [(30, 30, "workday", False)]
    assert spans("8月起执行，2023年开始") == []  # dates, not durations


def test_agrees_compares_in_calendar_days() -> None:
    (base,) = quantities("30个工作日内办完")  # 30 to 44 calendar days
    assert agrees(quantities("大概一个半月")[0], base)
    assert not agrees(quantities("十来天")[0], base)
    assert not agrees(quantities("一个礼拜左右")[0], base)
    assert not agrees(quantities("15个工作日")[0], base)
    assert agrees(quantities("三十个工作日")[0], base)
    (rate,) = quantities("退休职工81%")
    assert agrees(quantities("差不多八成")[0], rate)
    assert not agrees(quantities("六七成")[0], rate)
    assert not agrees(quantities("百分之七十八")[0], rate)  # an exact figure gets no tolerance


@pytest.mark.parametrize(
    ("heard", "said"),
    [
        ("瑞安这边是15个公作日", "瑞安这边是15个工作日"),  # a unit word written with homophones
        ("两各礼拜以内去拿", "两个礼拜以内去拿"),  # 个 after a number, before a unit
        ("依个月就到", "一个月就到"),  # a numeral written with a homophone before 个 + unit
        ("是五个工作日", "是五个工作日"),  # 是 before a real numeral stays
        ("这个月底前", "这个月底前"),  # 这个 is no number
        ("星期天也能办", "星期天也能办"),
    ],
)
def test_repair_numbers(heard: str, said: str) -> None:
    assert repair_numbers(heard) == said


def test_noised_quantities_are_read() -> None:
    assert [(x.value, x.unit) for x in quantities("您好的两各礼拜以内去拿都行")] == [(2, "week")]
    assert [(x.value, x.unit) for x in quantities("要等10个功作日")] == [(10, "workday")]


def test_overlap_is_by_sound() -> None:
    # 受工报小 is how a recogniser may write 手工报销: the topic words still match.
    assert overlap("受工报小", "手工报销的办理时限") == 1.0
    assert overlap("手工报销", "门诊慢特病") == 0.0


def test_opening_hours_in_words_and_raised_rates() -> None:
    """一天二十四小时、一周七天 is opening hours, not a time limit; "提高5个百分点" states a raised rate."""
    from inspection.claims import raised_rates

    assert quantities("一天二十四小时、一周七天都能打") == []
    assert quantities("七乘二十四小时服务") == []
    assert [q.value for q in quantities("三天内回复")] == [3.0]
    assert [q.value for q in raised_rates("起付600元，支付70%，退休人员提高5个百分点")] == [75.0]
    assert raised_rates("支付70%") == []
