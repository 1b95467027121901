"""Clean recognised text before the dialogue sees it: Vosk's spacing and tags, then what was misheard.

Vosk writes Mandarin as space-separated words ("异地 就医") and marks unknown words as ``[unk]``;
on the joined text, place names and domain terms a sound off are put back (knowledge/heard.py: 警南 ->
济南, 慢特定 -> 慢特病), then the knowledge base's pinyin repair (一地就医 -> 异地就医) runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

log = logging.getLogger(__name__)

_TAG_RE = re.compile(r"\[[^\]]*\]")
_HAN_GAP_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_SPACE_RE = re.compile(r"\s+")


def join_han(text: str) -> str:
    """Drop the spaces Vosk puts between Chinese words, keep those between Latin words and digits."""
    return _HAN_GAP_RE.sub("", text)


def clean_transcript(text: str) -> str:
    """Remove recogniser tags such as ``[unk]`` and normalise spacing."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return join_han(_SPACE_RE.sub(" ", _TAG_RE.sub(" ", text)).strip())


def normalize_transcript(text: str, *, places: Iterable[str] = (), asked_region: bool = False) -> str:
    """Clean ``text``, recover misheard places and terms, and repair sound-alike domain terms.

    ``places`` and ``asked_region`` go to ``knowledge.heard.recover`` (regions to know besides provinces
    and cities; whether the caller answers a 参保地 question).
    """
    cleaned = clean_transcript(text)
    if not cleaned:
        return cleaned
    try:
        from knowledge.heard import recover
        from knowledge.textnorm import normalize_domain_terms
    except ImportError:  # the knowledge package is optional for the voice library
        log.debug("voice.normalize.no_textnorm")
        return cleaned
    return normalize_domain_terms(recover(cleaned, places=places, asked_region=asked_region))
