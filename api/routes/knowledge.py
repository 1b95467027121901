"""Knowledge endpoints: a caller's question answered with sources, and search for agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from api.deps import Principal, SettingsDep, require_role
from api.limits import limit_caller_ip
from api.schemas import AnswerPublic, SourcePublic
from api.services import knowledge

router = APIRouter(tags=["knowledge"])

MAX_QUESTION = 1000


class QuestionIn(BaseModel):
    """A caller's question; the region and earlier questions help follow-ups."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    region: str | None = Field(default=None, max_length=50)
    history: list[Annotated[str, Field(max_length=MAX_QUESTION)]] = Field(default_factory=list, max_length=20)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be blank")
        return value


@router.post("/api/knowledge/answer", response_model=AnswerPublic, dependencies=[Depends(limit_caller_ip)])
async def ask(body: QuestionIn, settings: SettingsDep) -> AnswerPublic:
    """Answer for callers (public knowledge only): answer, clarify_region or abstain."""
    return await run_in_threadpool(
        knowledge.answer,
        body.question,
        region=body.region,
        audience="public",
        history=tuple(body.history),
        settings=settings,
    )


Staff = Annotated[Principal, Depends(require_role("agent"))]


@router.get("/api/knowledge/search", response_model=list[SourcePublic])
async def search(
    settings: SettingsDep,
    staff: Staff,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[SourcePublic]:
    """Hybrid search over all knowledge, agent-only entries included (staff only)."""

    def _search() -> list[SourcePublic]:
        kb = knowledge.get_knowledge_base(settings)
        return [
            SourcePublic(
                id=h.doc.key.split(":", 1)[1],
                title=h.doc.title,
                region=h.doc.region,
                score=round(h.score, 4),
                source=h.doc.source,
            )
            for h in kb.search(q, k=k, audience="agent")
        ]

    return await run_in_threadpool(_search)
