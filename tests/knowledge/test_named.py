"""Named services (knowledge/named.py): a what-is question about one region's named service."""

from __future__ import annotations

from knowledge.named import NamedServices, asks_what_is, quoted_names
from knowledge.search import Doc
from tests.knowledge.hits import entry_doc


def entry(key: str, region: str | None, answer: str) -> Doc:
    return entry_doc(key, region, answer=answer)


DOCS = [
    entry("nc", "江西/南昌", "南昌红谷滩的“红小依之家”在社区里，能办医保业务。"),
    entry("nc2", "江西/南昌", "“红小依之家”周末也开门。"),
    entry("sd", "山东", "山东的智能客服叫“鲁e保”。"),
    entry("hz", "浙江/杭州", "杭州的生育津贴“无感办”。"),
    entry("nat", None, "各地都在推“无感办”和“两病”保障。"),
    entry("ls", "浙江/衢州", "衢州也有“无感办”。"),
]


def test_quoted_names_skip_short_generic_ones() -> None:
    assert quoted_names(DOCS[4]) == {"无感办"}


def test_what_is_questions() -> None:
    assert asks_what_is("红小依之家是干啥的")
    assert asks_what_is("鲁e保是个啥")
    assert not asks_what_is("红小依之家几点开门")


def test_a_name_of_one_region_names_that_region() -> None:
    named = NamedServices(DOCS)
    assert named.region_named("红小依之家是干啥的？") == "江西/南昌"
    assert named.region_named("鲁E保是什么") == "山东"


def test_a_name_shared_with_everyone_or_other_regions_names_none() -> None:
    named = NamedServices(DOCS)
    assert named.region_named("无感办是什么意思") is None


def test_only_what_is_questions_count() -> None:
    assert NamedServices(DOCS).region_named("红小依之家几点开门") is None
