"""Training progress as users see it: a bar and a summary line through pytest's terminal,
also under output capture and -q; nothing from pytest-xdist workers."""

from __future__ import annotations

import io

import pytest

from edgebench.progress import NULL_PROGRESS, TerminalProgress

TOY_TRAINER = """
from edgebench.terminal import progress_for


def test_trains(request):
    progress = progress_for(request.config)
    bar = progress.bar("training toy on digits", total=6)
    for step in range(6):
        bar.update(1)
        bar.set_postfix({"epoch": f"{step // 3 + 1}/2", "loss": "0.5000"})
    bar.close()
    progress.line("trained toy on digits: 2/2 epochs, batch 32, 1 s, validation accuracy 50.00%")
    print("what the test itself prints stays captured")
"""


@pytest.mark.parametrize("flags", [(), ("-q",)])
def test_bar_and_summary_line_reach_the_terminal_past_capture(pytester, flags):
    pytester.makepyfile(test_toy=TOY_TRAINER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *flags)
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "[edgebench] training toy on digits" in out
    assert "6/6" in out and "epoch=2/2" in out and "loss=0.5000" in out
    result.stdout.fnmatch_lines(
        ["[[]edgebench[]] trained toy on digits: 2/2 epochs, batch 32, 1 s, validation accuracy*"]
    )
    assert "what the test itself prints" not in out


def test_xdist_workers_draw_no_bars(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_toy=TOY_TRAINER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=1)
    assert "[edgebench]" not in result.stdout.str()


def test_a_log_gets_whole_lines_not_carriage_returns():
    stream = io.StringIO()
    progress = TerminalProgress(stream, is_tty=False, log_interval_s=0)
    bar = progress.bar("fine-tuning toy", total=3)
    for _ in range(3):
        bar.update(1)
    bar.close()
    progress.line("fine-tuned toy: 1/1 epochs")
    text = stream.getvalue()
    assert "3/3" in text and text.endswith("[edgebench] fine-tuned toy: 1/1 epochs\n")


def test_null_progress_shows_nothing():
    bar = NULL_PROGRESS.bar("anything", total=10)
    bar.update(5)
    bar.set_postfix({"loss": "1"})
    bar.close()
    NULL_PROGRESS.line("nothing")


@pytest.mark.slow
def test_the_keras_callback_drives_one_bar_over_the_planned_steps():
    """A real (tiny) Keras fit: the bar counts every optimizer step, shows the epoch, loss,
    accuracy and validation accuracy, and the result says where early stopping kept."""
    np = pytest.importorskip("numpy")
    from edgebench.artifacts.budget import plan_training, training_settings
    from edgebench.frameworks.keras.tfcompat import import_keras
    from edgebench.frameworks.keras.training import (
        compile_for_training,
        fit,
        seed_everything,
        summary_line,
    )

    keras = import_keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    settings = training_settings({"epochs": 3, "batch_size": 32, "patience": 1})
    budget = plan_training(len(x), settings)
    seed_everything(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    compile_for_training(model, "sparse_categorical_crossentropy", budget)
    stream = io.StringIO()
    progress = TerminalProgress(stream, is_tty=False, log_interval_s=0)
    train, val = np.arange(40, 400), np.arange(40)
    result = fit(
        model,
        budget,
        (x[train], y[train]),
        validation=(x[val], y[val]),
        seed=0,
        title="training toy",
        progress=progress,
    )
    text = stream.getvalue()
    steps = result.epochs * budget.steps_per_epoch
    assert f"{steps}/{budget.planned_steps}" in text
    assert "epoch=" in text and "loss=" in text and "acc=" in text and "val_acc=" in text
    assert result.validation_accuracy is not None and 0.0 <= result.validation_accuracy <= 1.0
    assert "validation accuracy" in summary_line("trained toy", budget, result)


@pytest.mark.slow
def test_fine_tuning_loss_sees_softmax_through_tfmot_wrappers():
    """prune_low_magnitude and cluster_weights hide the last layer's activation; the loss
    must still read the outputs as probabilities (it read them as logits before)."""
    tfmot = pytest.importorskip("tensorflow_model_optimization")
    from edgebench.frameworks.keras.objectives import ends_in_softmax
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()

    def make(activation: str | None):
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(8, activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Dense(3, activation=activation)(hidden))

    assert ends_in_softmax(make("softmax")) and not ends_in_softmax(make(None))
    assert ends_in_softmax(tfmot.sparsity.keras.prune_low_magnitude(make("softmax")))
    clustered = tfmot.clustering.keras.cluster_weights(make("softmax"), number_of_clusters=4)
    assert ends_in_softmax(clustered)
    assert ends_in_softmax(tfmot.quantization.keras.quantize_model(make("softmax")))
    assert not ends_in_softmax(tfmot.sparsity.keras.prune_low_magnitude(make(None)))
