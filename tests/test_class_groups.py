"""Class hierarchies (``data.hierarchy``): the built-in groupings, the user's JSON file
read with clear errors, and coarse accuracy from the same pass as the fine one."""

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgebench.data.hierarchy import (
    CIFAR100_SUPERCLASSES,
    FASHION_MNIST_GROUPS,
    groups_from_mapping,
    read_groups,
)
from edgebench.errors import UsageError
from edgebench.tasks.classify import ClassifyTask


def test_cifar100_superclasses_are_twenty_groups_of_five():
    counts = Counter(CIFAR100_SUPERCLASSES.coarse_of)
    assert len(CIFAR100_SUPERCLASSES.names) == 20 and set(counts.values()) == {5}
    groups = CIFAR100_SUPERCLASSES.describe()["groups"]
    # CIFAR-100's fine classes in alphabetical order: 0 apple, 3 bear, 8 bicycle, 99 worm
    assert 0 in groups["fruit_and_vegetables"] and 3 in groups["large_carnivores"]
    assert 8 in groups["vehicles_1"] and 99 in groups["non-insect_invertebrates"]


def test_fashion_mnist_groups():
    assert FASHION_MNIST_GROUPS.describe()["groups"] == {
        "tops": [0, 2, 4, 6],
        "bottoms and dresses": [1, 3],
        "shoes": [5, 7, 9],
        "bags": [8],
    }


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_any_partition_maps_each_class_to_its_group(assignment):
    groups: dict[str, list[int]] = {}
    for fine, coarse in enumerate(assignment):
        groups.setdefault(f"g{coarse}", []).append(fine)
    parsed = groups_from_mapping("test", groups, len(assignment))
    for fine, coarse in enumerate(assignment):
        assert parsed.names[parsed.coarse_of[fine]] == f"g{coarse}"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "is not JSON"),
        ("[]", 'needs an object with "groups"'),
        ('{"groups": []}', "must be an object"),
        ('{"groups": {"a": []}}', "non-empty list"),
        ('{"groups": {"a": [0, 1.5]}}', "not a class index"),
        ('{"groups": {"a": [0, true]}}', "not a class index"),
        ('{"groups": {"a": [0, 1], "b": [1, 2]}}', "class 1 is in groups 'a' and 'b'"),
        ('{"groups": {"a": [0, 1], "b": [2, 3]}}', r"classes \[3\] do not exist"),
        ('{"groups": {"a": [0]}}', r"classes \[1, 2\] are in no group"),
    ],
)
def test_bad_group_files_say_what_is_wrong(tmp_path, content, says):
    path = tmp_path / "groups.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=says):
        read_groups(path, 3)


def test_a_missing_group_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        read_groups(tmp_path / "nope.json", 3)


def test_coarse_accuracy_counts_a_wrong_class_in_the_right_group():
    groups = read_groups_from({"even": [0, 2], "odd": [1, 3]})
    scores = np.eye(4)[[0, 2, 3, 1]]  # predicts 0, 2, 3, 1
    labels = np.array([0, 0, 1, 2])  # right; wrong class, same group; same group; wrong group
    metrics = ClassifyTask().evaluate_grouped(lambda b: b, scores, labels, 3, groups)
    assert metrics == {"accuracy": 0.25, "coarse_accuracy": 0.75}


def read_groups_from(mapping):
    return groups_from_mapping("test", json.loads(json.dumps(mapping)), None)


def test_cifar100_superclasses_are_checked_against_the_datasets_own_coarse_labels():
    """The built-in map meets the dataset's coarse labels (Keras' label_mode="coarse") when
    CIFAR-100 loads: here a stand-in split of all 100 classes, right and then one wrong."""
    from edgebench.data import datasets
    from edgebench.errors import DatasetInvalid

    fine = np.arange(100).reshape(-1, 1)
    coarse = np.array(CIFAR100_SUPERCLASSES.coarse_of).reshape(-1, 1)
    x = np.zeros((100, 32, 32, 3), np.uint8)
    data = datasets.load_cifar(
        100,
        download=lambda: ((x, fine), (x, fine)),
        coarse_download=lambda: ((x, coarse), (x, coarse)),
    )
    assert data.class_groups is CIFAR100_SUPERCLASSES and data.num_classes == 100
    wrong = coarse.copy()
    wrong[3] = 0  # bear is a large carnivore (8), not an aquatic mammal
    with pytest.raises(DatasetInvalid, match=r"1 of 100 images .*image 3: fine 3, coarse 0, map 8"):
        datasets.load_cifar(
            100,
            download=lambda: ((x, fine), (x, fine)),
            coarse_download=lambda: ((x, wrong), (x, coarse)),
        )
