"""Per-layer sensitivity (``--sensitivity dfq4-sym-pc``): each layer of the model quantized
alone and kept alone in float, measured on the test split, and the float layers that keep
the drop within the threshold, proposed as a recipe to bench. The analysis goes into the
run file (``sensitivity``); ``edgebench report`` draws its table and plot."""

from __future__ import annotations

import pytest

from edgebench.errors import NotApplicable


def test_sensitivity(edgebench, edgebench_sensitivity_case, request):
    from edgebench.summary import SENSITIVITY_KEY

    try:
        found = edgebench.sensitivity(edgebench_sensitivity_case)
    except NotApplicable as exc:
        pytest.skip(str(exc))
    request.node.user_properties.append((SENSITIVITY_KEY, found))
