"""The bench's tune set never overlaps its report set, however the catalogue grows."""

from __future__ import annotations

from pathlib import Path

import yaml

from api.settings import PROJECT_ROOT, Settings
from bench.voice_quality import ANSWER_SAMPLE, TUNE_ANSWERS, bot_texts, tune_texts


def _answers(said: list[tuple[str, str]]) -> set[str]:
    return {text for kind, text in said if kind == "answer"}


def test_the_tune_answers_stay_off_the_report_answers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    report, tune = _answers(bot_texts(settings)), _answers(tune_texts(settings))
    assert len(report) == ANSWER_SAMPLE and len(tune) == TUNE_ANSWERS
    assert not report & tune


def test_a_grown_catalogue_shifts_the_spread_but_never_into_an_overlap(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    entries.mkdir()
    for path in sorted((PROJECT_ROOT / "knowledge" / "entries").glob("*.yaml")):
        (entries / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    source = yaml.safe_load((entries / "hotline.yaml").read_text(encoding="utf-8"))
    extra = [
        {**entry, "id": f"{entry['id']}-copy{n}", "answer": f"{entry['answer']}（第{n}条）"}
        for n, entry in enumerate(source[:7])
    ]
    (entries / "zz_extra.yaml").write_text(yaml.safe_dump(extra, allow_unicode=True), encoding="utf-8")
    settings = Settings(data_dir=tmp_path, kb_entries_dir=entries)
    assert not _answers(bot_texts(settings)) & _answers(tune_texts(settings))
