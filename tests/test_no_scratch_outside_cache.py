"""No recipe family writes outside the cache: the folder pytest runs from lists the same
files before and after building every family (converters' scratch, such as ONNX
Runtime's ``sym_shape_infer_temp.onnx`` and ``<uuid>.data``, goes to a scratch folder in
the cache that is removed), and so does the system's temporary folder's edgebench part."""

from __future__ import annotations

import json

import pytest

from tests.conftest import lay_out_project

pytestmark = pytest.mark.slow
pytest.importorskip("tensorflow")
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn.datasets")

#: one recipe of every family the registry parses (int8io is PyTorch only).
EVERY_FAMILY = (
    "fp32,dyn8,int8,fp16,int16x8,ort-dyn,ort-qdq-pc,ort-qop,dfq4-asym-pc,"
    "prune0.5+ft1,sprune0.3+ft1,cluster8,qat,aeq-dyn8,aeq-int8"
)


def _listing(root):
    skip = ("cache", ".pytest_cache", "__pycache__")
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not any(part in skip for part in p.relative_to(root).parts)
        # pytester's own: its basetemp and the subprocess's captured output
        and not p.relative_to(root).parts[0].startswith("runpytest-")
        and str(p.relative_to(root)) not in ("stdout", "stderr")
    )


def test_every_recipe_family_leaves_the_current_folder_as_it_found_it(
    pytester, monkeypatch, tmp_path_factory
):
    # pytester makes the project the home folder; the tools' own ~/.cache and ~/.config
    # (matplotlib, TensorFlow) belong to the user's home, not to the folder pytest runs from
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    lay_out_project(pytester.path, suffixes=(".keras",))
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    before = _listing(pytester.path)
    result = pytester.runpytest_subprocess(
        "bench/test_accuracy.py", "--model", "models/digits_mlp.keras", "--dataset", "digits",
        "--variants", EVERY_FAMILY, "--fine-tune-epochs", "1", "--max-accuracy-drop", "100",
        "--edgebench-json", "out/run.json", "-p", "no:cacheprovider",
    )  # fmt: skip
    records = json.loads((pytester.path / "out" / "run.json").read_text())["records"]
    built = {r["recipe"] for r in records if r["artifact_sha256"]}
    # every family built at least one artifact (a refused conversion would say so here)
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    assert not failed and len(built) >= 14, (built, failed, result.stdout.lines[-40:])
    after = [p for p in _listing(pytester.path) if not p.startswith("out")]
    assert after == before
    leftovers = list((pytester.path / "cache" / "tmp").glob("*scratch*"))
    assert not leftovers
