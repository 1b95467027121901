"""Automatic quality inspection (智能质检) of hotline call and chat transcripts.

A library: no imports from api/ or bot/, no environment; the knowledge-base lookup is
passed in. Modules: transcript (input model and validation; two-channel recordings merged
by time), textmatch (robust phrase matching: particles, fillers, pinyin homophones), claims
(numbers, spoken approximations and yes/no claims in speech), kb (the KbFact protocol, a lexical
lookup over curated entries), pieces (the sentences, clause windows and open sentences that get
embedded), semantic (example banks matched by an injected sentence encoder), semantic_bank (the
banks and their calibrated thresholds, read and checked),
calibration (semantic thresholds from labelled calls and supervisor reviews), emotion (anger
classifier trained from data/emotion_train.tsv), ruleset
(versioned YAML rule sets in data/), context (per-transcript state given to rules), rules/
(one module per rule family), scorer (deductions, pass/fail), evaluation (precision and
recall on labelled transcripts). See README.md.

Output of ``InspectionResult.to_dict()`` (the ``hotline qa score --json`` contract):
``{"id", "score", "passed", "findings": [{"rule", "category", "severity", "points",
"turns", "evidence", "detail", "kb_entry"}], "ruleset_version"}``; ``turns`` are 0-based
indexes into the transcript's turns, ``evidence`` the quoted text spans.
"""

from inspection.kb import Fact, KbFact, KbLookup, make_lexical_lookup
from inspection.ruleset import CATEGORIES, RuleSet, default_ruleset, load_ruleset
from inspection.scorer import Finding, InspectionResult, Inspector, inspect_transcript
from inspection.transcript import Segment, Transcript, Turn, load_transcript, merge_channels, parse_transcript

__all__ = [
    # kb
    "Fact",
    "KbFact",
    "KbLookup",
    "make_lexical_lookup",
    # ruleset
    "CATEGORIES",
    "RuleSet",
    "default_ruleset",
    "load_ruleset",
    # scorer
    "Finding",
    "InspectionResult",
    "Inspector",
    "inspect_transcript",
    # transcript
    "Segment",
    "Transcript",
    "Turn",
    "load_transcript",
    "merge_channels",
    "parse_transcript",
]
