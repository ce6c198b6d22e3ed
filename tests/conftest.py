"""Shared helpers for edgebench's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

pytest_plugins = ["pytester"]


@pytest.fixture
def data_dir() -> Path:
    """tests/data: tiny model files made by tests/data/make_models.py."""
    return DATA
