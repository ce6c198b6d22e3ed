"""Shared helpers for edgebench's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

pytest_plugins = ["pytester"]


def lay_out_project(
    path: Path, suffixes: tuple[str, ...] = (".onnx", ".tflite"), conftest: bool = True
) -> None:
    """A project laid out like edgebench's under ``path``: bench/, fixtures/, the root
    conftest.py (unless the test writes its own), models/ with the tiny test models."""
    for name in ("bench", "fixtures"):
        shutil.copytree(REPO / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
    if conftest:
        shutil.copy(REPO / "conftest.py", path / "conftest.py")
    (path / "models").mkdir()
    for suffix in suffixes:
        shutil.copy(DATA / f"digits_mlp{suffix}", path / "models")


@pytest.fixture
def data_dir() -> Path:
    """tests/data: tiny model files made by tests/data/make_models.py."""
    return DATA
