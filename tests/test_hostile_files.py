"""Model files that would run code when loaded: refused by what their bytes and configs
say, before anything is deserialized; the marker their Lambda touches is never made."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tf_keras")
pytest.importorskip("h5py")

from edgebench.artifacts.sources import model_file  # noqa: E402
from edgebench.errors import ModelLoadError  # noqa: E402
from edgebench.frameworks.keras.files import load_keras_model  # noqa: E402
from edgebench.frameworks.keras.safety import check_keras_file, unsafe_objects  # noqa: E402
from tests.conftest import DATA, lay_out_project  # noqa: E402

HOSTILE = ("evil.h5", "evil_h5.keras", "evil.keras", "evil_saved")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The folder of tests/data/make_hostile.py's files and the marker path their Lambda touches."""
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / "PWNED"
    subprocess.run(
        [sys.executable, str(DATA / "make_hostile.py"), str(folder), str(marker)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert not marker.exists()
    return folder, marker


def test_the_files_are_really_hostile(hostile):
    """The check is not vacuous: plain tf_keras loading of the HDF5 file runs the Lambda."""
    folder, marker = hostile
    probe = (
        "import os, sys; os.environ['TF_USE_LEGACY_KERAS'] = '1'; import tf_keras; "
        "tf_keras.models.load_model(sys.argv[1], compile=False)"
    )
    subprocess.run([sys.executable, "-c", probe, str(folder / "evil.h5")], capture_output=True)
    assert marker.exists()
    marker.unlink()


@pytest.mark.parametrize("name", HOSTILE)
def test_a_lambda_is_refused_by_name_and_never_runs(hostile, name):
    folder, marker = hostile
    source = model_file(folder / name)
    assert source.kind == {"evil_saved": "savedmodel", "evil.keras": "keras"}.get(name, "h5")
    with pytest.raises(ModelLoadError, match=r"would run Python code .*'evil' \(Lambda\)"):
        load_keras_model(source.path, source.kind)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["custom.keras", "custom.h5"])
def test_a_registered_custom_layer_is_refused_by_name(hostile, name):
    folder, _ = hostile
    source = model_file(folder / name)
    with pytest.raises(ModelLoadError, match=r"'twice' \((Twice, registered as )?mine>Twice"):
        check_keras_file(source.path, source.kind)


def test_built_in_layers_load(data_dir):
    model = load_keras_model(data_dir / "digits_mlp.keras", "keras")
    assert model.count_params() == 2410


def test_config_walk_names_every_kind_of_code():
    known = frozenset({"Functional", "Dense", "InputLayer", "GlorotUniform"})
    config = {
        "class_name": "Functional",
        "config": {
            "layers": [
                {"class_name": "InputLayer", "config": {"name": "in"}},
                {
                    "class_name": "Dense",
                    "config": {
                        "name": "d",
                        "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
                    },
                },
                {"class_name": "Dense", "module": "evil.layers", "config": {"name": "m"}},
                {
                    "class_name": "Activation",
                    "config": {
                        "name": "a",
                        "activation": {"class_name": "__lambda__", "config": {"code": "..."}},
                    },
                },
                {"class_name": "Gadget", "config": {"name": "g"}},
                {"class_name": 7, "config": {"name": "n"}},
            ]
        },
    }
    found = unsafe_objects(config, known)
    assert "'m' (Dense from module evil.layers)" in found
    assert any("__lambda__" in entry for entry in found)
    assert "'g' (Gadget, not a built-in Keras object)" in found
    assert "'n' (a class name of type int)" in found
    assert not any("'d'" in entry or "'in'" in entry for entry in found)


@pytest.mark.slow
def test_the_bench_refuses_a_renamed_hdf5_lambda_and_goes_on(hostile, pytester, monkeypatch):
    """`pytest bench/ --model lambda.keras` (an HDF5 file renamed): its rows fail with the
    layer's name, the other model's rows pass, the marker is never made."""
    folder, marker = hostile
    lay_out_project(pytester.path, suffixes=())
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    shutil.copy(folder / "evil.h5", pytester.path / "models" / "lambda.keras")
    shutil.copytree(folder / "evil_saved", pytester.path / "models" / "saved")
    shutil.copy(DATA / "digits_mlp.tflite", pytester.path / "models" / "net.tflite")
    result = pytester.runpytest_subprocess(
        "bench",
        "--model",
        "models/lambda.keras,models/saved,models/net.tflite",
        "--runtimes",
        "litert",
        "--threads",
        "1",
        "--rounds",
        "5",
        "--warmup",
        "1",
        "--edgebench-json",
        "run.json",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(["*lambda.keras*refused: loading it would run Python code*"])
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 3 and outcomes.get("failed", 0) >= 4
    records = json.loads(Path(pytester.path / "run.json").read_text())["records"]
    assert {r["model"] for r in records if r["accuracy"] is not None} == {"net.tflite"}
    assert not marker.exists()
