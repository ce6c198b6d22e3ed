"""The toolbox steps (issue 25) on real Keras and PyTorch models: factorized models that
compute what the factors say, ranks read back from .tflite and .onnx files, the
distillation losses of both frameworks equal to the numpy reference, and power-of-two
training whose artifact holds only signed powers of two."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.compression.dfq import is_power_of_two
from edgebench.compression.distillation import distillation_loss
from edgebench.progress import NULL_PROGRESS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras():
    from edgebench.frameworks.keras.tfcompat import import_keras

    return import_keras()


def small_functional(keras, classes=5):
    layers = keras.layers
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="a")(inputs)
    x = layers.BatchNormalization(name="a_bn")(x)
    x = layers.Conv2D(16, 1, name="pw")(x)
    x = layers.Conv2D(12, 3, padding="valid", name="b")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(20, activation="relu", name="d")(x)
    outputs = layers.Dense(classes, activation="softmax", name="out")(x)
    return keras.Model(inputs, outputs)


def images(count=6, shape=(12, 12, 3)):
    return np.random.default_rng(1).random((count, *shape)).astype(np.float32)


def test_keras_factors_compute_the_model_at_full_rank_and_shrink_it_at_rank_4(keras):
    from edgebench.frameworks.keras.lowrank import factorize

    model = small_functional(keras)
    x = images()
    full, meta = factorize(model, 64, None, only_if_smaller=False)
    np.testing.assert_allclose(full.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert {layer["layer"] for layer in meta["layers"]} == {"a", "pw", "b", "d"}  # not "out"
    small, meta = factorize(model, 4, None)
    assert small.count_params() < model.count_params()
    by = {layer["layer"]: layer for layer in meta["layers"]}
    assert by["d"]["ranks"] == [4] and by["b"]["ranks"] == [4, 4] and by["pw"]["ranks"] == [4]
    assert small.get_layer("d_lr_in").kernel.shape == (192, 4)  # 4 x 4 x 12 in
    assert small.get_layer("b_lr_core").kernel.shape == (3, 3, 4, 4)
    assert small.get_layer("pw_lr_in").strides == (1, 1)
    sequential = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(10), keras.layers.Dense(3)]
    )
    same, _ = factorize(sequential, 6, None, only_if_smaller=False)
    np.testing.assert_allclose(
        same.predict(np.ones((2, 6)), verbose=0),
        sequential.predict(np.ones((2, 6)), verbose=0),
        atol=1e-5,
    )


def _tflite_weight_shapes(path):
    from edgebench.runtimes.litert import _import_interpreter

    interpreter = _import_interpreter()[0](model_path=str(path))
    shapes = []
    for detail in interpreter.get_tensor_details():
        if len(detail["shape"]) >= 2:
            try:
                values = interpreter.get_tensor(detail["index"])
            except ValueError:  # an activation: no data before invoke
                continue
            shapes.append((tuple(int(d) for d in detail["shape"]), values))
    return shapes


def _onnx_weights(path):
    import onnx
    from onnx import numpy_helper

    return [numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer]


def test_ranks_read_back_from_the_artifact_files(keras, tmp_path):
    from edgebench.artifacts.convert import keras_to_onnx, keras_to_tflite
    from edgebench.frameworks.keras.lowrank import factorize

    factored, _ = factorize(small_functional(keras), 4, None)
    keras_to_tflite(factored, tmp_path / "m.tflite")
    keras_to_onnx(factored, tmp_path / "m.onnx")
    tflite = [shape for shape, _ in _tflite_weight_shapes(tmp_path / "m.tflite")]
    # dense d (192 -> 20) as two fully-connected weights (out, in): (4, 300) and (20, 4)
    assert (4, 192) in tflite and (20, 4) in tflite
    # the Tucker-2 core of b: 4 -> 4 channels, 3x3 (TFLite: O, H, W, I)
    assert (4, 3, 3, 4) in tflite
    onnx_shapes = [w.shape for w in _onnx_weights(tmp_path / "m.onnx")]
    assert (192, 4) in onnx_shapes and (4, 20) in onnx_shapes
    # the core of b in ONNX's (O, I, H, W), between its 1x1 convolutions 16 -> 4 and 4 -> 12
    assert {(4, 4, 3, 3), (4, 16, 1, 1), (12, 4, 1, 1)} <= set(onnx_shapes)


def test_keras_distillation_loss_is_the_reference(keras):
    from edgebench.frameworks.keras.distillation import distillation_objective

    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(8, 5)).astype(np.float32)
    student = rng.normal(size=(8, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 8)
    for activation in ("softmax", None):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation=activation)])
        goal = distillation_objective(model, teacher, 3.0, 0.7)
        targets = goal.encode(labels)
        predicted = (
            student
            if activation is None
            else np.exp(student) / np.exp(student).sum(1, keepdims=True)
        )
        got = float(np.mean(goal.loss(targets, predicted.astype(np.float32)).numpy()))
        assert got == pytest.approx(distillation_loss(student, teacher, labels, 3.0, 0.7), rel=1e-4)


def test_torch_distillation_loss_is_the_reference():
    torch = pytest.importorskip("torch")
    from edgebench.frameworks.pytorch.distillation import distillation_loss as torch_loss

    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(8, 5)).astype(np.float32)
    student = rng.normal(size=(8, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 8)
    loss = torch_loss(torch.from_numpy(teacher), 3.0, 0.7)
    got = float(loss(torch.from_numpy(student), torch.from_numpy(labels), torch.arange(8)))
    assert got == pytest.approx(distillation_loss(student, teacher, labels, 3.0, 0.7), rel=1e-4)


def test_torch_factors_compute_the_module_and_survive_the_cache(tmp_path):
    torch = pytest.importorskip("torch")
    from edgebench.frameworks.pytorch.lowrank import factorize
    from edgebench.frameworks.pytorch.modules import load_module, save_module

    def build():
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
            torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 1),
            torch.nn.Conv2d(16, 12, 3),
            torch.nn.Flatten(),
            torch.nn.Linear(12 * 4 * 4, 20),
            torch.nn.Linear(20, 5),
        ).eval()

    module = build()
    x = torch.from_numpy(images().transpose(0, 3, 1, 2).copy())
    expected = module(x).detach()
    full = build()
    factorize(full, 64, None, only_if_smaller=False)
    np.testing.assert_allclose(full(x).detach(), expected, atol=1e-4)
    small = build()
    meta = factorize(small, 4, None)
    by = {layer["layer"]: layer for layer in meta["layers"]}
    assert "6" not in by  # the output layer stays whole
    assert by["5"]["ranks"] == [4] and by["3"]["ranks"] == [4, 4]
    assert isinstance(small[3], torch.nn.Sequential) and small[3][1].weight.shape == (4, 4, 3, 3)
    save_module(small, tmp_path)
    loaded = load_module(build, tmp_path)
    np.testing.assert_allclose(loaded(x).detach(), small(x).detach(), atol=1e-6)
    assert sum(p.numel() for p in loaded.parameters()) < sum(p.numel() for p in module.parameters())


class FakeContext:
    """The parts of a BuildContext the training steps use, on scikit-learn's digits."""

    def __init__(self, keras, shape=(8, 8, 1)):
        from edgebench.data.datasets import load_digits

        data = load_digits()
        self.x, self.y = data.x_train, data.y_train
        self.seed = 0
        self.progress = NULL_PROGRESS
        self.title = "test"
        self.task = "classify"
        self.verbose = False
        self.calibration_samples = 10

    def training_data(self, input_shape):
        return self.x, self.y

    def training_settings(self):
        from edgebench.artifacts.budget import training_settings

        return training_settings({"learning_rate": 3e-3})

    def objective(self, model):
        from edgebench.frameworks.keras.objectives import objective_for

        return objective_for(None, "classify", model, 10, fine_tune=True)

    def fine_tune_epochs(self, default):
        return default, "default"

    def log(self, message):
        pass


def test_power_of_two_training_leaves_only_powers_of_two_in_the_artifact(keras, tmp_path):
    from edgebench.artifacts.convert import keras_to_onnx, keras_to_tflite
    from edgebench.recipes.po2_training import PowerOfTwoTraining

    layers = keras.layers
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(8, 3, padding="same", use_bias=False, name="c")(inputs)
    x = layers.BatchNormalization(name="c_bn")(x)
    x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs)
    trained, meta = PowerOfTwoTraining(4).fine_tuned(model, FakeContext(keras), 1, "recipe")
    assert not [layer for layer in trained.layers if type(layer).__name__ == "BatchNormalization"]
    assert meta["fine_tune_epochs"] == 1 and meta["quantized_params"] == 8 * 9 + 80
    # 4 bits: 7 magnitudes per channel at most
    assert max(meta["distinct_magnitudes"].values()) <= 7 * 10
    keras_to_tflite(trained, tmp_path / "m.tflite")
    keras_to_onnx(trained, tmp_path / "m.onnx")
    kernels = [v for shape, v in _tflite_weight_shapes(tmp_path / "m.tflite") if len(shape) >= 2]
    assert kernels and all(is_power_of_two(k).all() for k in kernels)
    onnx_kernels = [w for w in _onnx_weights(tmp_path / "m.onnx") if w.ndim >= 2]
    assert onnx_kernels and all(is_power_of_two(k).all() for k in onnx_kernels)
    # per output channel, at most 2^(B-1)-1 = 7 distinct magnitudes
    dense = trained.get_layer("out").kernel.numpy()
    for channel in dense.T:
        assert np.unique(np.abs(channel[channel != 0])).size <= 7
