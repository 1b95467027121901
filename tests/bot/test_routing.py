"""The evidence that starts a work-order form (bot/actions/routing.py): cues, intent margins, the KB."""

from __future__ import annotations

import pytest

from bot.actions import names
from bot.actions.routing import (
    asks_in_general,
    carries_matter,
    cues,
    grievance_opens,
    route_cues,
    route_policy_miss,
    route_status,
    route_ticket_intent,
    ticket_reason,
)
from bot.actions.turns import (
    ASKS_RE,
    accepts,
    asks_internal_document,
    asks_something,
    is_clear_yes,
    is_closing,
    wants_human,
)


def rank(**confidences: float) -> list[dict[str, object]]:
    return [{"name": k, "confidence": v} for k, v in sorted(confidences.items(), key=lambda kv: -kv[1])]


def never_asked() -> str | None:
    raise AssertionError("the knowledge base was asked although the evidence was already clear")


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("这也能驳回？还讲不讲理了", "complaint_cue"),
        ("办个事还要收钱，这合适吗", "complaint_cue"),
        ("挂着定点的牌子又不给刷，谁来管管", "complaint_cue"),
        ("窗口的人态度太差了", "complaint_cue"),
        ("有人拿死人的卡去开药，倒卖药品", "report_cue"),
        ("我的医保卡被人盗刷了", "theft_cue"),
        ("账户里的钱莫名其妙少了两千", "theft_cue"),
        ("上个月反映的事到现在也没人回复", "chase_cue"),
        ("申请交上去一个多月了，一点消息都没有", "chase_cue"),
        ("医保服务站我去了三回都锁着门，这叫啥便民服务？", "complaint_cue"),
        ("工单号早就给了，一个星期了还是没下文", "chase_cue"),
        ("工单GD202611230001办到哪了", "status_cue"),
        ("那个电子地图我手机上打不开，你说的这个不管用", "unhelpful_cue"),
        ("我的医保卡昨天在诊所结算了两百块，可我根本没去过", "theft_cue"),
        ("我一直在住院，卡在外面药店被刷了好几次", "theft_cue"),
        ("申请交了都快两个月了还没到账", "chase_cue"),
        ("说好七个工作日，这要拖到啥时候", "chase_cue"),
        ("一直没个结果", "chase_cue"),
    ],
)
def test_cues_find_their_class(text: str, cue: str) -> None:
    assert cue in cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "异地就医备案的有效期是多久？",
        "查医保用的那个APP叫什么名字",
        "生育津贴多久能到账",
        "我这种情况参保选哪个档次合适",
        "举报骗保打什么电话",
        "门诊费用能报多少",
        "这个药能不能报销？",
        "不对外公开的文件在哪能看到",
        "备案过了三天了还没生效怎么办",
        "交了两个月了还没到账正常吗",
    ],
)
def test_plain_questions_carry_no_work_order_cue(text: str) -> None:
    assert not cues(text) & {"complaint_cue", "theft_cue", "chase_cue", "status_cue"}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        # Cantonese wording, made standard before the cues look (俾人 = 被人, 碌咗 = 刷了, 唔 = 不).
        ("我张卡上个月俾人碌咗两次，我成个月都喺屋企", "theft_cue"),
        ("街口间药房话我嘅医保卡唔收，净系要现金", "complaint_cue"),
        ("到了窗口医保码不认，非要实体卡", "complaint_cue"),
        # An answer that says nothing is the caller's complaint about the service.
        ("你讲了半天等于什么都没说", "unhelpful_cue"),
        ("说了跟没说一样，还是不知道找谁", "unhelpful_cue"),
        # Services billed but never given; others' cards used for visits that never happened.
        ("检查单上列了十几项，好多压根没做", "report_cue"),
        ("没做的理疗也都算了钱，走的还是医保", "report_cue"),
        ("村医收了全村人的医保卡，说是帮着登记", "report_cue"),
        # Where a request got stuck.
        ("报销材料交了五十多天，到底卡在哪一步了", "chase_cue"),
        # Sent home before the patient can stand.
        ("我爸还没好利索就给办了出院", "complaint_cue"),
        # Indignation, apart from the cues a question may use as vocabulary.
        ("别的区都能办，凭啥我们区就不行", "indignation_cue"),
        # Speech-recognition spellings of cue words, repaired by sound.
        ("我的卡被到刷了三百", "theft_cue"),
        # A recogniser's run-on words, with no punctuation to split the asking clause off.
        ("我卡一直在身上可账户里的钱少了两千查记录是别的城市刷的是不是被到刷了你们帮我查查", "theft_cue"),
        # 叫/让 for 被, money that went though no one bought, what the bot said being of no use.
        ("医保卡前天在菜市场叫人偷了 刚才手机来短信说刷走八百多", "theft_cue"),
        ("账户里的钱一下没了好几百，我们压根没去买药", "theft_cue"),
        ("卡丢了，挂失晚了几天，结果发现被人拿去刷了一千多块", "theft_cue"),
        ("申请交上去一个月，一点信儿都没有", "chase_cue"),
        ("你刚才说的那些她一句也用不上", "unhelpful_cue"),
        ("镇上那家诊所专门骗宝", "report_cue"),
        ("药店需开发票套医保的钱", "report_cue"),
        # Session 17 (a fourth routing writer's tune half): rights asked back, blame borne, conduct
        # asked A-not-A, a benefit withheld whole, calls never answered, a call-back never made.
        ("排了三个钟头说系统坏了，还让不让人看病了", "indignation_cue"),
        ("是医院报错了材料，凭啥让我们来承担", "indignation_cue"),
        ("药房不给刷统筹只让刷个账，他们这样做合不合理", "complaint_cue"),
        ("住院花了一万多，结果一分钱都没报", "complaint_cue"),
        ("经办窗口的电话拨了十几遍都打不通", "complaint_cue"),
        ("上门的人说办个卡要收五十块，这钱该交吗", "complaint_cue"),
        ("窗口答应三天内回电话，等了一礼拜也没接到", "chase_cue"),
        ("备案材料交了半个月，一直没个准信", "chase_cue"),
        ("你发的那个链接跟没说有什么两样", "unhelpful_cue"),
        ("我爸的个人账户让人花了六百多", "theft_cue"),
        ("是谁把我卡里的钱刷走了", "theft_cue"),
        ("药店开的单子上好多没有做过的理疗也报了医保", "report_cue"),
    ],
)
def test_cue_classes_in_dialect_stories_and_misheard_words(text: str, cue: str) -> None:
    assert cue in cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "社保卡在哪补办",
        "办这个需开具什么证明",
        "凭什么材料可以办异地备案",
        "病还没好能先出院吗",
        "定点药店收不收医保卡",
        "医保码在哪里打开",
        "住院的伙食费医保给不给报？",  # a verb, 不, the verb again: asked, not refused
        "药店让不让刷医保买口罩？",
        "这个药需开处方吗",  # a clause that asks keeps its words: 需开 is "needs", not 虚开
        "我住院需开什么证明",
        "我让人帮我拿了药",
        "卡丢了会不会被人拿去用，要怎么挂失",
        "没信用卡能办医保电子凭证吗",
        "谁能用我的医保卡给家里人拿药",
    ],
)
def test_plain_questions_near_the_new_cue_classes_carry_none(text: str) -> None:
    assert not cues(text) & {"complaint_cue", "indignation_cue", "report_cue", "theft_cue", "chase_cue"}


def test_cues_refuse_non_text() -> None:
    with pytest.raises(TypeError, match="text"):
        cues(None)  # type: ignore[arg-type]


class TestTicketIntent:
    def test_a_cue_opens_the_form_without_asking_the_kb(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=0.4, ask_policy=0.5), "凭什么不给我报？", kb_kind=never_asked
        )
        assert (route.action, route.reason) == ("ticket", "complaint")

    def test_how_to_report_is_answered_when_the_kb_knows(self) -> None:
        route = route_ticket_intent(
            names.REPORT_FRAUD, rank(report_fraud=0.9), "举报骗保打什么电话", kb_kind=lambda: "answer"
        )
        assert route.action == "answer"
        route = route_ticket_intent(
            names.REPORT_FRAUD, rank(report_fraud=0.9), "我要举报有人骗保", kb_kind=never_asked
        )
        assert (route.action, route.reason) == ("ticket", "report")
        route = route_ticket_intent(
            names.REPORT_FRAUD, rank(report_fraud=0.9), "医院乱收费，我要举报", kb_kind=never_asked
        )
        assert route.action == "ticket"  # 收费 is named, nothing is asked

    def test_a_button_opens_the_form(self) -> None:
        assert route_ticket_intent(
            names.REPORT_FRAUD, rank(report_fraud=1.0), "", kb_kind=never_asked
        ).action == ("ticket")

    def test_a_weak_complaint_on_a_known_policy_question_is_answered(self) -> None:
        route = route_ticket_intent(
            names.REPORT_FRAUD,
            rank(report_fraud=0.55, ask_policy=0.4),
            "备案管多久",
            kb_kind=lambda: "answer",
        )
        assert route.action == "answer"

    def test_without_a_cue_even_a_saturated_intent_yields_to_a_kb_answer(self) -> None:
        # DIET gives ~1.0 to nearly every turn, so the intent alone is weak evidence.
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), "娃没上户口能先办医保不", kb_kind=lambda: "clarify_region"
        )
        assert route.action == "answer"

    def test_a_clear_intent_without_a_kb_answer_opens_the_form(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN,
            rank(complain=0.7, ask_policy=0.2),
            "医院让我们自己买药",
            kb_kind=lambda: "abstain",
        )
        assert route.action == "ticket"

    def test_a_real_tie_asks_the_caller(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN,
            rank(complain=0.45, ask_policy=0.4),
            "医院让我们自己买药",
            kb_kind=lambda: "abstain",
        )
        assert route.action == "confirm"

    def test_callbacks_need_no_kb(self) -> None:
        route = route_ticket_intent(
            names.REQUEST_CALLBACK, rank(request_callback=0.8), "你们回个电话吧", kb_kind=never_asked
        )
        assert route.action == "ticket"

    def test_a_question_without_a_cue_the_kb_cannot_answer_is_a_miss_not_a_form(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN,
            rank(complain=1.0),
            "住院要用的药医院里没有，能不能让医院临时采购？",
            kb_kind=lambda: "abstain",
        )
        assert route.action == "answer"  # answered as a question: the miss offers a human or an order

    @pytest.mark.parametrize(
        "text",
        [
            "网上复诊开咗药 药可唔可以寄到屋企",  # Cantonese A-唔-A
            "呢个係咪要先备案",
            "报销要带咩材料",
            "医疗救助还要把发票一张张交上去伐",  # Shanghainese 伐 at the end
        ],
    )
    def test_a_dialect_question_without_a_cue_is_a_miss_not_a_form(self, text: str) -> None:
        route = route_ticket_intent(
            names.REPORT_FRAUD, rank(report_fraud=1.0), text, kb_kind=lambda: "abstain"
        )
        assert route.action == "answer"

    @pytest.mark.parametrize("text", ["有冇搞错，医院唔俾我刷卡", "点解唔俾我刷卡"])
    def test_a_dialect_protest_is_no_question(self, text: str) -> None:
        assert not ASKS_RE.search(text)

    def test_a_callback_question_is_not_a_callback_request(self) -> None:
        asks = route_ticket_intent(
            names.REQUEST_CALLBACK,
            rank(request_callback=1.0),
            "生育津贴发下来会通知我吗",
            kb_kind=lambda: "answer",
        )
        assert asks.action == "answer"
        wants = route_ticket_intent(
            names.REQUEST_CALLBACK, rank(request_callback=1.0), "查清楚了给我回个电话吧", kb_kind=never_asked
        )
        assert (wants.action, wants.reason) == ("ticket", "callback")

    def test_not_helpful_on_a_follow_up_the_kb_answers_is_answered(self) -> None:
        route = route_ticket_intent(
            names.NOT_HELPFUL, rank(not_helpful=1.0), "俺是退休的，有啥不一样不？", kb_kind=lambda: "answer"
        )
        assert route.action == "answer"
        route = route_ticket_intent(
            names.NOT_HELPFUL, rank(not_helpful=1.0), "你说的这个没用", kb_kind=lambda: "abstain"
        )
        assert (route.action, route.reason) == ("ticket", "unresolved")

    def test_indignation_is_no_question_about_a_facet(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN,
            rank(complain=1.0),
            "我去给孩子办参保，窗口说要户口本才能办，别的区都能办，凭啥我们区就不行？",
            kb_kind=lambda: "clarify_region",
        )
        assert (route.action, route.reason) == ("ticket", "complaint")

    def test_who_the_caller_speaks_for_is_no_question_in_general(self) -> None:
        said = "我替我爸问问，医院账单上列了一长串，好些压根没做，这正常吗？"
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), said, kb_kind=lambda: "abstain", grievance=lambda: 0.4
        )
        assert (route.action, route.reason) == ("ticket", "report")
        general = "我替我爸问问，要是医院多收了钱，一般找谁？"
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), general, kb_kind=lambda: "abstain", grievance=lambda: 0.6
        )
        assert route.action == "answer"


class TestPolicyMiss:
    def test_a_complaint_phrased_as_a_question_opens_the_form(self) -> None:
        route = route_policy_miss(names.ASK_POLICY, rank(ask_policy=0.8), "挂着定点的牌子又不给刷，谁来管管")
        assert (route.action, route.reason) == ("ticket", "complaint")

    def test_work_order_intent_beside_the_policy_intent_opens_the_form(self) -> None:
        route = route_policy_miss(names.ASK_POLICY, rank(ask_policy=0.6, complain=0.35), "医院非让我出院")
        assert (route.action, route.reason) == ("ticket", "complaint")

    def test_a_rule_asked_in_general_is_no_work_order_on_a_weak_intent(self) -> None:
        said = "一般种牙医保给报不"
        assert (
            route_policy_miss(names.ASK_POLICY, rank(ask_policy=0.6, complain=0.35), said).action == "answer"
        )

    def test_little_work_order_intent_asks(self) -> None:
        assert route_policy_miss(
            names.ASK_POLICY, rank(ask_policy=0.8, complain=0.15), "医院让出院"
        ).action == ("confirm")

    def test_a_plain_miss_stays_a_miss(self) -> None:
        assert route_policy_miss(names.ASK_POLICY, rank(ask_policy=0.95), "火车票怎么退").action == "answer"

    def test_a_stolen_card_is_its_own_reason(self) -> None:
        assert (
            route_policy_miss(names.ASK_POLICY, rank(ask_policy=0.9), "卡被盗刷了咋办").reason
            == "stolen_card"
        )

    def test_a_question_about_a_service_is_no_call_back_request(self) -> None:
        asked = "我腿脚不好，能不能有人上门帮着把慢病申报办了？"
        ranking = rank(ask_policy=0.6, request_callback=0.35)
        assert route_policy_miss(names.ASK_POLICY, ranking, asked).action != "ticket"
        told = "我腿脚不好出不了门，麻烦给我回个电话"
        assert route_policy_miss(names.ASK_POLICY, ranking, told).action == "ticket"


class TestStatus:
    def test_how_long_complaints_take_asked_in_general_is_no_status_form(self) -> None:
        # "我想知道" frames a question; it tells no case of the caller's own.
        assert route_status("我想知道反映问题一般几天能有答复", kb_kind=lambda: "abstain").action == "answer"
        assert route_status("我上周反映的问题咋还没答复", kb_kind=lambda: "abstain").action != "answer"

    def test_a_work_order_number_goes_to_the_status_form(self) -> None:
        assert route_status("GD202611230001 怎么样了", kb_kind=never_asked).action == "status"

    def test_a_chase_up_without_a_number_opens_a_chase_order(self) -> None:
        route = route_status("上周反映的事到现在还没人回复", kb_kind=never_asked)
        assert (route.action, route.reason) == ("ticket", "chase")

    def test_a_question_the_kb_knows_is_answered(self) -> None:
        assert route_status("查医保的那个APP叫啥", kb_kind=lambda: "answer").action == "answer"

    def test_asking_what_a_thing_is_is_answered(self) -> None:
        said = "你们老提的回访工单是个啥？我上回打电话的事也有吗"
        assert route_status(said, kb_kind=lambda: "abstain").action == "answer"

    def test_otherwise_the_status_form(self) -> None:
        assert route_status("我那个事怎么样了", kb_kind=lambda: "abstain").action == "status"


def test_reasons_follow_cues_before_intents() -> None:
    assert ticket_reason(names.COMPLAIN, {"theft_cue"}) == "stolen_card"
    assert ticket_reason(names.COMPLAIN, {"report_cue"}) == "report"
    assert ticket_reason(None, {"chase_cue"}) == "chase"
    assert ticket_reason(names.ASK_POLICY, {"unhelpful_cue"}) == "unresolved"
    assert ticket_reason(names.REQUEST_CALLBACK, set()) == "callback"


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("你好", False),
        ("喂，你好，在吗？", False),
        ("好的，谢谢", False),
        ("医保局电话下了班还有人接不？", True),
        ("娃还没得身份证，用啥子登记？", True),
        ("办完了我想给窗口评个分，有地方评不？", True),
    ],
)
def test_social_turns_that_really_ask(text: str, asks: bool) -> None:
    assert asks_something(text) is asks

    def test_a_question_about_no_case_of_theirs_is_answered(self) -> None:
        route = route_status("医保热线是几号来着？老记不住", kb_kind=lambda: "abstain")
        assert route.action == "answer"


class TestOffers:
    @pytest.mark.parametrize(
        "text", ["好的", "行，登记吧", "需要", "嗯嗯", "对，麻烦你了", "那就转人工吧", ""]
    )
    def test_a_plain_yes_accepts(self, text: str) -> None:
        assert accepts(text)

    def test_a_yes_with_a_reason_that_asks_nothing_accepts(self) -> None:
        assert accepts("需要，我爸腿脚不好出不了门")
        assert not is_clear_yes("需要，我爸腿脚不好出不了门")

    @pytest.mark.parametrize(
        "text",
        [
            "我是退休职工",
            "好的，谢谢，再见",
            "那算了，谢谢",
            "太原的",
            "好的，出院的时候能直接结算不？",
            "是不是得自己去外面买？",
        ],
    )
    def test_no_yes_does_not_accept(self, text: str) -> None:
        assert not accepts(text)

    def test_thanks_close(self) -> None:
        assert is_closing("好的，谢谢，再见") and not is_closing("好的")

    @pytest.mark.parametrize("text", ["好，明白了", "行，那我知道了", "噢，清楚啦"])
    def test_understanding_closes_and_accepts_nothing(self, text: str) -> None:
        assert is_closing(text) and not accepts(text)

    @pytest.mark.parametrize("text", ["我不知道了", "明白了，那异地怎么办？", "知道了吗"])
    def test_not_understanding_or_asking_on_does_not_close(self, text: str) -> None:
        assert not is_closing(text)


class TestMatter:
    @pytest.mark.parametrize(
        "text",
        [
            "你好，我的医保卡被人盗刷了",  # a cue
            "喂，你好，我妈上个月在县医院住了院，出院结账的时候多收了一千多",  # a story
        ],
    )
    def test_a_social_opening_with_a_matter(self, text: str) -> None:
        assert carries_matter(text)

    @pytest.mark.parametrize(
        "text", ["喂，你好", "好的，谢谢你，再见", "你是机器人吗", "谢谢你啊，讲得很清楚，我这就去医院办", ""]
    )
    def test_social_words_carry_none(self, text: str) -> None:
        assert not carries_matter(text)


class TestHuman:
    @pytest.mark.parametrize(
        "text", ["转人工", "我要找人工客服", "能让我跟工作人员说几句吗", "人工", "有人吗", ""]
    )
    def test_a_wish_for_a_person(self, text: str) -> None:
        assert wants_human(text)

    @pytest.mark.parametrize("text", ["想找个离家近的医保办事点，咋找？", "社保卡密码忘了，在医院能不能改？"])
    def test_a_question_is_no_wish_for_a_person(self, text: str) -> None:
        assert not wants_human(text)


class TestGrievance:
    def test_a_grievance_about_someones_case_opens_on_a_moderate_score(self) -> None:
        said = "我爸住院的伙食费医院说医保不给报，让自己掏"
        assert grievance_opens(said, "abstain", 0.6)
        assert not grievance_opens(said, "answer", 0.99)  # a confident answer is never overruled

    def test_a_question_about_no_ones_case_needs_a_strong_score(self) -> None:
        assert not grievance_opens("住院的伙食费医保给不给报？", "abstain", 0.6)
        assert grievance_opens("挂着定点的牌子又不给刷，谁来管管", "abstain", 0.85)

    def test_a_general_question_needs_a_stronger_one(self) -> None:
        said = "要是医院多收了钱，一般找医院还是找医保局？"
        assert not grievance_opens(said, "abstain", 0.75)

    @pytest.mark.parametrize(
        "said",
        [
            "都说举报骗保有奖励，到底奖多少，有没有个标准？",  # the rule itself asked
            "医保部门办业务能收手续费吗？合不合法？我想先问清楚再去办。",
            "医保卡好像落在公交车上了，这卡要怎么挂失啊？要本人去吗？",  # a procedure asked how to do
            "针灸做了好几回了，这钱医保管不管",  # whether it is covered
            "就医地审核的话，我们参保地还管不管",  # which place the rule gives the task
        ],
    )
    def test_asking_the_rule_or_how_to_do_a_procedure_needs_a_strong_score(self, said: str) -> None:
        assert asks_in_general(said)
        assert not grievance_opens(said, "abstain", 0.75)

    def test_the_place_the_rule_names_asked_is_a_question_the_same_place_blamed_a_grievance(self) -> None:
        asked = route_cues(names.ASK_POLICY, "那谁来审核 我们参保地还管不管", kb_kind=lambda: "answer")
        assert asked is not None and asked.action == "answer"
        blamed = "在外地住院自己垫了钱，参保地也不管，就医地也不管，我找谁去"
        assert not asks_in_general(blamed)

    def test_a_few_words_are_never_enough(self) -> None:
        assert not grievance_opens("就那个事", "abstain", 0.99)

    def test_a_verb_not_verb_question_asks(self) -> None:
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), "不留名字举报行不行", kb_kind=lambda: "abstain"
        )
        assert route.action == "answer"  # no question mark, but 行不行 asks

    def test_a_question_about_the_process_without_a_case_never_opens(self) -> None:
        assert not grievance_opens("实名举报有没有这个必要", "abstain", 0.95)
        assert not grievance_opens("不留名字也能投诉的吧", "abstain", 0.95)
        assert grievance_opens("我上回投诉的那个药店还在乱收钱", "abstain", 0.6)

    def test_asking_a_service_of_us_is_no_case_of_ones_own(self) -> None:
        said = "帮我约一个下礼拜三眼科的复诊号"
        assert not grievance_opens(said, "abstain", 0.6)
        route = route_ticket_intent(names.COMPLAIN, rank(complain=1.0), said, kb_kind=lambda: "abstain")
        assert route.action == "answer"  # the miss offers a person; no complaint form
        assert grievance_opens("帮我妈问问，她住院被多收了八百块", "abstain", 0.6)

    def test_a_request_for_another_service_needs_a_strong_score(self) -> None:
        said = "帮我在医院约个下周的复查"
        assert grievance_opens(said, "abstain", 0.6)
        assert not grievance_opens(said, "abstain", 0.6, intent=names.OUT_OF_SCOPE)
        assert grievance_opens(said, "abstain", 0.75, intent=names.OUT_OF_SCOPE)

    @pytest.mark.parametrize(
        ("said", "score"),
        [
            ("药店能不能拒绝刷医保卡说只收现金，这样算不算违规？规定怎么说", 0.83),
            ("医保窗口的工作人员能不能要求群众去指定的打印店复印材料？这种做法合规吗？", 0.34),
            ("俺听说有的卫生院刷医保卡还要多收几块钱，这是上头允许的不是？", 0.77),  # heard of, not lived
        ],
    )
    def test_whether_a_practice_is_allowed_is_asked_in_general(self, said: str, score: float) -> None:
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), said, kb_kind=lambda: "abstain", grievance=lambda: score
        )
        assert route.action == "answer", route

    @pytest.mark.parametrize(
        "said",
        [
            "我办生育津贴，窗口那个人跟我说加急要另外给二百块，这合规吗？",
            "前天在小区门口那家药房买药，店员说刷卡要另收十五块手续费，他们这么干合法吗？",  # told, no 我
        ],
    )
    def test_whether_what_happened_is_allowed_is_a_complaint(self, said: str) -> None:
        route = route_ticket_intent(
            names.COMPLAIN, rank(complain=1.0), said, kb_kind=lambda: "abstain", grievance=lambda: 0.35
        )
        assert route.action == "ticket", route

    @pytest.mark.parametrize(
        "said",
        [
            "额滴医保账户里头钱莫咧，额一回都没刷过，你们给额查一哈",
            "有个药店拿医保卡刷化妆品，能不能来人查一下",
        ],
    )
    def test_a_request_to_look_into_an_event_opens_on_a_weaker_grievance(self, said: str) -> None:
        assert grievance_opens(said, "abstain", 0.45)
        told = said.split("，你们")[0].split("，能不能")[0]  # the same event without the request
        assert not grievance_opens(told, "abstain", 0.45)
        assert not grievance_opens(said, "abstain", 0.45, intent=names.OUT_OF_SCOPE)


class TestSession14Classes:
    """Classes seen on a fourth writer's tune half (heldout4): closings, feared thefts, facets asked
    with no case, follow-up questions."""

    @pytest.mark.parametrize(
        "text", ["行，回头有事我再打过来", "嗯，这下心里有数啦", "那中，我回家跟老伴商量商量", "明白喽"]
    )
    def test_the_caller_who_will_take_it_from_here_closes(self, text: str) -> None:
        assert is_closing(text) and not asks_something(text) and not accepts(text)

    @pytest.mark.parametrize("text", ["心里没数啊", "我回去跟我妈说了，她不信，是真的吗？"])
    def test_no_closing_without_knowing_or_while_asking(self, text: str) -> None:
        assert not (is_closing(text) and not asks_something(text))

    def test_a_theft_only_feared_is_a_question(self) -> None:
        feared = route_cues(None, "统筹基金放在哪，会不会被人挪用掉", kb_kind=never_asked)
        assert feared is None
        told = route_cues(None, "医保卡被人盗刷了八百，能不能追回来", kb_kind=never_asked)
        assert told is not None and told.reason == "stolen_card"
        mine = route_cues(None, "我的卡会不会被人盗刷了，昨天收到扣费短信", kb_kind=never_asked)
        assert mine is not None and mine.reason == "stolen_card"

    def test_how_the_complaint_process_works_asked_with_no_case_is_answered(self) -> None:
        asked = route_cues(None, "群众举报的骗保线索，一般多久能查完？", kb_kind=never_asked)
        assert asked is not None and asked.action == "answer"
        told = route_cues(None, "我举报的骗保线索，多久能查完？", kb_kind=lambda: "abstain")
        assert told is not None and told.action == "ticket"
        # A wrong told without a pronoun and without the process named stays a complaint.
        wrong = "窗口那人说给他三百块就能加急办，不给就一直等着，这合适吗"
        assert route_cues(None, wrong, kb_kind=lambda: "abstain", grievance=lambda: 0.9).action == "ticket"

    def test_a_follow_up_question_is_no_grievance_by_score(self) -> None:
        assert not grievance_opens("那我自己掏的那部分咋交？", "abstain", 0.95)
        assert grievance_opens("那家医院不给报，我跑了三趟了", "abstain", 0.95)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("把你们不对外公开的那份文件原文给我念一遍", True),
        ("稽核的内部要点能不能发我一份", True),
        ("医保局内部开会的纪要给我看看", True),
        ("不予公开的那个名单拍给我", True),
        ("你们内部规定是不是不让报", False),  # a rule asked about, no document asked for
        ("单位内部通知说医保要涨钱了，真的假的", False),
        ("你们把我的信息泄露给内部人员了，我要投诉", False),
    ],
)
def test_a_request_for_a_document_not_open_to_the_public(text: str, asks: bool) -> None:
    assert asks_internal_document(text) is asks


def test_a_request_for_an_internal_document_is_no_complaint_form() -> None:
    said = "把你们那个保密的内部文件给我读一下"
    ranking = rank(complain=0.9, ask_policy=0.1)
    route = route_ticket_intent(
        names.COMPLAIN, ranking, said, kb_kind=lambda: "abstain", grievance=lambda: 0.7
    )
    assert (route.action, route.why) == ("answer", "internal_document")
    assert route_status(said, kb_kind=lambda: "abstain").action == "answer"
