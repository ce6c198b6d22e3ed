import math

import numpy as np
import pytest

from edgebench.instruments.accuracy import accuracy_drop_points, top1_accuracy
from edgebench.instruments.stats import latency_stats


def test_hand_computed_statistics():
    # 1..10 ms: mean 5.5, p50 5.5, p90 = 9.1 (linear between 9 and 10), min 1, max 10.
    stats = latency_stats([i / 1000 for i in range(1, 11)])
    assert stats.mean_ms == pytest.approx(5.5)
    assert stats.p50_ms == pytest.approx(5.5)
    assert stats.p90_ms == pytest.approx(9.1)
    assert stats.p95_ms == pytest.approx(9.55)
    assert stats.p99_ms == pytest.approx(9.91)
    assert stats.min_ms == pytest.approx(1.0)
    assert stats.max_ms == pytest.approx(10.0)
    assert stats.std_ms == pytest.approx(np.std(np.arange(1, 11), ddof=1))
    assert stats.rounds == 10
    assert stats.throughput_ips == pytest.approx(1000 / 5.5)


def test_order_of_samples_does_not_matter():
    assert latency_stats([0.003, 0.001, 0.002]) == latency_stats([0.001, 0.002, 0.003])


def test_single_sample_has_zero_spread():
    stats = latency_stats([0.002])
    assert stats.std_ms == 0.0
    assert stats.p99_ms == stats.min_ms == 2.0


@pytest.mark.parametrize("samples", [[], [-0.001], [math.nan]])
def test_invalid_samples_are_rejected(samples):
    with pytest.raises(ValueError):
        latency_stats(samples)


def test_top1_accuracy_in_batches():
    x = np.arange(10)
    y = np.array([0, 1] * 5)

    def predict(batch):  # predicts class 1 for odd inputs: all right but the last two inputs
        scores = np.zeros((len(batch), 2))
        scores[np.arange(len(batch)), batch % 2] = 1
        scores[batch >= 8] = scores[batch >= 8][:, ::-1]
        return scores

    assert top1_accuracy(predict, x, y, batch_size=3) == pytest.approx(0.8)


def test_top1_accuracy_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        top1_accuracy(lambda b: b, np.zeros(3), np.zeros(2), 2)


def test_accuracy_drop_in_points():
    assert accuracy_drop_points(0.95, 0.93) == pytest.approx(2.0)
    assert accuracy_drop_points(0.90, 0.91) == pytest.approx(-1.0)
