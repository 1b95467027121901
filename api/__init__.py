"""FastAPI service and the shared service layer.

Modules: settings (configuration), texts (Chinese strings shown to people),
cli (the ``hotline`` command), main (app factory), routes/ (HTTP adapters),
services/ (business logic shared by routes, Rasa actions and the CLI).
"""
