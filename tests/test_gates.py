from edgebench.gates import accuracy_drop_failure


def test_within_threshold_passes():
    assert accuracy_drop_failure("v", 0.95, 0.945, 0.5, 1.0) is None
    assert accuracy_drop_failure("v", 0.95, 0.94, 1.0, 1.0) is None  # the limit itself is allowed


def test_breach_names_baseline_variant_drop_and_threshold():
    message = accuracy_drop_failure("m-digits-int8-litert", 0.9500, 0.9000, 5.0, 1.0)
    assert message == (
        "m-digits-int8-litert: accuracy 90.00% vs fp32 baseline 95.00% is a drop of 5.00 points, "
        "above the allowed 1.00 (--max-accuracy-drop)"
    )
