import numpy as np
import pytest

from knowledge.confidence import ConfidenceModel, fit
from knowledge.followup import (
    asked_clause,
    has_own_terms,
    is_followup,
    region_only,
    self_only,
    story_question,
)
from knowledge.ranking import asked_types, asks_region, covers
from knowledge.regions import region_table
from knowledge.search import Doc
from tests.knowledge.hits import entry_doc


def _doc(answer: str, points: dict[str, str] | None = None) -> Doc:
    return entry_doc("x", None, answer=answer, title="t", points=points)


@pytest.mark.parametrize(
    "text",
    [
        "我是太原的",
        "太原的",
        "我在杭州参保",
        "俺是山西太原的啊",
        "厦门",
        "俺家在衢州，嗯",
        "？我在合川。",
        "天水的，。。。",
    ],
)
def test_region_only_turns(text: str) -> None:
    assert region_only(text, region_table())


@pytest.mark.parametrize(
    "text", ["我是太原的，去外地看病要备案吗", "去外地看病要备案吗", "杭州生育津贴多久到账", "太原12393"]
)
def test_questions_with_content_are_not_region_only(text: str) -> None:
    assert not region_only(text, region_table())


@pytest.mark.parametrize("text", ["那要带什么材料？", "那钱打到哪里", "要是没来得及呢", "多久能好？"])
def test_follow_ups(text: str) -> None:
    assert is_followup(text)


def test_standalone_question_is_not_a_follow_up() -> None:
    assert not is_followup("异地就医备案需要带什么材料？")


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("要多长时间", False),
        ("能在网上办吗", False),
        ("那要带什么材料？", False),
        ("那医保的热线号码是多少", True),
    ],
)
def test_a_follow_up_has_terms_of_its_own_or_only_facet_words(text: str, own: bool) -> None:
    assert has_own_terms(text) is own


def test_asked_types_and_coverage() -> None:
    amount = asked_types("生育津贴能领好多钱？")
    assert [t.name for t in amount] == ["amount"]
    assert not covers(_doc("生育津贴由单位代领，按月发放。"), amount)
    assert covers(_doc("起付线600元，支付70%。"), amount)
    ratio = asked_types("住院能报百分之多少")
    assert [t.name for t in ratio] == ["ratio"]
    assert covers(_doc("在职职工报销72%。"), ratio)
    duration = asked_types("备案多久生效")
    assert covers(_doc("申请后即时生效。"), duration)
    assert not covers(_doc("可以在网上申请。"), duration)
    years = asked_types("退休了医保还要不要接着交，得交满多少年")  # a term in years
    assert [t.name for t in years] == ["duration"]
    assert covers(_doc("职工医保累计缴费满25年的，退休后不再缴费。"), years)
    assert not covers(_doc("2023年起退休后自动办结，无需另交材料。"), years)  # a date is no term
    assert asked_types("高血压的药吃了好几年，能在网上复诊吗") == []
    # What was spent is told, not asked; how years are counted is no amount.
    assert asked_types("屋头老汉住院花了好多钱，救助要传啥子材料") == []
    assert [t.name for t in asked_types("花了好多钱，救助能领好多钱")] == ["amount"]
    assert asked_types("换了地方上班，交的年头咋算") == []


def test_balance_question_is_a_record_lookup_not_an_amount() -> None:
    assert asked_types("我个人账户还剩好多钱") == []


def test_fit_separates_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    pos = rng.normal([0.92, 0.6, 1.0], 0.03, size=(100, 3))
    neg = rng.normal([0.82, 0.1, 0.0], 0.03, size=(300, 3))
    x = np.vstack([pos, neg])
    y = np.array([1] * 100 + [0] * 300, dtype=float)
    model = fit(x, y)
    assert model.score(np.array([0.93, 0.6, 1.0])) > 0.9
    assert model.score(np.array([0.80, 0.1, 0.0])) < 0.1
    model.save(tmp_path / "c.json")
    again = ConfidenceModel.load(tmp_path / "c.json")
    assert again is not None
    assert again.score(x[0]) == pytest.approx(model.score(x[0]))


def test_fit_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both"):
        fit(np.zeros((4, 3)), np.zeros(4))


def test_model_fitted_on_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="refit"):
        ConfidenceModel.from_json({"features": ["a"], "weights": [1], "bias": 0, "mean": [0], "scale": [1]})


def test_an_overview_that_ends_by_asking_the_region_is_told_apart() -> None:
    assert asks_region(_doc("各地不一样。比如开封30个工作日。请告诉我您在哪里参保，我按当地的规定告诉您。"))
    assert asks_region(_doc("能办哪些事各地不一样。告诉我您的参保地，我说说当地能在哪办。"))
    # Asking the region earlier in the text, or only naming 参保地, is not the overview's question.
    assert not asks_region(_doc("请告诉我您在哪里参保。开封规定30个工作日内办完。"))
    assert not asks_region(_doc("按参保地的规定报销，一般30个工作日。"))


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("俺是上个月刚退休的职工 那要带啥材料去不", "那要带啥材料去不"),
        ("我是太原的，那要带什么材料？", "那要带什么材料？"),
        ("我是退休职工", "我是退休职工"),  # nothing asked besides: the qualifier itself is the turn
        ("那要带啥材料", "那要带啥材料"),
    ],
)
def test_who_the_caller_is_said_before_a_follow_up_is_not_part_of_what_it_asks(text: str, asked: str) -> None:
    assert asked_clause(text) == asked


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("我是退休职工", True),
        ("俺是居民医保", True),
        ("我是在职的，单位给交的职工医保", True),  # what the clause after says is who they are too
        ("我是退休职工，能多报点不", False),  # asks
        ("我是退休职工 那要带啥材料", False),  # asks a facet
        ("我是太原的", False),  # a region, not a group a rule singles out
        ("医保卡丢了咋补", False),
    ],
)
def test_a_turn_that_only_says_who_the_caller_is(text: str, only: bool) -> None:
    """After a question, such a turn belongs to that question; alone it asks nothing of its own
    (session 17: "我是退休职工" after an unanswerable question was asked for the 参保地)."""
    assert self_only(text) is only


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        (
            "我是替我老父亲打的电话，他去年在外地住院没法直接结算，自己垫了两万多，回来把票据都交到窗口了，"
            "我想问问国家规定手工报销最晚多少个工作日得办完？",
            "我想问问国家规定手工报销最晚多少个工作日得办完？",
        ),
        (
            "我妈住天津河西，前年摔了一跤以后就出不了门，好些医保的事儿都得办，我又在外地上班回不去，能不能让她视频连线办事啊",
            "能不能让她视频连线办事啊",
        ),
        # The last part that asks is short: the clause before it says what about.
        (
            "我家老爷子在开封看的病，票据都交上去快一个月了，一直没有信儿，报销款，啥时候到？",
            "报销款，啥时候到？",
        ),
        (
            "门诊慢特病的报销款年初说下个月到，现在都半年了还没见着钱，打了好几回电话都说在走流程",
            "",
        ),  # asks nothing
        ("零星报销交上去多久能办完？", ""),  # short: the turn is its own question
    ],
)
def test_the_question_a_long_story_ends_with(text: str, asked: str) -> None:
    assert story_question(text) == asked
