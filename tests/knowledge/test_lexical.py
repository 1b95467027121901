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
