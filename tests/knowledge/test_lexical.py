import pytest

from knowledge.lexical import BM25Index, tokenize


def test_domain_terms_stay_whole() -> None:
    tokens = tokenize("异地就医备案怎么办")
    assert "异地就医" in tokens
    assert "备案" in tokens


def test_bm25_ranks_the_matching_document_first() -> None:
    index = BM25Index()
    index.add(1, "异地就医备案需要什么材料")
    index.add(2, "生育津贴多久到账")
    index.add(3, "个人账户余额怎么查询")
    assert index.search("备案要带啥材料", 3)[0][0] == 1
    assert index.search("生育津贴到账时间", 3)[0][0] == 2


def test_incremental_remove_and_update() -> None:
    index = BM25Index()
    index.add(1, "异地就医备案")
    index.add(2, "生育津贴")
    index.remove([1])
    assert [d for d, _ in index.search("异地就医备案", 5)] == []
    index.add(2, "异地就医备案")  # update replaces the old text
    assert [d for d, _ in index.search("生育津贴", 5)] == []
    assert index.search("异地就医备案", 5)[0][0] == 2
    assert len(index) == 1


def test_allowed_filters_candidates() -> None:
    index = BM25Index()
    index.add(1, "异地就医备案")
    index.add(2, "异地就医备案 内部")
    assert [d for d, _ in index.search("异地就医备案", 5, allowed={2})] == [2]


DOCS = {
    1: "生育津贴多久到账",
    2: "门诊费用怎么报销",
    3: "个人账户余额怎么查询",
    4: "异地就医备案需要什么材料",
}


def _index(**kwargs: float) -> BM25Index:
    index = BM25Index(**kwargs)
    for doc_id, text in DOCS.items():
        index.add(doc_id, text)
    return index


def test_pinyin_bigrams_are_tokens_read_in_context_beside_han_ones() -> None:
    tokens = tokenize("长期备案")
    assert {"长期", "§长期", "§期备", "§备案"} <= set(tokens)
    # 长 in 长期 is chang; zh/ch/sh and -ang/-eng/-ing are folded (chang -> can).
    assert {"py:can qi", "py:qi bei", "py:bei an"} <= set(tokens)
    assert "py:zan qi" not in tokens


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("升玉金铁多酒倒帐", 1),  # every character a homophone of 生育津贴多久到账
        ("们怎废用真么包销", 2),  # 门诊 -> 们怎 and 怎 -> 真 cross zh/z
        ("各人帐互鱼额真么插寻", 3),
        ("一低旧一被按须咬神么才聊", 4),  # 低 (di1) for 地 (di4): another tone
    ],
)
def test_a_homophone_noised_query_finds_its_document_by_sound(heard: str, meant: int) -> None:
    # Without pinyin no token of the question is in the document it means: it is missed.
    assert meant not in dict(_index(pinyin_weight=0.0).search(heard, 4))
    assert _index().search(heard, 4)[0][0] == meant


def test_a_clean_query_scores_as_without_pinyin() -> None:
    for query in ("生育津贴多久到账", "异地就医备案需要什么材料", "门诊报销"):
        with_pinyin = dict(_index().search(query, 4))
        han_only = dict(_index(pinyin_weight=0.0).search(query, 4))
        best = max(han_only, key=lambda d: han_only[d])
        # The document holding the query's characters keeps its exact score; a pinyin bigram only
        # counts where its Han bigram is missing.
        assert with_pinyin[best] == pytest.approx(han_only[best])
        assert max(with_pinyin, key=lambda d: with_pinyin[d]) == best
        assert _index().max_score(query) == pytest.approx(_index(pinyin_weight=0.0).max_score(query))


def test_pinyin_weight_scales_a_sound_only_match() -> None:
    half = dict(_index(pinyin_weight=0.5).search("升玉金铁多酒倒帐", 4))[1]
    full = dict(_index(pinyin_weight=1.0).search("升玉金铁多酒倒帐", 4))[1]
    assert half == pytest.approx(full / 2)


def test_pinyin_weight_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="pinyin_weight"):
        BM25Index(pinyin_weight=1.5)
