"""The grievance score: NLU examples against policy questions, through the real embedding model."""

from __future__ import annotations

import numpy as np
import pytest

from api.services import knowledge
from api.settings import Settings
from bot.actions import grievance as module
from bot.actions.routing import GRIEVANCE_MISS


def test_training_set_labels_work_order_intents_and_strips_annotations() -> None:
    texts, labels = module.training_set(["异地就医怎么备案？"])
    assert len(texts) == len(labels) and 0 < labels.sum() < len(labels)
    assert not any("](" in t for t in texts)  # "[太原](region)" became "太原"
    assert labels[texts.index("异地就医怎么备案？")] == 0


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, module.GrievanceModel]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("grievance"))
    try:
        settings.require_model("embedding_model")
    except Exception as exc:  # the model is a wheel the setup installs
        pytest.skip(str(exc))
    return settings, module.load_model(settings)


def test_grievances_told_in_other_words_score_above_policy_questions(fitted) -> None:  # type: ignore[no-untyped-def]
    settings, model = fitted
    grievances = [
        "这也能驳回？还讲不讲理了",
        "挂着定点的牌子又不给刷，谁来管管",
        "交了钱半年了没人理，到底有没有人管",
    ]
    questions = ["异地就医备案要带什么材料", "新生儿怎么参保", "门诊慢特病在哪里申请"]
    vectors = knowledge.make_embedder(settings).encode(grievances + questions)
    scores = model.score(vectors)
    assert np.all(scores[:3] > 0.5) and np.all(scores[3:] < 0.5)


def test_grievances_in_dialect_and_stories_without_cue_words_open_on_an_abstention(fitted) -> None:  # type: ignore[no-untyped-def]
    # The classes of issue 13's routing tune half, in words of our own: a Cantonese refusal, services
    # billed but not given, others' cards used for visits that never happened, an answer that said nothing.
    settings, model = fitted
    grievances = [
        "街市间药房明明挂住定点个牌，就系唔肯碌我张医保卡",
        "收费单上列了针灸推拿拔罐，其实大夫就给扎了几针",
        "那家诊所把村里老人的卡都收去了，人没去过，卡上倒有看病记录",
        "你说了半天，跟没说一样，我问的是钱哪天到",
    ]
    scores = model.score(knowledge.make_embedder(settings).encode(grievances))
    assert np.all(scores >= GRIEVANCE_MISS), scores


def test_the_fit_is_cached_by_its_inputs(fitted) -> None:  # type: ignore[no-untyped-def]
    settings, model = fitted
    cached = list((settings.data_dir / "cache").glob("grievance-*.npz"))
    assert len(cached) == 1
    again = module.load_model(settings)
    assert np.allclose(again.coef, model.coef) and again.intercept == pytest.approx(model.intercept)
