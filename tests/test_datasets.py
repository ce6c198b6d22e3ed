import gzip
import json
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
    with pytest.raises(DatasetUnavailable, match="has arrays x_train; expected x_train, x_test"):
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


def test_npz_masks_and_boxes_make_segmentation_and_detection_sets(tmp_path):
    images = np.zeros((4, 8, 8, 3), np.uint8)
    masks = np.zeros((4, 8, 8), np.uint8)
    masks[:, :, 4:] = 2
    masks[0, 0, 0] = 255  # ignored: not a class
    np.savez(
        tmp_path / "seg.npz", x_train=images, x_test=images, masks_train=masks, masks_test=masks
    )
    seg = load_dataset(f"npz:{tmp_path / 'seg.npz'}")
    assert seg.task == "segment" and seg.num_classes == 3 and seg.y_test.shape == (4, 8, 8)
    boxes = np.full((4, 2, 5), -1, np.float32)
    boxes[:, 0] = [1, 0.1, 0.1, 0.5, 0.5]
    np.savez(
        tmp_path / "det.npz", x_train=images, x_test=images, boxes_train=boxes, boxes_test=boxes
    )
    det = load_dataset(f"npz:{tmp_path / 'det.npz'}")
    assert det.task == "detect" and det.num_classes == 2 and det.y_train.shape == (4, 2, 5)
    np.savez(
        tmp_path / "bad.npz",
        x_train=images,
        x_test=images,
        masks_train=masks[:, :4],
        masks_test=masks,
    )
    with pytest.raises(DatasetUnavailable, match="masks of shape .* do not match images"):
        load_dataset(f"npz:{tmp_path / 'bad.npz'}")
    np.savez(
        tmp_path / "two.npz",
        x_train=images,
        x_test=images,
        y_train=np.zeros(4),
        y_test=np.zeros(4),
        boxes_train=boxes,
        boxes_test=boxes,
    )
    with pytest.raises(DatasetUnavailable, match="one pair of labels"):
        load_dataset(f"npz:{tmp_path / 'two.npz'}")


def test_shapes_datasets_are_labelled_for_their_task():
    seg = load_dataset("shapes-seg")
    assert seg.task == "segment" and seg.num_classes == 4 and seg.y_train.shape == (2000, 64, 64)
    det = load_dataset("shapes-det")
    assert det.task == "detect" and det.num_classes == 3 and det.y_test.shape == (400, 4, 5)
    assert np.array_equal(seg.x_test, det.x_test)  # the same scenes, labelled two ways


def test_masks_folder_and_voc_layouts(tmp_path):
    from PIL import Image

    image = np.full((20, 20, 3), 200, np.uint8)
    mask = np.zeros((20, 20), np.uint8)
    mask[:, 10:] = 7
    mask[0, 0] = 255
    for split in ("train", "test"):
        for i in range(3):
            (tmp_path / "plain" / split / "images").mkdir(parents=True, exist_ok=True)
            (tmp_path / "plain" / split / "masks").mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(tmp_path / "plain" / split / "images" / f"{i}.jpg")
            Image.fromarray(mask).save(tmp_path / "plain" / split / "masks" / f"{i}.png")
    (tmp_path / "plain" / "classes.json").write_text('{"map": {"0": 0, "7": 1}}')
    data = load_dataset(f"masks:{tmp_path / 'plain'}?size=10&train=2")
    assert data.task == "segment" and data.name == "plain" and data.num_classes == 2
    assert data.x_train.shape == (2, 10, 10, 3) and data.y_test.shape == (3, 10, 10)
    assert set(np.unique(data.y_test)) <= {0, 1, 255} and data.y_test[0, 0, 9] == 1
    # Pascal VOC: palette masks, a split listing
    voc = tmp_path / "voc"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (voc / folder).mkdir(parents=True)
    # a palette image as VOC ships them: the pixel values are palette indices = classes
    indices = np.where(mask == 7, 3, mask).astype(np.uint8)
    palette = Image.frombytes("P", (20, 20), indices.tobytes())
    palette.putpalette([v for i in range(256) for v in (i, (i * 7) % 256, (i * 13) % 256)])
    for name in ("a", "b"):
        Image.fromarray(image).save(voc / "JPEGImages" / f"{name}.jpg")
        palette.save(voc / "SegmentationClass" / f"{name}.png", optimize=False)
    (voc / "ImageSets/Segmentation/train.txt").write_text("a\n")
    (voc / "ImageSets/Segmentation/val.txt").write_text("b\n")
    voc_data = load_dataset(f"masks:{voc}?size=20")
    assert (
        voc_data.num_classes == 4 and voc_data.y_train[0, 5, 15] == 3 and len(voc_data.x_test) == 1
    )


def test_coco_layout(tmp_path):
    pytest.importorskip("pycocotools")
    from PIL import Image

    for split in ("train2017", "val2017"):
        (tmp_path / split).mkdir()
        Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(tmp_path / split / "1.jpg")
    (tmp_path / "annotations").mkdir()
    coco = {
        "images": [{"id": 1, "file_name": "1.jpg", "width": 100, "height": 50}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 18,
                "bbox": [10, 5, 50, 20],
                "area": 1000,
                "iscrowd": 0,
            },
            {
                "id": 2,
                "image_id": 1,
                "category_id": 3,
                "bbox": [0, 0, 5, 5],
                "area": 25,
                "iscrowd": 1,
            },
        ],
        "categories": [{"id": 3, "name": "car"}, {"id": 18, "name": "dog"}],
    }
    for split in ("train2017", "val2017"):
        (tmp_path / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    data = load_dataset(f"coco:{tmp_path}?size=32")
    assert data.task == "detect" and data.num_classes == 2 and data.x_train.shape == (1, 32, 32, 3)
    # the crowd box is left out; the dog (id 18, second category) is class 1, normalised
    assert data.y_test[0].tolist() == [pytest.approx([1, 0.1, 0.1, 0.6, 0.5])]


def test_folder_datasets_that_are_not_there(tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        datasets.validate_spec(f"masks:{tmp_path / 'nope'}", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetUnavailable, match="no train images with masks"):
        load_dataset(f"masks:{tmp_path / 'empty'}")
    with pytest.raises(DatasetUnavailable, match="unknown option 'colour'"):
        load_dataset(f"masks:{tmp_path / 'empty'}?colour=1")


def _voc_tree(root):
    from PIL import Image

    voc = root / "VOCdevkit" / "VOC2012"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (voc / folder).mkdir(parents=True)
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 4:12] = 15
    for name in ("a", "b"):
        Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(voc / "JPEGImages" / f"{name}.jpg")
        Image.fromarray(mask).save(voc / "SegmentationClass" / f"{name}.png")
    (voc / "ImageSets/Segmentation/train.txt").write_text("a\n")
    (voc / "ImageSets/Segmentation/val.txt").write_text("b\n")


def test_voc_is_downloaded_once_and_read_from_the_data_folder(tmp_path, monkeypatch):
    import tarfile

    from edgebench.data import downloads

    source = tmp_path / "source"
    _voc_tree(source)
    archive = tmp_path / "voc.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(source / "VOCdevkit", arcname="VOCdevkit")
    data_folder = tmp_path / "data"
    monkeypatch.setenv("EDGEBENCH_DATA", str(data_folder))
    fake = downloads.Download(
        (archive.as_uri(),), "VOCdevkit/VOC2012", "ImageSets/Segmentation/val.txt", "masks"
    )
    monkeypatch.setitem(downloads.DOWNLOADS, "voc", fake)
    voc = load_dataset("voc")
    assert voc.name == "voc" and voc.task == "segment" and voc.num_classes == 16
    archive.unlink()  # a second load reads the unpacked folder, no download
    assert load_dataset("voc").fingerprint == voc.fingerprint


def test_downloads_fail_with_where_to_put_the_files(tmp_path, monkeypatch):
    from edgebench.data import downloads

    monkeypatch.setenv("EDGEBENCH_DATA", str(tmp_path))
    fake = downloads.Download(
        ((tmp_path / "missing.tar").as_uri(),), "VOCdevkit/VOC2012", "x", "masks"
    )
    monkeypatch.setitem(downloads.DOWNLOADS, "voc", fake)
    with pytest.raises(DatasetUnavailable, match=r"could not be downloaded .* unpack into"):
        load_dataset("voc")


def test_archives_cannot_write_outside_their_folder(tmp_path):
    import io
    import tarfile

    from edgebench.data.downloads import unpack

    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(DatasetUnavailable, match="outside"):
        unpack(archive, tmp_path / "into")
    assert not (tmp_path / "escaped.txt").exists()


def test_cityscapes_layout_with_its_train_ids(tmp_path):
    from PIL import Image

    for split in ("train", "val"):
        (tmp_path / "leftImg8bit" / split / "ulm").mkdir(parents=True)
        (tmp_path / "gtFine" / split / "ulm").mkdir(parents=True)
        Image.fromarray(np.zeros((8, 16, 3), np.uint8)).save(
            tmp_path / "leftImg8bit" / split / "ulm" / "ulm_000000_000019_leftImg8bit.png"
        )
        ids = np.full((8, 16), 7, np.uint8)  # road
        ids[:, 8:] = 26  # car
        ids[0, 0] = 0  # unlabeled: ignored
        Image.fromarray(ids).save(
            tmp_path / "gtFine" / split / "ulm" / "ulm_000000_000019_gtFine_labelIds.png"
        )
    data = load_dataset(f"cityscapes:{tmp_path}?size=16")
    assert data.task == "segment" and set(np.unique(data.y_train)) == {0, 13, 255}


def test_coco_validation_set_alone_is_split_into_train_and_test(tmp_path):
    pytest.importorskip("pycocotools")
    from PIL import Image

    (tmp_path / "val2017").mkdir()
    (tmp_path / "annotations").mkdir()
    images, annotations = [], []
    for i in range(1, 4):
        Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "val2017" / f"{i}.jpg")
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 10, "height": 10})
        annotations.append(
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [i, 1, 2, 2],
                "area": 4,
                "iscrowd": 0,
            }
        )
    coco = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "annotations" / "instances_val2017.json").write_text(json.dumps(coco))
    data = load_dataset(f"coco:{tmp_path}?size=8&test=1")
    assert len(data.x_train) == 2 and len(data.x_test) == 1
    assert data.y_test[0, 0].tolist() == pytest.approx([0, 0.3, 0.1, 0.5, 0.3])  # image 3.jpg
