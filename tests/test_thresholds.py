import pytest

from edgebench.errors import UsageError
from edgebench.recipes import default_registry, parse_recipe
from edgebench.thresholds import parse_assignments, pyproject_thresholds, threshold_for

REGISTRY = default_registry()


def threshold(recipe: str, configured=None, default=1.0):
    return threshold_for(parse_recipe(recipe, REGISTRY), configured or {}, default)


@pytest.mark.parametrize(
    ("recipe", "points"),
    [
        ("fp32", 1.0),
        ("fp16", 1.0),
        ("int8", 1.0),
        ("ort-qdq", 1.0),
        ("dfq8-asym-pc", 1.0),
        ("dfq4-asym-pc", 5.0),
        ("dfq7-sym-pt", 5.0),
        ("dfq3-po2-pc", None),
        ("dfq2-sym-pt", None),
    ],
)
def test_defaults_by_bit_width(recipe, points):
    assert threshold(recipe).points == points


def test_max_accuracy_drop_moves_the_8_bit_default():
    assert threshold("int8", default=2.5).points == 2.5
    assert threshold("dfq4-asym-pc", default=2.5).points == 5.0


def test_most_specific_configured_key_wins():
    configured = {
        "dfq4-asym-pc": 3.0,
        "dfq": 4.0,
        "4bit": 6.0,
        "int8": 0.5,
        "3bit": 10.0,
        "default": 2.0,
    }
    assert threshold("dfq4-asym-pc", configured).points == 3.0
    assert threshold("dfq4-sym-pt", configured).points == 4.0  # family "dfq"
    assert threshold("int8", configured).points == 0.5
    assert threshold("fp32", configured).points == 2.0
    assert threshold("dfq3-sym-pt", {"3bit": 10.0}).points == 10.0
    assert threshold("int8", {"int8": None}).points is None
    assert threshold("int8", configured).source == "configured int8"


def test_assignments_and_none():
    assert parse_assignments(["int8=0.5", " dfq3 = none "], "test") == {"int8": 0.5, "dfq3": None}
    with pytest.raises(UsageError, match="not KEY=POINTS"):
        parse_assignments(["int8"], "--threshold")
    with pytest.raises(UsageError, match="neither a number"):
        parse_assignments(["int8=lots"], "--threshold")
    with pytest.raises(UsageError, match="must be a number of points from 0 to 100"):
        parse_assignments(["int8=-1"], "--threshold")


def test_pyproject_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.edgebench.thresholds]\nint8 = 0.5\ndfq3 = "none"\n4bit = 3\n'
    )
    assert pyproject_thresholds(tmp_path / "pyproject.toml") == {
        "int8": 0.5,
        "dfq3": None,
        "4bit": 3.0,
    }
    assert pyproject_thresholds(tmp_path / "missing.toml") == {}
