from pathlib import Path

import pytest

from knowledge.ingest import IngestError, detect_date, ingest_file, iter_documents, strip_boilerplate

BODY = (
    "开封市医疗保障局关于零星报销的通知\n一、办理时限\n零星报销30个工作日内完成。"
    "联系人：张三\n联系电话：13800138000\n"
)


def test_txt_with_boilerplate_and_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(
        "今天是2020年01月15日星期三\n开封市人民政府| 无障碍浏览| 进入适老模式|\n" + BODY, encoding="utf-8"
    )
    passages = ingest_file(path)
    joined = " ".join(p.text + " ".join(p.section_path) for p in passages)
    assert "无障碍" not in joined and "星期三" not in joined
    assert "13800138000" not in joined and "张三" not in joined
    assert any("30个工作日" in p.text for p in passages)
    assert all(p.region == "河南/开封" for p in passages)
    assert all(p.audience == "public" for p in passages)


def test_restricted_document_becomes_agent_only(tmp_path: Path) -> None:
    path = tmp_path / "internal.md"
    path.write_text(
        "(不予公开)\n# 2023年河南省医疗保障稽核工作要点\n稽核每季度不少于1次。\n", encoding="utf-8"
    )
    passages = ingest_file(path)
    assert passages and all(p.audience == "agent" for p in passages)
    assert passages[0].region == "河南"


def test_docx(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("太原市异地就医备案办法", level=1)
    document.add_paragraph("太原参保人自助备案实行承诺制，即时生效。")
    path = tmp_path / "rule.docx"
    document.save(str(path))
    passages = ingest_file(path)
    assert passages[0].doc_title == "太原市异地就医备案办法"
    assert passages[0].region == "山西/太原"
    assert "承诺制" in passages[0].text


def test_html_drops_scripts_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><script>var x=1;</script></head><body><nav>首页 | 网站地图</nav>"
        "<h1>杭州市生育津贴办理指南</h1><p>生育津贴无感办，不用申请。</p><footer>版权所有</footer></body></html>",
        encoding="utf-8",
    )
    passages = ingest_file(path)
    text = " ".join(p.text for p in passages)
    assert "无感办" in text and "var x" not in text and "版权所有" not in text
    assert passages[0].region == "浙江/杭州"


def test_pdf(tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Reimbursement within 30 working days.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "doc.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    passages = ingest_file(path)
    assert "30 working days" in passages[0].text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.exe", b"MZ", "unsupported"),
        ("b.docx", b"not a zip file", "cannot parse"),
        ("c.pdf", b"%PDF-garbage", "cannot parse"),
        ("d.txt", b"\xff\xfe\x00\x00garbage\x80\x81", "no text|not UTF-8"),
        ("e.txt", b"   \n\n ", "no text"),
    ],
)
def test_unreadable_documents_get_clear_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest_file(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        iter_documents([tmp_path / "missing"])


def test_detect_date_prefers_full_dates_then_document_numbers() -> None:
    assert detect_date("印发于2021年12月30日") == "2021-12-30"
    assert detect_date("豫医保中心〔2023〕10号") == "2023"


def test_strip_boilerplate_keeps_content() -> None:
    assert strip_boilerplate("版权所有 某某\n正文内容") == "正文内容"
