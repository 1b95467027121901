"""The Rasa assistant: domain, config and custom actions (``bot.actions``), plus model caching.

Modules: rasa_model (region lookup generation, hash-cached training); actions (the action server).
"""
