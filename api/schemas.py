"""Pydantic schemas of the service layer and the API (apart from storage models)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

AnswerKind = Literal["answer", "clarify_region", "abstain"]


class SourcePublic(BaseModel):
    """Where an answer comes from, shown to the caller beside it."""

    id: str
    title: str
    region: str | None = None
    score: float = 0.0
    source: str = ""


class AnswerPublic(BaseModel):
    """The result of ``api.services.knowledge.answer``."""

    kind: AnswerKind
    text: str
    sources: list[SourcePublic] = Field(default_factory=list)
    confidence: float = 0.0
    topic: str | None = None
    region: str | None = None
    entry_id: str | None = None
    points: dict[str, str] = Field(default_factory=dict)
