"""Incremental updates and damaged indexes, on the real model with a small base."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services import knowledge as service
from api.settings import MissingModelError, Settings
from knowledge.catalog import Entry
from knowledge.embed import Embedder, ModelMissingError
from knowledge.search import KnowledgeBase, doc_from_entry, read_current

pytestmark = pytest.mark.integration


def _entry(i: int, question: str, answer: str, region: str | None = None) -> Entry:
    return Entry(
        id=f"t{i}",
        topic="测试",
        questions=(question, question + "呢", "请问" + question),
        answer=answer,
        region=region,
        audience="public",
        source="004_97e06d7970843a80.txt L1",
        effective="2023",
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return service.make_embedder(Settings())


def test_add_update_delete_touch_only_what_changed(tmp_path: Path, embedder: Embedder) -> None:
    a = _entry(1, "异地就医怎么备案", "在线备案，即时生效。")
    b = _entry(2, "生育津贴多久到账", "十个工作日内到账。")
    kb = KnowledgeBase(embedder)
    assert kb.sync([doc_from_entry(a), doc_from_entry(b)], progress=False)["added_or_changed"] == 2
    kb.save(tmp_path)

    loaded = KnowledgeBase.load(tmp_path, embedder)
    c = _entry(3, "医保电子凭证在哪激活", "医院窗口可以帮忙激活。")
    b2 = _entry(2, "生育津贴多久到账", "二十个工作日内到账。")
    stats = loaded.sync([doc_from_entry(x) for x in (a, b2, c)], progress=False)
    assert stats == {"added_or_changed": 2, "removed": 0, "total": 3}
    assert loaded.search("电子凭证激活", k=1)[0].doc.key == "entry:t3"
    assert loaded.search("生育津贴到账", k=1)[0].doc.answer == "二十个工作日内到账。"

    stats = loaded.sync([doc_from_entry(x) for x in (b2, c)], progress=False)
    assert stats["removed"] == 1
    assert all(h.doc.key != "entry:t1" for h in loaded.search("异地就医备案", k=5))
    loaded.save(tmp_path)
    again = KnowledgeBase.load(tmp_path, embedder)
    assert set(again.docs) == {"entry:t2", "entry:t3"}
    assert len(list(p for p in tmp_path.iterdir() if p.is_dir())) == 1  # old versions are cleaned up


def test_damaged_vector_file_is_rebuilt_from_stored_vectors(tmp_path: Path, embedder: Embedder) -> None:
    kb = KnowledgeBase(embedder)
    kb.sync([doc_from_entry(_entry(1, "异地就医怎么备案", "在线备案。"))], progress=False)
    kb.save(tmp_path)
    version = read_current(tmp_path)
    (tmp_path / version / "vectors.faiss").write_bytes(b"garbage")
    loaded = KnowledgeBase.load(tmp_path, embedder)
    assert loaded.search("备案", k=1)[0].doc.key == "entry:t1"


def test_damaged_manifest_makes_the_service_rebuild(tmp_path: Path) -> None:
    entries_dir = tmp_path / "entries"
    entries_dir.mkdir()
    (entries_dir / "a.yaml").write_text(
        "- id: x1\n  topic: 测试\n  region: null\n  audience: public\n  effective: 2023\n"
        "  source: 004_97e06d7970843a80.txt L1\n  questions: [异地就医怎么备案, 外地看病咋备案, 备案怎么办]\n"
        "  answer: 可以在线备案。\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", kb_entries_dir=entries_dir)
    service.build_index(settings, progress=False)
    version = read_current(settings.index_dir)
    (settings.index_dir / version / "manifest.json").write_text("{broken", encoding="utf-8")
    service.reset()
    result = service.answer("外地看病怎么备案", settings=settings)
    assert result.kind == "answer" and result.entry_id == "x1"
    service.reset()


def test_missing_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(MissingModelError, match="HOTLINE_EMBEDDING_MODEL"):
        service.make_embedder(Settings(embedding_model=str(tmp_path / "nope")))
    with pytest.raises(ModelMissingError, match="HOTLINE_EMBEDDING_MODEL"):
        Embedder(tmp_path).encode(["x"])
