"""身份核验: personal data only after the caller (or the person asked about) was verified."""

from __future__ import annotations

from inspection.rules import identity
from tests.inspection.conftest import context, polite_call


def test_name_is_not_verification() -> None:
    call = polite_call(
        ("C", "查下我账户余额。"),
        ("A", "请问您叫什么名字？"),
        ("C", "刘桂芳。"),
        ("A", "您个人账户余额是一千八百六十二块。"),
    )
    found = identity.check(context(call))
    assert found and found[0].turns == (4,)


def test_verified_caller_may_hear_the_balance() -> None:
    call = polite_call(
        ("C", "查下我账户余额。"),
        ("A", "请您提供一下身份证号码。"),
        ("C", "140105196203151128"),
        ("A", "核验通过，您个人账户余额是2416元。"),
    )
    assert identity.check(context(call)) == []


def test_third_party_needs_new_verification() -> None:
    call = polite_call(
        ("C", "查下我账户余额。"),
        ("A", "请您报一下身份证号。"),
        ("C", "140105196203151128"),
        ("A", "您的余额是2416元。"),
        ("C", "顺便帮我查一下我老伴的。"),
        ("A", "您老伴个人账户余额是3005元。"),
    )
    found = identity.check(context(call))
    assert found and found[0].turns == (6,)


def test_ticket_numbers_are_not_personal_data() -> None:
    call = polite_call(
        ("C", "帮我催一下。"), ("A", "已经为您登记了催办工单，工单号是0047215，会告知您办理进度。")
    )
    assert identity.check(context(call)) == []
