"""Shared helpers for edgebench's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

pytest_plugins = ["pytester"]


def lay_out_project(path: Path, suffixes: tuple[str, ...] = (".onnx", ".tflite")) -> None:
    """A project laid out like edgebench's under ``path``: bench/ (the tests the package
    ships; their fixtures come with the plugin, so there is no conftest.py unless a test
    writes one) and models/ with the tiny test models."""
    shutil.copytree(
        REPO / "src" / "edgebench" / "bench", path / "bench",
        ignore=shutil.ignore_patterns("__pycache__", "__init__.py"),
    )  # fmt: skip
    (path / "models").mkdir()
    for suffix in suffixes:
        shutil.copy(DATA / f"digits_mlp{suffix}", path / "models")


@pytest.fixture
def data_dir() -> Path:
    """tests/data: tiny model files made by tests/data/make_models.py."""
    return DATA
