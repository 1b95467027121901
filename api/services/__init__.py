"""The service layer shared by HTTP routes, Rasa custom actions and the CLI.

Modules: knowledge (answering), tickets (work orders), inspection (quality
inspection), chat (talking to Rasa, transcripts), handoff (human takeover).
"""
