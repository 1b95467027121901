"""Shared pytest configuration; database fixtures live in the tests.db plugin."""

pytest_plugins = ["tests.db"]
