"""PyTorch model files as users hand them over: TorchScript and torch.export programs run
on ONNX Runtime through the NHWC export; a pickled model is refused, never unpickled."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
# imported now, before any pytester fixture snapshots sys.modules: pytester drops the
# modules a test imported, and torch refuses to register their operators a second time
pytest.importorskip("torch._dynamo")

pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")
pytest.importorskip("ai_edge_litert.interpreter")
pytest.importorskip("sklearn.datasets")

from tests.conftest import lay_out_project  # noqa: E402

QUICK = ("--rounds", "20", "--warmup", "2", "-p", "no:cacheprovider", "--threads", "1")


class TinyNet(torch.nn.Module):
    """NCHW conv -> mean -> linear -> softmax over the 10 digits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.head = torch.nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(torch.relu(self.conv(x)).mean(dim=(2, 3))), dim=1)


# The bench runs in a subprocess (runpytest_subprocess): an in-process run drops the torch
# modules it imported from sys.modules, and torch refuses to register their operators twice.
@pytest.fixture
def project(pytester, monkeypatch):
    lay_out_project(pytester.path, suffixes=())
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    return pytester


@pytest.fixture(scope="module")
def torch_files(tmp_path_factory):
    """A TinyNet saved with torch.jit and torch.export, made before any pytester fixture
    takes its snapshot of sys.modules (the modules torch.export imports stay imported)."""
    torch.manual_seed(0)
    net = TinyNet().eval()
    folder = tmp_path_factory.mktemp("torch_files")
    torch.jit.save(torch.jit.script(net), folder / "net.pt")
    program = torch.export.export(net, (torch.zeros(1, 1, 8, 8),))
    torch.export.save(program, folder / "net.pt2")
    return net, folder


def test_torchscript_and_torch_export_files_run_on_onnx_runtime(torch_files, project):
    net, folder = torch_files
    models = project.path / "models"
    for name in ("net.pt", "net.pt2"):
        shutil.copy(folder / name, models / name)
    result = project.runpytest_subprocess(
        "bench", "--variants", "fp32,ort-qdq,int8", "--edgebench-json", "run.json", *QUICK
    )
    result.assert_outcomes(passed=16)  # per file: 2 accuracy, 2 latency, 4 memory + energy
    result.stdout.fnmatch_lines(["*net.pt-digits-fp32-litert: PyTorch files run on ONNX Runtime*"])
    records = json.loads((project.path / "run.json").read_text())["records"]
    by = {(r["model"], r["recipe"]): r for r in records}
    assert set(by) == {(m, r) for m in ("net.pt", "net.pt2") for r in ("fp32", "ort-qdq")}
    fp32 = by[("net.pt", "fp32")]
    assert fp32["compression"][0]["exporter"] == "torch.onnx.export (torchscript)"
    assert by[("net.pt2", "fp32")]["compression"][0]["exporter"] == "torch.onnx.export (dynamo)"
    # the same weights, the same accuracy through both files and the torch model itself
    from edgebench.data.datasets import load_digits

    digits = load_digits()
    with torch.no_grad():
        scores = net(torch.from_numpy(digits.x_test).permute(0, 3, 1, 2)).numpy()
    expected = float(np.mean(scores.argmax(1) == digits.y_test))
    assert fp32["accuracy"] == pytest.approx(expected)
    assert by[("net.pt2", "fp32")]["accuracy"] == pytest.approx(expected)


def test_a_pickled_model_is_refused_not_loaded(project):
    torch.save(TinyNet(), project.path / "models" / "pickled.pt")
    result = project.runpytest_subprocess(
        "bench", "--variants", "fp32", "--runtimes", "onnxruntime", *QUICK
    )
    result.stdout.fnmatch_lines(["*pickled.pt is a pickle*edgebench never unpickles a file*"])
    assert result.ret == 1


def test_a_refused_pt2_is_one_line_without_torchs_traceback(tmp_path, capfd):
    """torch.export.load logs a whole traceback before it raises; the user sees one line."""
    import zipfile

    from edgebench.errors import ConversionError
    from edgebench.frameworks.pytorch.export import load_torch_model

    path = tmp_path / "bad.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("m/archive_format", "pt2")
        archive.writestr("m/models/model.json", "{not json")
    with pytest.raises(ConversionError, match=r"torch.export.load refused bad.pt2: RuntimeError"):
        load_torch_model(path, "torch-export")
    assert "Traceback" not in capfd.readouterr().err
