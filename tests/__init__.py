"""Test suite; mirrors the package layout (tests/api/routes, tests/api/services, ...)."""
