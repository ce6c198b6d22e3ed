"""Class hierarchies: a fine-to-coarse map of a classification dataset's classes.

``classify`` reports coarse accuracy (``coarse_accuracy``: the coarse class of the
predicted fine class against the coarse class of the label) beside the fine top-1
accuracy when the dataset declares groups: CIFAR-100's 20 superclasses and a grouping of
Fashion-MNIST are built in; ``--class-groups FILE`` gives any dataset the user's, a JSON
object of coarse names to lists of fine class indices::

    {"groups": {"tops": [0, 2, 4, 6], "bottoms": [1, 3], "shoes": [5, 7, 9], "bags": [8]}}

Every fine class belongs to exactly one group; anything else is a ``UsageError`` that
says which class and group.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import UsageError


@dataclass(frozen=True)
class ClassGroups:
    """Coarse groups of fine classes: ``coarse_of[fine]`` is the group's index in ``names``."""

    source: str
    names: tuple[str, ...]
    coarse_of: tuple[int, ...]

    def coarse(self, labels: np.ndarray) -> np.ndarray:
        """The coarse class of each fine label.

        >>> FASHION_MNIST_GROUPS.coarse(np.array([0, 5, 8])).tolist()
        [0, 2, 3]
        """
        return np.asarray(self.coarse_of, dtype=np.int64)[np.asarray(labels, dtype=np.int64)]

    def describe(self) -> dict[str, Any]:
        """The groups as a record carries them (names with their fine classes)."""
        return {
            "source": self.source,
            "groups": {
                name: [f for f, c in enumerate(self.coarse_of) if c == index]
                for index, name in enumerate(self.names)
            },
        }


def groups_from_mapping(source: str, groups: Any, num_classes: int | None) -> ClassGroups:
    """Checked :class:`ClassGroups` from ``{coarse name: [fine class, ...]}``.

    >>> groups_from_mapping("x", {"a": [0, 2], "b": [1]}, 3).coarse_of
    (0, 1, 0)
    """
    if not isinstance(groups, dict) or not groups:
        raise UsageError(f"{source}: class groups must be an object of group names to class lists")
    owner: dict[int, str] = {}
    for name, members in groups.items():
        if not isinstance(members, list) or not members:
            raise UsageError(f"{source}: group {name!r} must be a non-empty list of class indices")
        for member in members:
            if isinstance(member, bool) or not isinstance(member, int) or member < 0:
                raise UsageError(f"{source}: group {name!r} has {member!r}, not a class index")
            if member in owner:
                raise UsageError(
                    f"{source}: class {member} is in groups {owner[member]!r} and {name!r}"
                )
            owner[member] = name
    count = num_classes if num_classes is not None else max(owner) + 1
    missing = [c for c in range(count) if c not in owner]
    extra = sorted(c for c in owner if c >= count)
    if extra:
        raise UsageError(f"{source}: classes {extra} do not exist (the dataset has {count})")
    if missing:
        raise UsageError(f"{source}: classes {missing} are in no group; every class needs one")
    names = tuple(str(n) for n in groups)
    index = {name: i for i, name in enumerate(groups)}
    return ClassGroups(source, names, tuple(index[owner[c]] for c in range(count)))


def read_groups(path: Path, num_classes: int | None) -> ClassGroups:
    """The user's class groups from JSON file ``path`` (``{"groups": {...}}``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--class-groups: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text, parse_constant=lambda c: math.nan)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--class-groups: {path} is not JSON ({exc.msg}, line {exc.lineno})"
        ) from exc
    if not isinstance(data, dict) or "groups" not in data:
        raise UsageError(f'--class-groups: {path} needs an object with "groups"')
    return groups_from_mapping(f"--class-groups {path}", data["groups"], num_classes)


#: CIFAR-100's superclasses (the "coarse" labels of the dataset), in their index order.
CIFAR100_SUPERCLASS_NAMES: tuple[str, ...] = (
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
)
#: the superclass of each of CIFAR-100's fine classes 0..99 (apple, aquarium_fish, baby, ...).
CIFAR100_COARSE_OF: tuple[int, ...] = (
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
    6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
    10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
)  # fmt: skip
CIFAR100_SUPERCLASSES = ClassGroups(
    "CIFAR-100 superclasses", CIFAR100_SUPERCLASS_NAMES, CIFAR100_COARSE_OF
)
#: Fashion-MNIST (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
#: 7 sneaker, 8 bag, 9 ankle boot) as tops, bottoms and dresses, shoes, bags.
FASHION_MNIST_GROUPS = groups_from_mapping(
    "Fashion-MNIST groups",
    {"tops": [0, 2, 4, 6], "bottoms and dresses": [1, 3], "shoes": [5, 7, 9], "bags": [8]},
    10,
)
