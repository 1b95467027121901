"""The service layer shared by HTTP routes, Rasa custom actions and the CLI.

Modules: knowledge (answering), tickets (work orders), inspection (quality
inspection), chat (talking to Rasa, transcripts), handoff (human takeover), kb_drafts (the
editor's review queue, drafts from documents), kb_clusters (learning from the line), kb_health
(stale and conflicting entries), workdays (the holiday calendar), kb_import (FAQ spreadsheets
imported through the editor's versions).
"""
