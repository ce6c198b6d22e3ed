"""Registers the project's fixture modules; nothing else lives here."""

pytest_plugins = ["fixtures.bench"]
