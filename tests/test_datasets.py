import gzip
import struct

import numpy as np
import pytest

from edgebench.data import datasets
from edgebench.data.datasets import (
    DEBIAN_FASHION_MNIST,
    FASHION_FILES,
    dataset_id,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    random_inputs,
    read_idx,
)
from edgebench.errors import DatasetUnavailable, UsageError


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def test_digits_fixed_stratified_split():
    data = load_digits()
    assert data.x_train.shape == (1437, 8, 8, 1)
    assert data.x_test.shape == (360, 8, 8, 1)
    assert data.x_train.dtype == np.float32
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert data.num_classes == 10
    # stratified: every class has 36 (or 35/37) test images
    counts = np.bincount(data.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    assert load_digits().fingerprint == data.fingerprint


def test_idx_roundtrip_and_truncation(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 256
    write_idx(tmp_path / "a.gz", images)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), images)
    write_idx(tmp_path / "b", images)
    (tmp_path / "b").write_bytes((tmp_path / "b").read_bytes()[:-3])
    with pytest.raises(DatasetUnavailable, match="truncated"):
        read_idx(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"not idx")
    with pytest.raises(DatasetUnavailable, match="not an idx"):
        read_idx(tmp_path / "c")


def make_fashion(folder, n_train=6, n_test=4):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(folder / FASHION_FILES["x_train"], rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(folder / FASHION_FILES["y_train"], np.arange(n_train) % 10)
    write_idx(folder / FASHION_FILES["x_test"], rng.integers(0, 256, (n_test, 28, 28)))
    write_idx(folder / FASHION_FILES["y_test"], np.arange(n_test) % 10)


def test_fashion_mnist_from_edgebench_data(tmp_path, monkeypatch):
    make_fashion(tmp_path / "fashion-mnist")
    monkeypatch.setenv("EDGEBENCH_DATA", str(tmp_path))
    data = load_fashion_mnist(download=lambda: pytest.fail("must not download"))
    assert data.x_train.shape == (6, 28, 28, 1)
    assert data.y_test.tolist() == [0, 1, 2, 3]
    assert data.source == str(tmp_path / "fashion-mnist")
    assert data.x_test.max() <= 1.0


def test_fashion_mnist_offline_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEBENCH_DATA", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", tmp_path / "absent")

    def offline():
        raise OSError("Temporary failure in name resolution")

    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(download=offline)


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian dataset-fashion-mnist not installed"
)
def test_fashion_mnist_from_the_debian_package(monkeypatch):
    monkeypatch.delenv("EDGEBENCH_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", "/nonexistent")
    data = load_fashion_mnist(download=lambda: pytest.fail("must not download"))
    assert data.x_train.shape == (60000, 28, 28, 1)
    assert data.x_test.shape == (10000, 28, 28, 1)


def test_mnist_reads_the_keras_cache(tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "datasets" / "mnist.npz",
        x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        y_train=np.arange(5),
        x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        y_test=np.arange(3),
    )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = load_mnist(download=lambda: pytest.fail("must not download"))
    assert data.x_test.shape == (3, 28, 28, 1) and data.num_classes == 10


def test_cifar_offline_is_unavailable_with_hint():
    def offline():
        raise OSError("no network")

    with pytest.raises(DatasetUnavailable, match="CIFAR10 .*offline"):
        datasets.load_cifar(10, download=offline)


def test_cifar_loader_result_is_scaled():
    x = np.full((2, 32, 32, 3), 255, np.uint8)
    data = datasets.load_cifar(
        10, download=lambda: ((x, np.array([[1], [2]])), (x, np.array([[3], [4]])))
    )
    assert data.x_test.max() == 1.0 and data.y_test.tolist() == [3, 4]


def test_npz_dataset_fed_as_given(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(
        path,
        x_train=np.full((4, 5), 255, np.uint8),
        y_train=np.array([0, 1, 2, 1]),
        x_test=np.full((2, 5), 0.5, np.float64),
        y_test=np.array([0, 2]),
    )
    data = load_dataset(f"npz:{path.name}", base_dir=tmp_path)
    assert data.name == "mine" and dataset_id(f"npz:{path}") == "mine"
    assert data.x_train.max() == 1.0  # uint8 scaled
    assert data.x_test.dtype == np.float32 and data.x_test[0, 0] == 0.5
    assert data.num_classes == 3 and not data.adapt_to_model


def test_npz_dataset_errors(tmp_path):
    with pytest.raises(DatasetUnavailable, match="does not exist"):
        load_dataset(f"npz:{tmp_path / 'none.npz'}")
    np.savez(tmp_path / "partial.npz", x_train=np.zeros(3))
    with pytest.raises(DatasetUnavailable, match="lacks array"):
        load_dataset(f"npz:{tmp_path / 'partial.npz'}")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DatasetUnavailable, match="cannot read"):
        load_dataset(f"npz:{tmp_path / 'junk.npz'}")


def test_unknown_dataset_lists_known():
    with pytest.raises(UsageError, match="digits.*fashion-mnist.*npz:PATH"):
        load_dataset("imagenet")


def test_random_dataset_has_no_labels_and_deterministic_inputs():
    data = load_dataset("random")
    assert not data.labelled and data.sample_shape is None
    a = random_inputs((3, 3, 1), np.float32, 2, seed=5)
    np.testing.assert_array_equal(a, random_inputs((3, 3, 1), np.float32, 2, seed=5))
    q = random_inputs((4,), np.int8, 3)
    assert q.dtype == np.int8 and q.shape == (3, 4)
