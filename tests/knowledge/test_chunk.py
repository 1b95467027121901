import pytest

from knowledge.chunk import chunk_text, heading_level, split_sections

DOC = """关于做好医保服务的通知
一、总体要求
坚持以人民为中心。提升服务水平。
二、主要措施
（一）推进异地就医备案。参保人可以在线办理备案。备案后即时生效。
（二）优化零星报销。零星报销30个工作日内完成。
"""


def test_heading_levels() -> None:
    assert heading_level("一、总体要求") == (2, "一、总体要求")
    assert heading_level("（一）推进异地就医备案。参保人可以在线办理")[0] == 3
    assert heading_level("# 标题") == (1, "标题")
    assert heading_level("这是一个很长的正文句子，里面有逗号，而且以句号结尾。") is None


def test_sections_carry_their_heading_path() -> None:
    sections = split_sections(DOC)
    paths = [tuple(s.path) for s in sections]
    assert ("关于做好医保服务的通知", "一、总体要求") in paths
    assert any(p[-1].startswith("（一）推进异地就医备案") for p in paths)


def test_passages_respect_max_chars_and_keep_sentences_whole() -> None:
    text = "标题\n" + "".join(f"这是第{i}句话，讲一件医保的事情。" for i in range(40))
    passages = chunk_text(text, max_chars=80)
    assert len(passages) > 5
    for p in passages:
        assert p.text.endswith("。")
        assert len(p.text) <= 80 + 20


def test_overlap_repeats_the_last_sentence() -> None:
    text = "标题\n" + "".join(f"句子{i}的内容在这里写完。" for i in range(10))
    passages = chunk_text(text, max_chars=60, overlap_sentences=1)
    last_of_first = passages[0].text.split("。")[-2] + "。"
    assert passages[1].text.startswith(last_of_first)


def test_bad_max_chars() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_text("x", max_chars=10)
