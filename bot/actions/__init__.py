"""Custom actions of the Rasa assistant, served by rasa-sdk from the app's ``.venv``.

Modules: names (intent, slot and response names), common (tracker helpers, reply payloads),
knowledge (policy answers), routing (the evidence that starts a form), intake (the starts of forms),
tickets (work-order form and creation, status queries), handoff (human takeover), human (the 转人工 action),
offers (what a yes or no refers to), turns (what a short turn says: a yes, thanks, a wish for a person),
social (greetings, thanks, goodbyes, chit-chat), records (personal records), feedback (satisfaction rating).
``python -m rasa_sdk --actions bot.actions`` registers every module.
"""

from api.logging_config import install_log_masking

# The action server logs callers' slot values (phone numbers, ID numbers): mask them as the API does.
install_log_masking()
