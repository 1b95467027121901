"""Hand-built entries and search hits for unit tests of the answering logic (no index, no model)."""

from __future__ import annotations

from knowledge.search import Doc, Hit


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
