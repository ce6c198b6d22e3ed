"""PyTorch zoo models: Torch-Pruning on residual and depthwise blocks, torch.nn.utils.prune
masks, the cache's pickle-free save/load, exports equal to the module, training within a
budget, and a tiny PyTorch zoo model through the plugin."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
# imported now, before any pytester fixture snapshots sys.modules: pytester drops the
# modules a test imported, and torch refuses to register their operators a second time
pytest.importorskip("torch._dynamo")

tp = pytest.importorskip("torch_pruning")
if importlib.util.find_spec("litert_torch") is not None:
    # at collection, for the same reason as torch._dynamo: what litert-torch registers in
    # torch cannot be registered again after a pytester test dropped its modules
    import litert_torch  # noqa: F401

from edgebench.artifacts.budget import plan_training, training_settings  # noqa: E402
from edgebench.artifacts.zoo import ZooSpec  # noqa: E402
from edgebench.cases import exclusion_reason  # noqa: E402
from edgebench.frameworks.pytorch.modules import (  # noqa: E402
    count_parameters,
    load_module,
    save_module,
    structure_of,
    to_nchw,
)
from edgebench.frameworks.pytorch.pruning import (  # noqa: E402
    apply_magnitude_masks,
    keep_zeros,
    kernel_sparsity,
    make_masks_permanent,
    structured_prune,
)
from edgebench.frameworks.pytorch.training import fit  # noqa: E402
from edgebench.recipes import default_registry, parse_recipe  # noqa: E402
from tests.conftest import lay_out_project  # noqa: E402

SHAPE = (16, 16, 3)  # H, W, C


class Residual(torch.nn.Module):
    """conv-bn-relu, then two branches added: a depthwise-separable pair and the identity."""

    def __init__(self, classes: int = 5) -> None:
        super().__init__()
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(16),
            torch.nn.ReLU(),
        )
        self.depthwise = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn = torch.nn.BatchNorm2d(16)
        self.pointwise = torch.nn.Conv2d(16, 16, 1)
        self.head = torch.nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = x + self.pointwise(torch.relu(self.bn(self.depthwise(x))))
        return self.head(x.mean(dim=(2, 3)))


def _trained_like(module: torch.nn.Module) -> torch.nn.Module:
    """Distinct magnitudes per channel and non-trivial batch-norm statistics."""
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn_like(parameter))
        for layer in module.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.uniform_(-0.5, 0.5)
                layer.running_var.uniform_(0.5, 2.0)
    return module.eval()


def _images(count: int = 4) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(count, *SHAPE)).astype(np.float32)


def test_sprune_keeps_the_residual_addition_and_the_depthwise_groups_consistent():
    module = _trained_like(Residual())
    meta = structured_prune(module, 0.5, "l1", seed=0, input_shape=SHAPE)
    # the stem and the pointwise conv feed the same addition: one width for both; the
    # depthwise conv follows the channels it is given; the output layer keeps its width
    assert module.stem[0].out_channels == module.pointwise.out_channels == 8
    assert module.depthwise.in_channels == module.depthwise.groups == 8
    assert module.bn.num_features == 8 and module.head.in_features == 8
    assert module.head.out_features == 5
    assert module(torch.from_numpy(to_nchw(_images()))).shape == (4, 5)
    # parameter counts: ours, Torch-Pruning's own, and a hand count
    _, counted = tp.utils.count_ops_and_params(module, torch.zeros(1, 3, 16, 16))
    by_hand = (3 * 9 * 8) + 2 * 8 + (8 * 9) + 2 * 8 + (8 * 8 + 8) + (8 * 5 + 5)
    assert meta["params_after"] == count_parameters(module) == int(counted) == by_hand
    assert meta["params_before"] == count_parameters(_trained_like(Residual()))
    assert meta["widths"]["stem.0"] == [16, 8]


def test_sprune_round_to_is_torch_pruning_round_to():
    module = _trained_like(Residual())
    meta = structured_prune(module, 0.3, "l1", seed=0, input_shape=SHAPE, round_to=8)
    assert meta["round_to"] == 8
    assert all(after % 8 == 0 for _, after in meta["widths"].values())


def test_sprune_criteria_choose_different_filters_and_the_seed_fixes_random():
    kept = {}
    for criterion in ("l1", "l2", "random"):
        module = _trained_like(Residual())
        structured_prune(module, 0.25, criterion, seed=3, input_shape=SHAPE)
        kept[criterion] = module.stem[0].weight.detach().numpy().copy()
    again = _trained_like(Residual())
    structured_prune(again, 0.25, "random", seed=3, input_shape=SHAPE)
    assert np.array_equal(again.stem[0].weight.detach().numpy(), kept["random"])
    assert not np.array_equal(kept["l1"], kept["random"])


def test_a_pruned_module_survives_the_cache_without_pickles(tmp_path):
    module = _trained_like(Residual())
    structured_prune(module, 0.5, "l1", seed=0, input_shape=SHAPE)
    save_module(module, tmp_path)
    # the weights file is a plain state dict: loadable with weights_only=True
    state = torch.load(tmp_path / "weights.pt", weights_only=True)
    assert state["stem.0.weight"].shape == (8, 3, 3, 3)
    loaded = load_module(Residual, tmp_path)
    assert structure_of(loaded) == structure_of(module)
    x = torch.from_numpy(to_nchw(_images()))
    with torch.no_grad():
        assert torch.equal(loaded(x), module(x))


def test_global_magnitude_masks_reach_the_sparsity_and_fine_tuning_keeps_the_zeros():
    module = _trained_like(Residual())
    apply_magnitude_masks(module, 0.5)
    weights = [
        layer.weight
        for layer in module.modules()
        if isinstance(layer, torch.nn.Conv2d | torch.nn.Linear)
    ]
    zeros = sum(int((w == 0).sum()) for w in weights)
    total = sum(w.numel() for w in weights)
    assert zeros == round(0.5 * total)
    make_masks_permanent(module)
    assert not any(name.endswith("weight_orig") for name, _ in module.named_parameters())
    sparsity = kernel_sparsity(module)
    assert sum(sparsity[n] * module.get_submodule(n).weight.numel() for n in sparsity) == zeros
    # a training step moves the zeros; keep_zeros puts them back
    restore = keep_zeros(module)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    module.train()
    module(torch.from_numpy(to_nchw(_images()))).sum().backward()
    optimizer.step()
    restore()
    assert kernel_sparsity(module) == sparsity


def test_onnx_and_tflite_exports_compute_what_the_module_computes(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from edgebench.frameworks.pytorch.export import export_onnx

    module = _trained_like(Residual())
    structured_prune(module, 0.5, "l1", seed=0, input_shape=SHAPE)
    images = _images()
    with torch.no_grad():
        expected = module(torch.from_numpy(to_nchw(images))).numpy()
    export_onnx(module, SHAPE, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: images})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    if importlib.util.find_spec("litert_torch") is None:
        pytest.skip("litert-torch is not installed (the .tflite half of this test)")
    from ai_edge_litert.interpreter import Interpreter

    from edgebench.frameworks.pytorch.export import export_tflite

    meta = export_tflite(module, SHAPE, tmp_path / "m.tflite")
    assert meta["layout"] == "NHWC" and meta["exporter"].startswith("litert-torch")
    interpreter = Interpreter(str(tmp_path / "m.tflite"))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(inp["shape"]) == (1, *SHAPE)
    for image, want in zip(images, expected, strict=True):
        interpreter.set_tensor(inp["index"], image[None])
        interpreter.invoke()
        np.testing.assert_allclose(
            interpreter.get_tensor(out["index"])[0], want, rtol=1e-4, atol=1e-4
        )


def test_training_is_seeded_bounded_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, *SHAPE)).astype(np.float32)
    y = (x[:, :, :, 0].mean(axis=(1, 2)) > 0).astype(np.int64)
    budget = plan_training(100, training_settings({"epochs": 6, "batch_size": 16}))

    class Bars:
        def __init__(self) -> None:
            self.steps = 0

        def bar(self, title, total, unit="step"):
            outer = self

            class Bar:
                def update(self, n=1):
                    outer.steps += n

                def set_postfix(self, *args, **kwargs):
                    pass

                def close(self):
                    pass

            return Bar()

        def line(self, text):
            pass

    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        module = Residual(classes=2)
        bars = Bars()
        result = fit(
            module,
            budget,
            (x[:100], y[:100]),
            validation=(x[100:], y[100:]),
            seed=0,
            title="t",
            progress=bars,
        )
        runs.append((result, module.head.weight.detach().numpy().copy(), bars.steps))
    (first, weights, steps), (second, weights2, _) = runs
    assert (
        np.array_equal(weights, weights2)
        and first.validation_accuracy == second.validation_accuracy
    )
    assert steps == first.epochs * budget.steps_per_epoch <= budget.planned_steps
    assert first.best_epoch is not None and 1 <= first.best_epoch <= first.epochs


def test_torch_zoo_rows_that_cannot_be_built_say_why():
    spec = ZooSpec("torch_mobilenet_v1", framework="torch")
    registry = default_registry()

    def reason(recipe, runtime):
        return exclusion_reason(spec, parse_recipe(recipe, registry), runtime)

    assert reason("sprune0.3+ft2+ort-qdq", "onnxruntime") is None
    assert reason("prune0.5+ft1", "onnxruntime") is None
    assert "cluster16 has no PyTorch implementation" in reason("cluster16", "onnxruntime")
    assert "prune0.5-poly has no PyTorch" in reason("prune0.5-poly", "onnxruntime")
    assert "converts a Keras model" in reason("int8", "onnxruntime")
    assert "its float conversion, or int8io" in reason("ort-qdq", "litert")
    assert "or int8io through litert-torch" in reason("int8", "litert")
    assert "cannot be expressed as onnx" in reason("int8io", "onnxruntime")
    litert, int8io = reason("fp32", "litert"), reason("int8io", "litert")
    if importlib.util.find_spec("litert_torch") is None:
        assert "litert-torch" in litert and "litert-torch" in int8io
    else:
        assert litert is None and int8io is None


def test_int8io_through_litert_torch_pt2e_stays_close_to_the_module(tmp_path):
    """litert-torch's PT2E quantizer: a .tflite with int8 input and output and int8
    kernels whose dequantized scores stay within a few quantization steps of the module."""
    if importlib.util.find_spec("litert_torch") is None:
        pytest.skip("litert-torch is not installed")
    from ai_edge_litert.interpreter import Interpreter

    from edgebench.frameworks.pytorch.export import export_tflite_int8

    module = _trained_like(Residual())
    calibration = np.random.default_rng(1).normal(size=(32, *SHAPE)).astype(np.float32)
    meta = export_tflite_int8(module, SHAPE, tmp_path / "q.tflite", calibration)
    assert "int8 input/output" in meta["scheme"] and "PT2E" in meta["exporter"]
    interpreter = Interpreter(str(tmp_path / "q.tflite"))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    convolutions = [op for op in interpreter._get_ops_details() if op["op_name"] == "CONV_2D"]
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    assert convolutions and all(  # int8 kernels, not float ones between (de)quantize ops
        tensors[op["inputs"][1]]["dtype"] == np.int8 for op in convolutions
    )
    images = calibration[:8]
    with torch.no_grad():
        expected = module(torch.from_numpy(to_nchw(images))).numpy()
    (in_scale, in_zero), (out_scale, out_zero) = inp["quantization"], out["quantization"]
    got = []
    for image in images:
        q = np.clip(np.round(image / in_scale) + in_zero, -128, 127).astype(np.int8)
        interpreter.set_tensor(inp["index"], q[None])
        interpreter.invoke()
        got.append(
            (interpreter.get_tensor(out["index"])[0].astype(np.float32) - out_zero) * out_scale
        )
    spread = float(expected.max() - expected.min())
    assert np.abs(np.array(got) - expected).max() < 0.1 * spread


TINY_ZOO_MODULE = """
FRAMEWORK = "torch"
DEFAULTS = {"width": 16}
TRAINING = {"epochs": 6, "batch_size": 64, "learning_rate": 1e-2}
MIN_INPUT_SIZE = 8


def build(torch, input_shape, num_classes, width=16):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(input_shape[2], width, 3, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False),
        nn.Conv2d(width, 2 * width, 1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * width, num_classes),
    )
"""


def test_a_pytorch_zoo_model_through_the_plugin(pytester, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("sklearn.datasets")
    lay_out_project(pytester.path, suffixes=())
    pytester.makeini("[pytest]\n")
    (pytester.path / "models" / "tiny_torch.py").write_text(TINY_ZOO_MODULE)
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    # in a subprocess: an in-process run drops the torch modules it imported from
    # sys.modules, and torch cannot register their operators a second time
    result = pytester.runpytest_subprocess(
        "bench",
        "--model",
        "tiny_torch",
        "--variants",
        "fp32,sprune0.5+ft1,prune0.5+ft1,ort-qdq,int8io,cluster16,sprune0.5+kd1,lowrank4",
        "--edgebench-json",
        "run.json",
        "--rounds",
        "20",
        "--warmup",
        "2",
        "--threads",
        "1",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(
        [
            "*trained tiny_torch on digits: */6 epochs*validation accuracy*",
            "*tiny_torch-digits-cluster16-onnxruntime*cluster16 has no PyTorch implementation*",
        ]
    )
    records = json.loads((pytester.path / "run.json").read_text())["records"]
    by = {(r["recipe"], r["runtime"]): r for r in records}
    runtimes = {"onnxruntime"} | ({"litert"} if importlib.util.find_spec("litert_torch") else set())
    expected = {
        (recipe, rt)
        for recipe in ("fp32", "sprune0.5+ft1", "prune0.5+ft1", "sprune0.5+kd1", "lowrank4")
        for rt in runtimes
    }
    if "litert" in runtimes:
        expected.add(("int8io", "litert"))
    assert expected | {("ort-qdq", "onnxruntime")} == set(by)
    fp32 = by[("fp32", "onnxruntime")]
    assert fp32["training"]["framework"] == "torch" and fp32["training"]["epochs_run"] >= 1
    assert fp32["accuracy"] is not None and fp32["accuracy"] > 0.3
    pruned = by[("sprune0.5+ft1", "onnxruntime")]
    assert pruned["params"] < fp32["params"]
    step = pruned["compression"][0]
    assert step["tool"].startswith("torch-pruning") and step["params_after"] == pruned["params"]
    distilled = by[("sprune0.5+kd1", "onnxruntime")]
    (kd,) = [step for step in distilled["compression"] if step["step"] == "kd1"]
    assert kd["distillation"]["teacher_params"] == fp32["params"] and kd["fine_tune_epochs"] == 1
    assert distilled["params"] == pruned["params"] and distilled["accuracy"] > 0.3
    factored = by[("lowrank4", "onnxruntime")]
    layers = {entry["layer"]: entry for entry in factored["compression"][0]["layers"]}
    # the 3x3 stem (1 -> 16): Tucker-2 with the input mode whole; the 1x1 (16 -> 32): SVD;
    # the depthwise convolution and the classifier stay whole
    assert layers["0"]["ranks"] == [1, 4] and layers["4"]["ranks"] == [4]
    assert set(layers) == {"0", "4"}
    assert factored["params"] == fp32["params"] - (144 + 512) + (9 * 4 + 4 * 16) + (16 * 4 + 4 * 32)
    sparse = by[("prune0.5+ft1", "onnxruntime")]["compression"][0]
    assert sparse["tool"].startswith("torch.nn.utils.prune") and sparse["fine_tune_epochs"] == 1
    if "litert" in runtimes:  # the same weights through both converters: the same accuracy
        assert abs(by[("fp32", "litert")]["accuracy"] - fp32["accuracy"]) < 0.01
        assert abs(by[("lowrank4", "litert")]["accuracy"] - factored["accuracy"]) < 0.01
        quantized = by[("int8io", "litert")]
        assert "PT2E" in quantized["compression"][-1]["exporter"]
        assert quantized["file_bytes"] < by[("fp32", "litert")]["file_bytes"]
        assert quantized["accuracy"] > fp32["accuracy"] - 0.1
    assert "error" not in result.parseoutcomes()


def test_tv_names_a_torchvision_architecture(monkeypatch, tmp_path):
    """``tv:NAME`` through the zoo, against a stand-in torchvision (the real one does not
    import beside this machine's CPU torch): the name parsed as the architecture, random
    init for the dataset's classes, pretrained weights with a new last layer, grey images
    widened to three channels, offline weights a clear unavailability."""
    import sys
    import types
    from pathlib import Path

    from edgebench.artifacts.zoo import load_architectures, parse_zoo_spec
    from edgebench.errors import DatasetUnavailable, UsageError

    calls = []

    def get_model(name, weights=None, num_classes=1000):
        calls.append((name, weights, num_classes))
        if weights == "OFFLINE":
            raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(4, num_classes),
        )

    fake = types.ModuleType("torchvision")
    fake.models = types.SimpleNamespace(
        list_models=lambda module=None: ["mobilenet_v2", "resnet18"], get_model=get_model
    )
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    zoo = load_architectures(Path(__file__).parents[1] / "models")
    spec = parse_zoo_spec("tv:resnet18:weights=DEFAULT", zoo)
    assert spec.id == "tv:resnet18:weights=DEFAULT" and spec.framework == "torch"
    assert parse_zoo_spec("tv:mobilenet_v2", zoo).id == "tv:mobilenet_v2"
    tv = zoo["tv"]
    plain = tv.module.build(
        torch, (32, 32, 3), 7, **dict(parse_zoo_spec("tv:resnet18", zoo).params)
    )
    assert calls[-1] == ("resnet18", None, 7) and plain[-1].out_features == 7
    grey = tv.module.build(torch, (32, 32, 1), 7, **dict(spec.params))
    assert calls[-1] == ("resnet18", "DEFAULT", 1000)
    assert grey(torch.zeros(2, 1, 32, 32)).shape == (2, 7)  # new last layer, grey widened
    with pytest.raises(UsageError, match="not a torchvision classification model"):
        tv.module.build(torch, (32, 32, 3), 7, arch="vgg99")
    with pytest.raises(DatasetUnavailable, match="cannot be downloaded"):
        tv.module.build(torch, (32, 32, 3), 7, arch="resnet18", weights="OFFLINE")
    from edgebench.artifacts.sources import resolve_models

    assert "tv" not in [s.name for s in resolve_models("zoo", zoo, tmp_path, tmp_path)]
