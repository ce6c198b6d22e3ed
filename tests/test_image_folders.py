"""Image-folder datasets: the ImageFolder layout, a flat folder of classes, the ImageNet
validation layout; decoded once into the cache; bad files named."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.errors import DatasetUnavailable

Image = pytest.importorskip("PIL.Image")
pytest.importorskip("sklearn.datasets")


def _save(path, pixels01):
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.repeat(np.round(pixels01 * 255).astype(np.uint8), 3, axis=-1)
    Image.fromarray(rgb).save(path)


@pytest.fixture
def digits_folder(tmp_path, monkeypatch):
    """scikit-learn's digits written as PNGs: train/<digit>/ and test/<digit>/."""
    from edgebench.data.datasets import load_digits

    monkeypatch.setenv("EDGEBENCH_CACHE", str(tmp_path / "cache"))
    data = load_digits()
    root = tmp_path / "digits-png"
    for split, x, y in (
        ("train", data.x_train[:200], data.y_train[:200]),
        ("test", data.x_test[:60], data.y_test[:60]),
    ):
        for k, (image, label) in enumerate(zip(x, y, strict=True)):
            _save(root / split / f"c{label}" / f"{k:04d}.png", image)
    return root, data


def test_an_image_folder_reads_back_the_pixels_and_classes_it_was_written_from(digits_folder):
    from edgebench.data.datasets import load_image_folder

    root, data = digits_folder
    loaded = load_image_folder(f"{root}?size=8")
    assert loaded.num_classes == 10 and loaded.x_test.shape == (60, 8, 8, 3)
    # classes are the sorted folder names c0..c9, so class k is digit k
    order = np.lexsort((np.arange(60), data.y_test[:60]))  # files sorted by class then name
    np.testing.assert_array_equal(loaded.y_test, data.y_test[:60][order])
    grey = loaded.x_test[..., 0]
    np.testing.assert_allclose(grey, data.x_test[:60][order][..., 0], atol=0.5 / 255 + 1e-6)
    assert "decoded RGB" in loaded.inputs.preprocessing


def test_the_second_load_reads_the_cache_without_decoding(digits_folder, monkeypatch):
    from edgebench.data import image_folders
    from edgebench.data.datasets import load_image_folder

    root, _ = digits_folder
    first = load_image_folder(f"{root}?size=8")

    def refuse(*_args, **_kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(image_folders, "decode_into", refuse)
    again = load_image_folder(f"{root}?size=8")
    assert again.fingerprint == first.fingerprint


def test_a_flat_folder_of_classes_is_split_and_the_imagenet_layout_reads(tmp_path, monkeypatch):
    from edgebench.data.datasets import load_image_folder, load_imagenet_val

    monkeypatch.setenv("EDGEBENCH_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        for k in range(10):
            _save(tmp_path / "pets" / name / f"{k}.png", rng.random((6, 6, 1)))
    pets = load_image_folder(f"{tmp_path / 'pets'}?size=6")
    assert len(pets.y_test) == 4 and len(pets.y_train) == 16 and set(pets.y_test) == {0, 1}
    val = tmp_path / "val"
    for k in range(5):
        _save(val / f"ILSVRC2012_val_{k:08d}.JPEG", rng.random((6, 6, 1)))
    (val / "labels.txt").write_text("3\n1\n4\n1\n5\n")
    imagenet = load_imagenet_val(f"{val}?size=6&base=1")
    assert list(imagenet.y_test) == [2, 0, 3, 0, 4] and imagenet.x_train is None


def test_a_broken_image_or_a_single_class_is_one_line(tmp_path, monkeypatch):
    from edgebench.data.datasets import load_image_folder

    monkeypatch.setenv("EDGEBENCH_CACHE", str(tmp_path / "cache"))
    for name in ("a", "b"):
        for k in range(3):
            _save(tmp_path / "set" / name / f"{k}.png", np.zeros((4, 4, 1)))
    (tmp_path / "set" / "b" / "3.png").write_bytes(b"not a png")
    with pytest.raises(DatasetUnavailable, match=r"3\.png: not an image Pillow can read"):
        load_image_folder(str(tmp_path / "set"))
    (tmp_path / "one" / "only").mkdir(parents=True)
    with pytest.raises(DatasetUnavailable, match="one subfolder per class"):
        load_image_folder(str(tmp_path / "one"))
    with pytest.raises(DatasetUnavailable, match="unknown option 'sise'"):
        load_image_folder(f"{tmp_path / 'set'}?sise=4")


def test_an_image_folder_is_read_a_batch_at_a_time_with_the_same_numbers(digits_folder):
    """The pixels stay in the cache's uint8 file: slices, fancy indexing and the fingerprint
    read rows on demand and give what the whole array would."""
    from edgebench.data.datasets import fingerprint_arrays, load_image_folder
    from edgebench.data.lazy import FittedInputs, is_lazy

    root, _ = digits_folder
    loaded = load_image_folder(f"{root}?size=8")
    assert is_lazy(loaded.x_test) and is_lazy(loaded.x_train)
    whole = np.asarray(loaded.x_test)
    assert whole.dtype == np.float32 and whole.shape == loaded.x_test.shape
    np.testing.assert_array_equal(loaded.x_test[10:20], whole[10:20])
    np.testing.assert_array_equal(loaded.x_test[np.array([5, 1])], whole[[5, 1]])
    np.testing.assert_array_equal(loaded.x_test[3], whole[3])
    raw = loaded.x_test.source
    assert fingerprint_arrays(raw) == fingerprint_arrays(np.asarray(raw))
    fitted = FittedInputs(loaded.x_test, lambda rows: rows.transpose(0, 3, 1, 2) * 2)
    assert fitted.shape == (60, 3, 8, 8)
    np.testing.assert_array_equal(fitted[7:9], whole[7:9].transpose(0, 3, 1, 2) * 2)
