import pytest

from knowledge.regions import all_region_names, extract_region, region_table


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("我是太原的", "山西/太原"),
        ("我在山西太原小店区参保", "山西/太原/小店"),
        ("略阳的", "陕西/汉中/略阳"),
        ("巴州库尔勒的", "新疆/巴音郭楞/库尔勒"),
        ("我是恩施的", "湖北/恩施"),
        ("上海静安区的低保户", "上海/静安"),
        ("北京朝阳区", "北京/朝阳"),
        ("辽宁朝阳", "辽宁/朝阳"),
        ("我是仙桃的", "湖北/仙桃"),
        ("龙江医保APP上能备案吗", "黑龙江"),
        ("我是齐齐哈尔龙江县的", "黑龙江/齐齐哈尔/龙江"),
    ],
)
def test_extract_region_finds_the_most_specific_place(text: str, path: str) -> None:
    assert extract_region(text) == path


@pytest.mark.parametrize("text", ["去外地看病要先备案吗", "资源共享很重要", "和平时一样", "合作医疗怎么交"])
def test_everyday_words_are_not_places(text: str) -> None:
    assert extract_region(text) is None


def test_common_word_county_counts_when_marked_as_a_place() -> None:
    assert extract_region("我是资源的") == "广西/桂林/资源"


def test_a_county_short_name_inside_another_word_is_no_place() -> None:
    """街道里 holds 道里 (哈尔滨道里区) across a word's edge; 道里 said as a word is the district."""
    assert extract_region("街道里的人说要去社区办") is None
    assert extract_region("街道里讲要拿发票申请，静安区有没有新办法？") == "上海/静安"
    assert extract_region("道里的医保怎么报") == "黑龙江/哈尔滨/道里"


def test_province_rule_applies_to_its_cities_not_the_reverse() -> None:
    table = region_table()
    assert table.applies("山西", "山西/太原")
    assert table.applies("山西/太原", "山西/太原/小店")
    assert not table.applies("山西/太原", "山西")
    assert not table.applies("山西/太原", "河北/保定")
    assert table.applies(None, None)
    assert not table.applies("山西/太原", None)


def test_region_group_expands_to_members() -> None:
    table = region_table()
    assert table.applies("京津冀", "河北/保定")
    assert table.applies("京津冀", "天津")
    assert not table.applies("京津冀", "山西/太原")


def test_canonical_accepts_hand_written_paths_and_rejects_unknown() -> None:
    table = region_table()
    assert table.canonical("山西/太原") == "山西/太原"
    assert table.canonical("太原市") == "山西/太原"
    assert table.canonical("重庆/合川") == "重庆/合川"
    with pytest.raises(ValueError, match="火星"):
        table.canonical("火星/奥林匹斯")


def test_table_covers_every_province_and_prefecture() -> None:
    table = region_table()
    provinces = [r for r in table.regions.values() if r.level == 1]
    cities = [r for r in table.regions.values() if r.level == 2]
    assert len(provinces) >= 31
    assert len(cities) >= 300
    names = all_region_names()
    assert {"太原", "太原市", "山西", "山西省", "巴音郭楞"} <= set(names)


@pytest.mark.parametrize(
    ("heard", "path"),
    [
        ("云囊的，新生儿参保在手机上能办不", "云南"),
        ("田水的住院结账", "甘肃/天水"),
        ("昆螟那边", "云南/昆明"),
    ],
)
def test_a_misheard_region_is_found_by_its_sound(heard: str, path: str) -> None:
    assert region_table().extract(heard) == path


@pytest.mark.parametrize(
    "text",
    [
        "电话打通了没人接",
        "村里参保能不能就在镇上办，不进城？",
        "浙里医保上能报销吗",
        "那去窗口办行不",
        "那去医院能办吗",
    ],
)
def test_words_that_only_sound_like_a_region_are_not_one(text: str) -> None:
    assert region_table().extract(text) is None
