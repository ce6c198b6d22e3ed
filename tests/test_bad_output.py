"""What edgebench prints and writes carries no terminal escapes and no spreadsheet formulas,
whatever the names it was given."""

from __future__ import annotations

import shutil

import pytest

from edgebench.report.sanitize import csv_cell, plain
from tests.conftest import DATA, lay_out_project


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-0.81 / -0.12", "'-0.81 / -0.12"),
        ("-0.50", "-0.50"),
        ("+3.5%", "+3.5%"),
        ("1e-3", "1e-3"),
        ("int8", "int8"),
        ("\tx", "?x"),  # a tab is a control character: gone before the check
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_escaped(text, cell):
    assert csv_cell(text) == cell


def test_control_characters_and_bidi_overrides_become_question_marks():
    assert plain("a\x1b[2Jb\x07c\u202ed\x9bx") == "a?[2Jb?c?d?x"
    assert plain("two\nlines", keep_newlines=True) == "two\nlines"


@pytest.mark.slow
def test_an_escape_code_in_a_file_name_does_not_reach_the_terminal(pytester, monkeypatch):
    pytest.importorskip("ai_edge_litert.interpreter")
    pytest.importorskip("sklearn.datasets")
    lay_out_project(pytester.path, suffixes=())
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    name = "net\x1b[2J\x1b[31m.tflite"
    shutil.copy(DATA / "digits_mlp.tflite", pytester.path / "models" / name)
    result = pytester.runpytest_subprocess(
        "bench", "--model", f"models/{name}", "--runtimes", "litert", "--threads", "1",
        "--rounds", "5", "--warmup", "1", "-k", "accuracy", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    out = result.stdout.str() + result.stderr.str()
    assert "\x1b" not in out
    assert "net?[2J?[31m.tflite" in out  # the summary table names it, defused
