"""inspection/semantic.py: pre-filter, windows, nearest label by margin, thresholds, cache, files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inspection.pieces import clause_edges, open_sentence, sentences
from inspection.semantic import OPEN_PENALTY, SemanticMatcher
from inspection.semantic_bank import NONE, Calibration, Label, load_bank, load_calibration
from inspection.textmatch import normalize
from knowledge.embed import Embedder
from tests.inspection import conftest
from tests.inspection.conftest import keyword_encoder, tiny_bank, tiny_matcher


def test_sentences_split_and_drop_backchannels() -> None:
    assert sentences("嗯。好的。您先别着急，我帮您查一下！") == ["您先别着急，我帮您查一下"]


def test_prefilter_cues_by_sound_and_two_character_cues_exactly() -> None:
    m = tiny_matcher()
    assert m.passes("你快点说", "staff")
    assert not m.passes("您好，请讲", "staff")
    # 医院 is a two-character cue: 衣院 sounds the same but is not taken as it.
    assert not m.passes("衣院那边", "staff")
    assert m.passes("那还要等多久", "caller")
    assert not m.passes("那还要等多久", "staff")  # caller_open is a caller label


def test_long_unpunctuated_speech_is_cut_around_cues() -> None:
    m = tiny_matcher()
    text = "您好这个呢我们这边已经登记了然后您快点说一下您的参保地是哪里我们好帮您核实一下情况"
    units = m.units(text, "staff")
    assert units and all(kind == "window" for _, kind in units)
    assert all("快点" in u for u, _ in units)
    assert all(len(u) < len(text) for u, _ in units)


def test_nearest_label_margin_and_evidence() -> None:
    m = tiny_matcher()
    near = m.nearest([("staff", "你快点快点")])[0]
    assert near.label == "impatience" and near.example == "快点快点说"
    assert near.margin > 0
    polite = m.nearest([("staff", "好的好的我帮您办")])[0]
    assert polite.margin < 0  # closer to the ordinary sentences than to any problem


def test_match_applies_thresholds_per_label() -> None:
    turns = [(1, "staff", "你快点快点"), (3, "staff", "去找医院问"), (4, "caller", "还要等多久啊")]
    hits = tiny_matcher().match(turns)
    assert [(h.turn, h.label) for h in hits] == [(1, "impatience"), (3, "deflection"), (4, "caller_open")]
    strict = tiny_matcher({"impatience": 0.0, "deflection": 0.99, "caller_open": 0.0}).match(turns)
    assert [h.label for h in strict] == ["impatience", "caller_open"]
    assert tiny_matcher({}).match(turns) == []  # no calibrated threshold: no label counts


def test_vectors_are_cached_by_text_and_cleared() -> None:
    m = tiny_matcher()
    conftest.calls.clear()
    m.match([(1, "staff", "你快点快点")])
    m.match([(2, "staff", "你快点快点")])
    encoded = [t for batch in conftest.calls for t in batch]
    assert encoded.count("你快点快点") == 1
    m.clear_cache()
    m.match([(2, "staff", "你快点快点")])
    assert [t for batch in conftest.calls for t in batch].count("你快点快点") == 2


def test_the_cache_drops_the_least_recently_used() -> None:
    m = replace(tiny_matcher(), cache_size=2)
    m.vectors(["快点快点", "去找医院"])
    m.vectors(["快点快点"])  # used again: now the most recent
    m.vectors(["还要等多久"])  # one too many: 去找医院 goes, not 快点快点
    conftest.calls.clear()
    vecs = m.vectors(["快点快点", "去找医院", "快点快点"])
    assert [t for batch in conftest.calls for t in batch] == ["去找医院"]
    assert vecs.shape[0] == 3 and np.allclose(vecs[0], vecs[2])
    tiny = replace(tiny_matcher(), cache_size=0)  # a batch larger than the cache still comes back whole
    assert tiny.vectors(["快点", "医院", "等等"]).shape[0] == 3


def test_short_open_sentences_are_embedded_without_a_cue_word() -> None:
    m = tiny_matcher()
    # No cue word, no shared sound: before, never embedded; now as an "open" sentence.
    assert not m.passes("这事儿跟我们八竿子打不着", "staff")
    assert m.units("这事儿你别来问我们", "staff") == [("这事儿你别来问我们", "open")]
    # Not: figures (policy content), the caller's words, ordinary sentences, long ones.
    assert m.units("你这个三个工作日就到了", "staff") == []
    assert m.units("这事儿你别来问我们", "caller") == []
    assert m.units("您好，请问您是哪里参保的", "staff") == []
    assert m.units("这事儿你别来问我们，我们这边真的是管不到那么多的事情", "staff") == []
    assert replace(m, open_chars=0).units("这事儿你别来问我们", "staff") == []
    assert open_sentence("你自己拿主意") and not open_sentence("你等五个工作日")
    # An open sentence rests on its vector alone: it must clear the threshold by OPEN_PENALTY.
    [(unit, near)] = m.scored([(1, "staff", "你别快快快")])
    assert unit.kind == "open" and unit.penalty == OPEN_PENALTY


def test_clause_edges_of_recognised_speech() -> None:
    starts, ends = clause_edges(normalize("您先别急啊说不定过两天嗯就到了"))
    # 啊 is dropped (a particle): an edge between 急 and 说; 嗯 is kept: a clause starts after it.
    chars = normalize("您先别急啊说不定过两天嗯就到了").chars
    assert chars.index("说") in starts and chars.index("说") in ends
    assert chars.index("嗯") + 1 in starts and chars.index("嗯") in ends
    assert not ({0, len(chars)} & (starts | ends))  # the text's own ends say nothing of its clauses


def test_learned_examples_join_the_bank() -> None:
    cal = Calibration({"impatience": 0.0}, examples=(("impatience", "等等等等"), ("none", "快点办好")))
    m = SemanticMatcher(tiny_bank(), conftest.keyword_encoder, cal, k=1)
    assert m.nearest([("staff", "等等等")])[0].label == "impatience"
    assert ("none", "快点办好") in m.examples


def test_bank_and_calibration_files_are_validated(tmp_path: Path) -> None:
    bank = load_bank()
    assert NONE in bank.labels and bank.labels["caller_open"].speaker == "caller"
    assert all(len(lb.examples) >= 8 for lb in bank.labels.values())
    bad = tmp_path / "bank.yaml"
    bad.write_text("labels:\n  impatience:\n    examples: [快点]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none"):
        load_bank(bad)
    cal = load_calibration()
    assert set(cal.thresholds) == {"impatience", "forbidden", "deflection", "vague", "caller_open"}
    wrong = tmp_path / "cal.json"
    wrong.write_text(json.dumps({"thresholds": {"impatience": 3}}), encoding="utf-8")
    with pytest.raises(ValueError, match="impatience"):
        load_calibration(wrong)


def test_real_model_tells_impatience_from_ordinary_service(embedder: Embedder) -> None:
    m = SemanticMatcher(load_bank(), embedder.encode, load_calibration())
    turns = [
        (1, "staff", "您好，请问有什么可以帮您？"),
        (3, "staff", "您带上身份证和社保卡，到医保服务大厅办理就可以。"),
        (5, "staff", "这个我都讲了三遍了，你怎么还是记不住？"),
    ]
    hits = m.match(turns)
    assert [(h.turn, h.label) for h in hits] == [(5, "impatience")]
    assert hits[0].example in load_bank().labels["impatience"].examples


def test_unpunctuated_speech_gets_clause_windows() -> None:
    # Recognised speech runs clauses together: besides the whole sentence, windows around the cue
    # word are embedded, and one of them is the impatient clause alone.
    m = tiny_matcher()
    spoken = m.units("嗯您要是说了好几遍了当天就能收到审核结果", "staff")
    written = m.units("嗯您要是说了好几遍了。当天就能收到审核结果。", "staff")
    assert any(k == "window" for _, k in spoken) and not any(k == "window" for _, k in written)
    # The filler 嗯 is a clause edge the recogniser's text still shows: the window starts after it.
    assert ("您要是说了好几遍", "window") in spoken
    assert not any(u.startswith("嗯") for u, k in spoken if k == "window")


def test_a_decisive_cue_decides_between_labels() -> None:
    bank = tiny_bank()
    labels = dict(bank.labels)
    labels["impatience"] = replace(labels["impatience"], decisive=True)
    labels["deflection"] = replace(labels["deflection"], cues=())
    m = SemanticMatcher(replace(bank, labels=labels), keyword_encoder, Calibration({"impatience": -1.0}), k=1)
    # 医院 pulls the sentence towards deflection, but 快点 is impatience's own cue word.
    text = "快点去医院医院"
    assert m.nearest([("staff", text)])[0].label == "deflection"
    assert [u.cued for u in m.candidates([(1, "staff", text)])] == [("impatience",)]
    assert [h.label for h in m.match([(1, "staff", text)])] == ["impatience"]
    # Without a decisive cue (tiny_bank as is) nothing changes.
    assert tiny_matcher().candidates([(1, "staff", text)])[0].cued == ()


def test_real_model_finds_rude_short_sentences_with_no_cue_word(embedder: Embedder) -> None:
    # Sentences written for this test: no cue word of any label, so the session-7 pre-filter never
    # embedded them; as short open sentences they are embedded and found as a problem.
    m = SemanticMatcher(load_bank(), embedder.encode, load_calibration())
    rude = ["谁让你不早点打来问的", "你别跟我较劲了", "您这个我们没法管", "我这儿没空跟你掰扯"]
    for said in rude:
        assert not m.passes(said, "staff"), said
        hits = m.match([(1, "staff", said)])
        assert [h.label for h in hits] in (["impatience"], ["forbidden"]), said
        assert replace(m, open_chars=0).match([(1, "staff", said)]) == [], said
    ordinary = ["您别着急，我帮您查一下", "您别挂机，我马上查", "谁在办理这个，我帮您问一下"]
    for said in ordinary:
        assert m.units(said, "staff") == [(said, "open")] and m.match([(1, "staff", said)]) == [], said


def test_a_window_between_two_clause_edges_is_a_clause() -> None:
    # 呢 and 吧 are dropped particles: the recogniser's text shows where "你快点说一下参保地" begins
    # and ends, so that window is a whole clause; the one after 吧 has no visible end: a window.
    text = "这个情况呢你快点说一下参保地吧然后我帮您查一下医院的记录"
    units = dict(tiny_matcher().units(text, "staff"))
    assert units["你快点说一下参保地"] == "clause"
    assert units["然后我帮您查一下医院"] == "window"
    # A clause is judged like a sentence: a decisive cue word in it decides among the labels.
    bank = tiny_bank()
    labels = dict(bank.labels)
    labels["impatience"] = replace(labels["impatience"], decisive=True)
    m = SemanticMatcher(replace(bank, labels=labels), keyword_encoder, Calibration({}), k=1)
    cued = {u.text: u.cued for u in m.candidates([(1, "staff", text)])}
    # The window holds only deflection's cue word (医院): a decisive label is not among its choices.
    assert cued["你快点说一下参保地"] == ("impatience",) and cued["然后我帮您查一下医院"] == ("deflection",)


def test_a_decisive_label_needs_its_own_cue_word() -> None:
    """A sentence let in by a referral's words alone (去医院问问) is not judged as impatience, even
    where an impatience example sits closer; with impatience's own cue word it still is."""
    bank = tiny_bank()
    labels = dict(bank.labels)
    labels["impatience"] = replace(
        labels["impatience"], decisive=True, examples=("快点快点说", "去医院问问快")
    )
    cal = Calibration({"deflection": 5.0})
    m = SemanticMatcher(replace(bank, labels=labels), keyword_encoder, cal, k=1)
    text = "去医院问问快"
    assert m.nearest([("staff", text)])[0].label == "impatience"  # unrestricted, the closest is impatience
    assert [u.cued for u in m.candidates([(1, "staff", text)])] == [("deflection",)]
    assert m.match([(1, "staff", text)]) == []  # deflection's threshold is out of reach: no hit at all
    assert [u.cued for u in m.candidates([(1, "staff", "快点去医院")])] == [("impatience", "deflection")]


def test_a_window_takes_no_decisive_label_it_holds_no_cue_word_of() -> None:
    """Recognised speech: a window cut around a refusal's cue word (白搭) that sits nearer the blame
    examples is no impatience; the vectors do not tell the two apart, the cue words do."""
    bank = tiny_bank()
    labels = {
        "impatience": Label("impatience", "staff", ("快快快",), ("几遍",), decisive=True),
        "forbidden": Label("forbidden", "staff", ("查查查",), ("白搭",), decisive=True),
        "none": bank.labels["none"],
    }
    cal = Calibration({"impatience": -1.0, "forbidden": 5.0})
    m = SemanticMatcher(replace(bank, labels=labels), keyword_encoder, cal, k=1)
    text = "这个呢你跟我说白搭快快快然后我再帮您看一下情况吧"
    windows = [u for u in m.candidates([(1, "staff", text)]) if u.window]
    assert windows and all(u.holds == ("forbidden",) and u.cued == () for u in windows)
    assert m.nearest([("staff", windows[0].text)])[0].label == "impatience"  # unrestricted
    assert [n.label for u, n in m.scored([(1, "staff", text)]) if u.window] == [NONE] * len(windows)
    assert m.match([(1, "staff", text)]) == []
