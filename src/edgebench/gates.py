"""Pass/fail rules applied to measurements."""

from __future__ import annotations


def accuracy_drop_failure(
    variant_id: str,
    baseline_accuracy: float,
    accuracy: float,
    drop_points: float,
    max_drop_points: float | None,
    source: str = "--max-accuracy-drop",
) -> str | None:
    """A failure message when the accuracy drop exceeds the threshold, else ``None``.

    >>> accuracy_drop_failure("m-d-int8-litert", 0.95, 0.90, 5.0, 1.0) is not None
    True
    """
    if max_drop_points is None or drop_points <= max_drop_points:
        return None
    return (
        f"{variant_id}: accuracy {accuracy * 100:.2f}% vs fp32 baseline "
        f"{baseline_accuracy * 100:.2f}% is a drop of {drop_points:.2f} points, "
        f"above the allowed {max_drop_points:.2f} ({source})"
    )
