"""The ``blazeface`` adapter reads MediaPipe's face detector outputs back into the boxes
they encode (heads built here from known boxes), in either output order."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.errors import UsageError
from edgebench.tasks.adapters import adapter
from edgebench.tasks.blazeface import anchor_centres


def _heads(count: int, faces: list[tuple[int, float, float, float, float]]) -> list[np.ndarray]:
    """Regressors and logits with ``faces`` = (anchor, cx, cy, w, h) in [0, 1]."""
    size, centres = anchor_centres(count)
    regress = np.zeros((1, count, 16), np.float32)
    logits = np.full((1, count, 1), -20.0, np.float32)
    for anchor, cx, cy, w, h in faces:
        regress[0, anchor, :4] = [
            (cx - centres[anchor, 0]) * size, (cy - centres[anchor, 1]) * size, w * size, h * size,
        ]  # fmt: skip
        logits[0, anchor, 0] = 4.0
    return [regress, logits]


@pytest.mark.parametrize("count", [896, 2304])
def test_boxes_come_back_where_they_were_encoded(count):
    decode = adapter("blazeface")
    regress, logits = _heads(count, [(100, 0.3, 0.4, 0.2, 0.25), (count - 1, 0.8, 0.7, 0.1, 0.1)])
    for outputs in ([regress, logits], [logits, regress]):
        rows = decode(outputs)[0]
        found = rows[rows[:, 4] > 0]
        assert len(found) == 2
        np.testing.assert_allclose(found[0, :4], [0.2, 0.275, 0.4, 0.525], atol=1e-5)
        np.testing.assert_allclose(found[1, :4], [0.75, 0.65, 0.85, 0.75], atol=1e-5)
        assert found[0, 4] == pytest.approx(1 / (1 + np.exp(-4.0)))
        assert set(found[:, 5]) == {0.0}


def test_overlapping_boxes_are_suppressed_and_other_anchor_counts_refused():
    decode = adapter("blazeface")
    rows = decode(_heads(896, [(10, 0.5, 0.5, 0.3, 0.3), (11, 0.51, 0.5, 0.3, 0.3)]))[0]
    assert (rows[:, 4] > 0).sum() == 1
    with pytest.raises(UsageError, match="896-anchor"):
        decode([np.zeros((1, 100, 16)), np.zeros((1, 100, 1))])
    with pytest.raises(UsageError, match="box regressors"):
        decode([np.zeros((1, 896, 16))])
