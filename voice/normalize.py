"""Clean recognised text before the dialogue sees it: Vosk's spacing and tags, then domain homophones.

Vosk writes Mandarin as space-separated words ("异地 就医") and marks unknown words as ``[unk]``;
the knowledge base's pinyin repair (一地就医 -> 异地就医) then runs on the joined text.
"""

from __future__ import annotations

import logging
import re

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


def normalize_transcript(text: str) -> str:
    """Clean ``text`` and repair sound-alike domain terms with the knowledge base's pinyin rules."""
    cleaned = clean_transcript(text)
    if not cleaned:
        return cleaned
    try:
        from knowledge.textnorm import normalize_domain_terms
    except ImportError:  # the knowledge package is optional for the voice library
        log.debug("voice.normalize.no_textnorm")
        return cleaned
    return normalize_domain_terms(cleaned)
