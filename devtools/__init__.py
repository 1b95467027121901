"""Development tooling: start and stop the dialogue stack, and evaluate the assistant.

``devtools.stack`` starts Rasa, the action server and their settings for ``hotline run``,
``hotline eval``, the benchmarks and the tests; ``devtools.evaluation`` runs labelled
questions and dialogues through an engine and scores them. Nothing in ``api/`` imports this
package except the CLI, so the service layer never depends on ``bot/``.
"""
