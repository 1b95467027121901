from knowledge.scrub import scrub, scrub_line


def test_mobile_landline_and_id_numbers_are_removed() -> None:
    line = "联系电话：13693908008，座机0371-23381675，身份证110101199003074512"
    out = scrub_line(line)
    assert "13693908008" not in out
    assert "23381675" not in out
    assert "110101199003074512" not in out
    assert "[电话]" in out and "[身份证号]" in out


def test_short_local_number_needs_a_phone_label() -> None:
    assert scrub_line("联系电话:23381675") == "联系电话:[电话]"
    assert scrub_line("全年办件23381675件") == "全年办件23381675件"


def test_contact_person_name_is_removed() -> None:
    assert scrub_line("联系人：张三丰") == "联系人：[姓名]"
    assert scrub_line("人:王小明") == "人：[姓名]"


def test_bare_name_line_before_phone_line_is_removed() -> None:
    text = "请及时报告。\n李四\n联系电话：13800138000"
    out = scrub(text)
    assert "李四" not in out
    assert out.splitlines()[1] == "[姓名]"


def test_policy_text_without_personal_data_is_unchanged() -> None:
    text = "零星报销30个工作日内完成，生育保险待遇20个工作日内支付。"
    assert scrub(text) == text
