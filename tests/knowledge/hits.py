"""Hand-built entries and search hits for unit tests of the answering logic (no index, no model)."""

from __future__ import annotations

from knowledge.catalog import Entry
from knowledge.search import Doc, Hit


def cited_entry(entry_id: str, source: str, answer: str = "答") -> Entry:
    """A public national entry citing ``source``, with placeholder questions."""
    return Entry(
        id=entry_id,
        topic="测试",
        questions=("问一", "问二", "问三"),
        answer=answer,
        region=None,
        audience="public",
        source=source,
        effective="2023",
    )


def entry_doc(
    key: str,
    region: str | None,
    *,
    answer: str = "",
    topic: str = "",
    title: str | None = None,
    lexical_text: str = "",
    points: dict[str, str] | None = None,
    source: str = "s",
) -> Doc:
    """A public curated entry ``entry:<key>`` holding only what the logic under test reads."""
    return Doc(
        key=f"entry:{key}",
        kind="entry",
        title=key if title is None else title,
        region=region,
        audience="public",
        source=source,
        lexical_text=lexical_text,
        dense_texts=(),
        answer=answer,
        topic=topic,
        points=points or {},
    )


def entry_hit(key: str, dense: float, region: str | None, *, topic: str = "") -> Hit:
    """A hit on :func:`entry_doc` with the given meaning score (cosine) and no lexical support."""
    return Hit(entry_doc(key, region, topic=topic), score=0.0, dense=dense, lexical=0.0, lexical_norm=0.0)
