"""Bad datasets end in one line naming the dataset, the split, the first bad index and its
value, before anything trains; random npz contents never end in a traceback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edgebench.data.datasets import load_dataset
from edgebench.data.validate import check_arrays
from edgebench.errors import DatasetInvalid, DatasetUnavailable


def _npz(tmp_path, name="d.npz", **arrays):
    good = {
        "x_train": np.random.default_rng(0).random((6, 4, 4, 1), dtype=np.float32),
        "y_train": np.arange(6) % 3,
        "x_test": np.random.default_rng(1).random((4, 4, 4, 1), dtype=np.float32),
        "y_test": np.arange(4) % 3,
    }
    good.update(arrays)
    path = tmp_path / name
    np.savez(path, **{k: v for k, v in good.items() if v is not None})
    return f"npz:{path}"


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        # the cases: labels all -1 were scored 100%
        ({"y_test": np.full(4, -1)}, r"d.npz, test split: label 0 is -1; class indices are"),
        ({"y_train": np.array([0, 1, -2, 0, 1, 2])}, r"train split: label 2 is -2"),
        ({"x_test": np.full((4, 4, 4, 1), np.nan, np.float32)}, r"test split: image 0 holds nan"),
        (
            {"x_train": np.pad(np.zeros((5, 2)), ((0, 1), (0, 0)), constant_values=np.inf)},
            r"train split: image 5 holds inf",
        ),
        ({"y_test": np.arange(3)}, r"test split: 4 images but 3 labels"),
        ({"x_test": np.zeros((0, 4, 4, 1)), "y_test": np.zeros(0, int)}, r"test split: no images"),
        ({"y_test": np.array(["a", "b", "c", "d"])}, r"test split: label have dtype <U1"),
        (
            {"y_test": np.array([0.0, 1.5, 2, 0])},
            r"test split: label 1 is 1.5; expected an integer",
        ),
        ({"x_train": np.array(["x"] * 6)}, r"train split: images have dtype"),
    ],
)
def test_bad_npz_contents_name_split_index_and_value(tmp_path, arrays, message):
    with pytest.raises(DatasetInvalid, match=message):
        load_dataset(_npz(tmp_path, **arrays))


def test_a_good_npz_still_loads(tmp_path):
    data = load_dataset(_npz(tmp_path, y_test=np.array([0.0, 1.0, 2.0, 0.0])))
    assert data.num_classes == 3 and data.y_test.dtype == np.int64


def test_masks_and_boxes_are_checked(tmp_path):
    images = np.zeros((2, 4, 4, 3), np.float32)
    masks = np.zeros((2, 4, 4), np.int64)
    masks[1, 2, 3] = -1  # would have become 255 (ignored) when cast to uint8
    with pytest.raises(DatasetInvalid, match=r"test split: masks 1 is -1.*or 255 \(ignored\)"):
        load_dataset(
            _npz(
                tmp_path,
                x_train=images,
                x_test=images,
                masks_train=np.zeros_like(masks),
                masks_test=masks,
                y_train=None,
                y_test=None,
            )
        )
    boxes = np.full((2, 2, 5), -1.0)
    boxes[0, 0] = [0, 0.1, 0.1, 0.5, 0.5]
    cases = [
        ([0, 0.6, 0.1, 0.5, 0.5], r"is \[0.6, 0.1, 0.5, 0.5\]; expected x1<=x2"),
        ([0, 0.1, 0.1, 1.5, 0.5], r"coordinate 1.5; expected normalised"),
        ([0, np.nan, 0.1, 0.5, 0.5], r"boxes of image 1 hold nan"),
        ([-3, 0.1, 0.1, 0.5, 0.5], r"has class -3.0; classes are .* -1 pads"),
    ]
    for row, message in cases:
        bad = boxes.copy()
        bad[1, 1] = row
        with pytest.raises(DatasetInvalid, match=message):
            check_arrays(
                "det",
                {"x_train": images, "y_train": boxes, "x_test": images, "y_test": bad},
                "detect",
            )
    check_arrays(
        "det",
        {"x_train": images, "y_train": boxes, "x_test": images, "y_test": boxes},
        "detect",
        classes=1,
    )


def test_class_count_bounds_the_labels():
    x = np.zeros((3, 2, 2), np.float32)
    with pytest.raises(DatasetInvalid, match=r"label 2 is 10; class indices are \[0, 10\)"):
        check_arrays("ten", {"x_test": x, "y_test": np.array([0, 9, 10])}, classes=10)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    contents=st.dictionaries(
        st.sampled_from(["x_train", "y_train", "x_test", "y_test", "masks_train", "boxes_test"]),
        hnp.arrays(
            dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.int8]),
            shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
        ),
        min_size=0,
        max_size=6,
    )
)
def test_random_npz_contents_load_or_fail_in_one_line(tmp_path, contents):
    """Any arrays under any names: a Dataset with finite images and labels in range, or one
    edgebench error; never another exception."""
    path = tmp_path / "random.npz"
    np.savez(path, **contents)
    try:
        data = load_dataset(f"npz:{path}")
    except (DatasetInvalid, DatasetUnavailable) as exc:
        assert "\n" not in str(exc)
        return
    assert np.isfinite(data.x_test).all() and np.isfinite(data.x_train).all()
    if data.task == "classify":
        assert (data.y_test >= 0).all() and (data.y_test < data.num_classes).all()


@pytest.mark.slow
def test_the_bench_stops_before_training_with_one_line(pytester, monkeypatch, tmp_path):
    """`pytest bench/ --dataset npz:bad.npz` with labels of -1: one ERROR line, exit 4, no
    traceback, nothing measured."""
    from tests.conftest import lay_out_project

    lay_out_project(pytester.path, suffixes=(".tflite",))
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    spec = _npz(pytester.path, "bad.npz", y_test=np.full(4, -1))
    result = pytester.runpytest_subprocess("bench", "--dataset", spec, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: edgebench: dataset bad.npz, test split: label 0 is -1; class indices are*"]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "cache").exists() or not any(
        (pytester.path / "cache").rglob("*.keras")
    )
