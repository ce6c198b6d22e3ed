"""edgebench's options: the table of them, and their resolution into :class:`Settings`.

pytest-free: the plugin declares each :data:`OPTIONS` entry as a command-line option and
a pytest.ini key, and passes a getter (``name -> raw string``) here; the CLI can do the
same. A wrong value raises :class:`UsageError` with a one-line message.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgebench.errors import UsageError
from edgebench.option_decl import Option, parse_number
from edgebench.owned_options import owned_options
from edgebench.runtimes.registry import declared_options, default_runtime_names, runtime_names

if TYPE_CHECKING:
    from edgebench.devices import DeviceProfile
    from edgebench.recipes import StepRegistry
    from edgebench.settings import Settings

#: ``name -> raw value`` (command line, else pytest.ini, else the default), stripped.
Getter = Callable[[str], str]

#: named sets of recipes ``--variants`` accepts beside recipe names.
VARIANT_SETS: dict[str, tuple[str, ...]] = {
    # what the suite is for, in one table: the float baseline, the four post-training
    # quantizations (LiteRT dynamic-range, full-integer, float16; ONNX Runtime static QDQ),
    # unstructured pruning, structured pruning with fine-tuning, clustering, a chain
    "milestone": (
        "fp32",
        "dyn8",
        "int8",
        "fp16",
        "ort-qdq",
        "prune0.5+ft4",
        "sprune0.2+ft10",
        "cluster16",
        "prune0.5+ft4+int8",
    ),
    # the rest of the toolbox (docs/toolbox.md): distillation beside fine-tuning at equal
    # epochs, low-rank factorization, power-of-two training beside post-training po2
    "toolbox": (
        "fp32",
        "sprune0.5+ft3",
        "sprune0.5+kd3",
        "lowrank-e0.9+ft3",
        "lowrank8+ft3",
        "qat-po2",
        "dfq6-po2-pc",
    ),
}

#: the sweeps ``--sweep`` selects, as in the milestone tables users keep.
SWEEPS: dict[str, tuple[str, ...]] = {
    "sprune": tuple(f"sprune{f}" for f in ("0.05", "0.1", "0.2", "0.3", "0.4", "0.5")),
    "prune": tuple(f"prune{s}" for s in ("0.2", "0.4", "0.6", "0.8")),
    "cluster": tuple(f"cluster{k}" for k in (8, 16, 32)),
    "lowrank": tuple(f"lowrank{r}+ft3" for r in (8, 16, 32, 64)),
}


OPTIONS: tuple[Option, ...] = (
    Option(
        "--device",
        "edgebench_device",
        "host",
        "device profile(s) to measure on, comma list (see 'edgebench devices'); a profile with "
        "hosts= is measured on its boards over SSH, every device's rows in one run",
    ),
    Option(
        "--model",
        "edgebench_model",
        "auto",
        "comma list of zoo models (name or name:key=value) and model file paths; "
        "'auto' = the default zoo model plus every model file in the models folder, "
        "'zoo' = every zoo model",
    ),
    Option(
        "--dataset",
        "edgebench_dataset",
        "digits",
        "comma list of datasets: digits, fashion-mnist, mnist, cifar10, cifar100, shapes-seg, "
        "shapes-det, voc, coco-val, npz:PATH, masks:PATH, cityscapes:PATH, coco:PATH, random",
    ),
    Option(
        "--variants",
        "edgebench_variants",
        "fp32",
        "comma list of compression recipes, e.g. fp32,int8,ort-qdq,dfq4-asym-pc,sprune0.3+ft5+int8 "
        "(an unknown step lists every known one), or a set: "
        + "; ".join(f"'{name}': {','.join(recipes)}" for name, recipes in VARIANT_SETS.items())
        + " (this repository's pytest.ini selects 'milestone')",
    ),
    Option(
        "--threads",
        "edgebench_threads",
        "",
        "comma list of thread counts (default: the device profile's)",
    ),
    Option(
        "--runtimes",
        "edgebench_runtimes",
        ",".join(default_runtime_names()),
        "comma list of runtimes (also: litert-compiled, LiteRT's CompiledModel API)",
    ),
    Option(
        "--rounds", "edgebench_rounds", "200", "timed rounds per latency test (one invoke each)"
    ),
    Option("--warmup", "edgebench_warmup", "20", "untimed warm-up rounds before timing"),
    Option(
        "--max-accuracy-drop",
        "edgebench_max_accuracy_drop",
        "1.0",
        "largest allowed accuracy drop against fp32, in percentage points",
    ),
    Option(
        "--edgebench-json",
        "edgebench_json",
        "",
        "run file to write (default: .edgebench/runs/<UTC timestamp>.json)",
    ),
    Option(
        "--models-dir", "edgebench_models_dir", "models", "folder of zoo builders and model files"
    ),
    Option("--edgebench-seed", "edgebench_seed", "0", "seed for training and random inputs"),
    Option(
        "--calibration-samples",
        "edgebench_calibration_samples",
        "200",
        "training samples used to calibrate full-integer and static quantization",
    ),
    Option(
        "--train-epochs",
        "edgebench_train_epochs",
        "",
        "train zoo models for exactly this many epochs (default: the architecture's epochs as "
        "a ceiling under a bound of optimizer steps, with early stopping on a validation split)",
    ),
    Option(
        "--fine-tune-epochs",
        "edgebench_fine_tune_epochs",
        "",
        "fine-tuning epochs of prune, cluster and qat steps whose recipe names none "
        "(default 2; an explicit +ftE or qatE in the recipe wins)",
    ),
    Option(
        "--kd-teacher",
        "edgebench_kd_teacher",
        "",
        "the teacher of every kd<E> step: a zoo model (name or name:key=value, e.g. "
        "mobilenet_v1:alpha=1.0 for a narrower student) or a model file, trained or read like "
        "--model; default: each model's own fp32",
    ),
    Option(
        "--output-adapter",
        "edgebench_output_adapter",
        "",
        "how a model file's outputs become its task's input: centernet, "
        "tflite-detection-postprocess, ssd-anchors:anchors=PATH.npy (default: scored as they "
        "are; zoo models name their own)",
    ),
    Option(
        "--convert",
        "edgebench_convert",
        "true",
        "also run a model file on the runtimes a registered converter reaches from its format "
        "(a .tflite on ONNX Runtime through tf2onnx, with every ONNX Runtime recipe); false: "
        "each file on the runtimes of its own format only",
        kind="flag",
    ),
    Option(
        "--isolate",
        "edgebench_isolate",
        "false",
        "time latency in a fresh worker process (numpy and the runtime only) instead of "
        "pytest-benchmark's timer in the pytest process",
    ),
    Option(
        "--profile-ops",
        "edgebench_profile_ops",
        "false",
        "also profile every row per operator (time per operator type, slowest nodes) with "
        "the runtime's own profiler, in a pass of its own that never touches the latency "
        "figures; the report gets an operator table per model and runtime",
    ),
    Option(
        "--stall-timeout",
        "edgebench_stall_timeout",
        "120",
        "seconds a measurement job may go without reporting progress (rounds timed, images "
        "scored, a board lock waited for) before it is stopped as hung and its test fails; a "
        "long job that keeps reporting runs as long as it needs",
    ),
    Option(
        "--meter",
        "edgebench_meter",
        "",
        "power meter: auto, rapl, hwmon, nvml, command, none (default: the device profile's)",
    ),
    Option(
        "--meter-command",
        "edgebench_meter_command",
        "",
        "for --meter command: a command that prints one reading in W (or '<n> J')",
    ),
    Option(
        "--baseline",
        "edgebench_baseline",
        "",
        "saved run file(s) to gate latency against: PATH[,PATH...], 'latest' (the newest in "
        ".edgebench/runs), 'latest:N' (the N newest) or 'history:N' (the N newest runs of the "
        "--history store made on a machine like this one); with several runs each row is "
        "judged against the slowest of them, so the run-to-run noise of this machine is forgiven",
    ),
    Option(
        "--max-slowdown",
        "edgebench_max_slowdown",
        "p50:10%",
        "allowed slowdown per statistic against --baseline, e.g. 'p50:10%,p90:25%'",
    ),
    Option(
        "--gate-retries",
        "edgebench_gate_retries",
        "8",
        "re-time a row the latency gate finds slower up to this many times, pausing 1 s, 2 s, "
        "then 4 s (27 s for 8); it fails only if every attempt is significantly slower (a slow "
        "phase of the machine passes, a real slowdown does not); 0 judges the first timing only",
    ),
    Option(
        "--expect-speedup",
        "edgebench_expect_speedup",
        "",
        "same-run gates: 'int8:1.3' fails when int8 is not 1.3x faster (p50) than fp32 in this run",
    ),
    Option(
        "--sweep",
        "edgebench_sweep",
        "",
        "default compression sweeps to add, each with and without int8: "
        + "; ".join(f"{name}: {', '.join(values)}" for name, values in SWEEPS.items()),
    ),
    Option(
        "--bit-sweep",
        "edgebench_bit_sweep",
        "",
        "data-free bit sweeps to add, e.g. 'asym-pc,po2-pt' adds dfq2..8-asym-pc and dfq2..8-po2-pt; "
        "the run records each sweep's bit limit",
    ),
    Option(
        "--history",
        "edgebench_history",
        "",
        "a history folder (edgebench history): the run file is filed there by commit, time, "
        "device and machine when the session ends",
    ),
    Option(
        "--mlflow",
        "edgebench_mlflow",
        "",
        "log every record as an MLflow run when the session ends: a tracking URI, or a folder "
        "for MLflow's file store (e.g. mlruns); needs edgebench[mlflow]",
    ),
    Option(
        "--allow-empty-run",
        "edgebench_allow_empty",
        "false",
        "exit 0 even when every edgebench test was skipped and nothing was measured "
        "(for exploratory runs; a CI gate that measured nothing fails by default)",
    ),
    Option(
        "--task",
        "edgebench_task",
        "classify",
        "what accuracy means for the models: a registered task (built in: classify, top-1)",
    ),
    Option(
        "--threshold",
        "edgebench_threshold",
        "",
        "accuracy-drop thresholds per recipe family, e.g. 'int8=0.5,dfq4=3,dfq3=none' "
        "(also [tool.edgebench.thresholds] in pyproject.toml, edgebench_thresholds lines in pytest.ini)",
    ),
    # the options runtimes, targets, tasks and measurements declare: --onnx-provider,
    # --energy-seconds, --eval-batch-size, ...
    *owned_options(),
)


#: the core's numeric options: (name, type, smallest allowed value, largest allowed
#: value); an owner's numeric option declares its bounds on its ``Option``. The upper
#: bounds keep a typo from running for days or filling memory: 10 million timed rounds
#: keep 80 MB of samples; a worker may run for a day.
NUMBERS: tuple[tuple[str, type, float, float], ...] = (
    ("edgebench_rounds", int, 1, 10_000_000),
    ("edgebench_warmup", int, 0, 1_000_000),
    ("edgebench_max_accuracy_drop", float, 0.0, 100.0),
    ("edgebench_seed", int, 0, 2**32 - 1),
    ("edgebench_calibration_samples", int, 1, 1_000_000),
    ("edgebench_gate_retries", int, 0, 100),
    ("edgebench_stall_timeout", float, 1.0, 86_400.0),
)


def _number(get: Getter, name: str, kind: type, minimum: float, maximum: float) -> Any:
    flag = next((o.flag for o in OPTIONS if o.ini == name), name)
    return parse_number(flag, get(name), kind, minimum, maximum)


#: numeric options that may be left empty (``None``): (name, type, smallest, largest).
OPTIONAL_NUMBERS: tuple[tuple[str, type, float, float], ...] = (
    ("edgebench_train_epochs", int, 1, 100_000),
    ("edgebench_fine_tune_epochs", int, 0, 100_000),
)


def _optional_number(get: Getter, name: str, kind: type, minimum: float, maximum: float) -> Any:
    return _number(get, name, kind, minimum, maximum) if get(name) else None


#: every numeric option's (type, smallest, largest), by name: the core's and the owners'.
LIMITS: dict[str, tuple[type, float, float]] = {
    **{name: tuple(limits) for name, *limits in (*NUMBERS, *OPTIONAL_NUMBERS)},  # type: ignore[misc]
    **{o.ini: o.bounds for o in OPTIONS if o.bounds is not None},
}


def _flag(get: Getter, name: str) -> bool:
    raw = get(name).lower()
    if raw in ("1", "true", "yes", "on", ""):
        return raw != ""
    if raw in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name} must be true or false, got {raw!r}")


def resolve_baseline(raw: str, base: Path, history: str = "") -> tuple[Path, ...]:
    """The baseline run files: comma-separated paths, ``latest`` (the newest saved run),
    ``latest:N`` (the N newest saved runs) or ``history:N`` (the N newest runs of the
    history store, ``history`` or ``.edgebench/history``, measured on a machine like this
    one); ``()`` when empty.

    Several runs tell the gate how much each row moves between runs on this machine.
    """
    from edgebench.results import load_run, saved_runs
    from edgebench.run_files import RunFileError

    found: list[Path] = []
    for item in (i.strip() for i in raw.split(",")):
        if not item:
            continue
        name, _, count = item.partition(":")
        if name == "history":
            if not (count.isdigit() and int(count) > 0):
                raise UsageError(f"--baseline {item}: expected history:N with N >= 1")
            found += _history_baseline(base, history, int(count), item)
            continue
        if name == "latest":
            if count and not (count.isdigit() and int(count) > 0):
                raise UsageError(f"--baseline {item}: expected latest or latest:N with N >= 1")
            runs = saved_runs(base / ".edgebench" / "runs")
            if not runs:
                raise UsageError(f"--baseline {item}: no saved run in .edgebench/runs yet")
            found += runs[-int(count or 1) :]
            continue
        path = Path(item) if Path(item).is_absolute() else base / item
        if not path.is_file():
            raise UsageError(f"--baseline {item}: no such run file")
        found.append(path)
    for path in found:
        try:
            load_run(path)
        except RunFileError as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            raise UsageError(
                f"--baseline {path}: not a readable edgebench run file ({reason})"
            ) from exc
    return tuple(dict.fromkeys(found))


def _tolerances(raw: str) -> dict[str, float]:
    from edgebench.instruments.compare import parse_tolerances

    try:
        return parse_tolerances(raw)
    except ValueError as exc:
        raise UsageError(f"--max-slowdown: {exc}") from exc


def _speedups(raw: str) -> dict[str, float]:
    found = {}
    for item in _comma_list(raw):
        recipe, sep, factor = item.rpartition(":")
        if not sep or not recipe:
            raise UsageError(f"--expect-speedup: {item!r} is not RECIPE:FACTOR")
        found[recipe] = parse_number(f"--expect-speedup {recipe}", factor, float, 0.001, 1000.0)
    return found


def expand_variant_sets(variants: Sequence[str]) -> list[str]:
    """Replace the name of a set in :data:`VARIANT_SETS` by its recipes.

    >>> expand_variant_sets(["milestone", "dfq4"])[:3]
    ['fp32', 'dyn8', 'int8']
    """
    return [r for v in variants for r in VARIANT_SETS.get(v, (v,))]


def _history_baseline(base: Path, history: str, count: int, item: str) -> list[Path]:
    """The files of the ``count`` newest runs in the history store made on a machine like
    this one (its architecture and CPU model)."""
    from edgebench.history.store import HistoryStore
    from edgebench.provenance import cpu_model

    root = Path(history) if history else Path(".edgebench/history")
    root = root if root.is_absolute() else base / root
    if not (root / "index.sqlite").is_file():
        raise UsageError(
            f"--baseline {item}: no history at {root} (--history DIR, or edgebench history add)"
        )
    store = HistoryStore(root)
    machine, cpu = platform.machine(), cpu_model()
    alike = [r for r in store.runs() if r.machine == machine and r.cpu == cpu]
    if not alike:
        raise UsageError(
            f"--baseline {item}: the history at {root} has no run made on {machine} {cpu}"
        )
    return [root / run.file for run in alike[-count:]]


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def resolve_settings(
    get: Getter,
    base: Path,
    profiles: dict[str, DeviceProfile],
    *,
    ini_thresholds: Sequence[str] = (),
    register_steps: Callable[[StepRegistry], None] | None = None,
    verbose: bool = False,
) -> tuple[Settings, dict[str, Any]]:
    """Resolve every option into :class:`Settings`, plus the zoo architectures and the
    recipe step registry (``{"architectures": ..., "registry": ...}``)."""

    def number(name: str) -> Any:
        return _number(get, name, *LIMITS[name])

    def optional(name: str) -> Any:
        return _optional_number(get, name, *LIMITS[name])

    from edgebench.artifacts.sources import resolve_models
    from edgebench.artifacts.zoo import load_architectures
    from edgebench.data.datasets import validate_spec
    from edgebench.devices import parse_threads, resolve_profiles
    from edgebench.provenance import usable_cores
    from edgebench.recipes import default_registry, parse_recipes, split_variants
    from edgebench.recipes.core import starts_with_a_step
    from edgebench.settings import Settings
    from edgebench.thresholds import parse_assignments, pyproject_thresholds

    devices = resolve_profiles(get("edgebench_device"), profiles)
    profile = devices[0]
    registry = default_registry()
    if register_steps is not None:
        register_steps(registry)
    steps = starts_with_a_step(registry)
    variants = expand_variant_sets(
        split_variants(get("edgebench_variants"), lambda p: p in VARIANT_SETS or steps(p))
    )
    variants += [f"dfq2..8-{sweep}" for sweep in _comma_list(get("edgebench_bit_sweep"))]
    for sweep in _comma_list(get("edgebench_sweep")):
        if sweep not in SWEEPS:
            raise UsageError(f"unknown sweep {sweep!r}; known: {', '.join(SWEEPS)}")
        variants += [v for recipe in SWEEPS[sweep] for v in (recipe, f"{recipe}+int8")]
    recipes = parse_recipes(variants, registry)
    datasets = [validate_spec(s, base) for s in _comma_list(get("edgebench_dataset"))]
    runtimes = _runtimes(get("edgebench_runtimes"))
    raw_threads = get("edgebench_threads")
    cores = usable_cores()
    threads = parse_threads(raw_threads) if raw_threads else profile.thread_counts(cores)
    models_dir = Path(get("edgebench_models_dir"))
    models_dir = models_dir if models_dir.is_absolute() else base / models_dir
    architectures = load_architectures(models_dir)
    task = _task(get("edgebench_task"))
    declared = _declared_by_files(get("edgebench_model"), models_dir, base)
    if declared.get("task") and get("edgebench_task") == DEFAULT_TASK_NAME:
        task = _task(declared["task"])  # the model file says what it is for
    sources = resolve_models(get("edgebench_model"), architectures, models_dir, base, task)
    teacher_option = get("edgebench_kd_teacher").strip()
    teachers = (
        resolve_models(teacher_option, architectures, models_dir, base, task)
        if teacher_option
        else []
    )
    if len(teachers) > 1:
        raise UsageError(
            f"--kd-teacher names one model, not {len(teachers)} ({', '.join(t.id for t in teachers)})"
        )
    thresholds = pyproject_thresholds(base / "pyproject.toml")
    thresholds.update(parse_assignments(list(ini_thresholds), "edgebench_thresholds"))
    thresholds.update(parse_assignments(_comma_list(get("edgebench_threshold")), "--threshold"))
    settings = Settings(
        profile=profile,
        sources=tuple(sources),
        datasets=tuple(dict.fromkeys(datasets)),
        recipes=tuple(recipes),
        runtimes=runtimes,
        threads=tuple(threads),
        rounds=number("edgebench_rounds"),
        warmup=number("edgebench_warmup"),
        max_accuracy_drop=number("edgebench_max_accuracy_drop"),
        runtime_options={o.key: get(o.ini) or o.default for o in declared_options()},
        options=_owned_values(get),
        base_dir=base,
        cores=cores,
        seed=number("edgebench_seed"),
        calibration_samples=number("edgebench_calibration_samples"),
        train_epochs=optional("edgebench_train_epochs"),
        kd_teacher=teachers[0] if teachers else None,
        output_adapter=_output_adapter(
            get("edgebench_output_adapter") or declared.get("output_adapter", "")
        ),
        fine_tune_epochs=optional("edgebench_fine_tune_epochs"),
        isolate=_flag(get, "edgebench_isolate"),
        convert=_flag(get, "edgebench_convert"),
        profile_ops=_flag(get, "edgebench_profile_ops"),
        meter=get("edgebench_meter") or profile.meter,
        meter_command=get("edgebench_meter_command"),
        baseline=resolve_baseline(get("edgebench_baseline"), base, get("edgebench_history")),
        max_slowdown=_tolerances(get("edgebench_max_slowdown")),
        gate_retries=number("edgebench_gate_retries"),
        expect_speedup=_speedups(get("edgebench_expect_speedup")),
        stall_timeout_s=number("edgebench_stall_timeout"),
        thresholds=thresholds,
        task=task,
        devices=devices,
        meter_option=get("edgebench_meter"),
        explicit_threads=parse_threads(raw_threads) if raw_threads else (),
        verbose=verbose,
    )
    return settings, {"architectures": architectures, "registry": registry}


def _owned_values(get: Getter) -> dict[str, Any]:
    """The checked values of the options targets, tasks and measurements declare, by key
    (what their owners read in ``Settings.options``)."""
    runtime_owned = {o.ini for o in declared_options()}
    return {o.key: o.parse(get(o.ini)) for o in owned_options() if o.ini not in runtime_owned}


def _runtimes(raw: str) -> tuple[str, ...]:
    runtimes = _comma_list(raw)
    known = runtime_names()
    unknown = [r for r in runtimes if r not in known]
    if unknown or not runtimes:
        raise UsageError(f"unknown runtime(s) {unknown}; known: {', '.join(known)}")
    return tuple(dict.fromkeys(runtimes))


DEFAULT_TASK_NAME = "classify"


def _declared_by_files(option: str, models_dir: Path, base: Path) -> dict[str, str]:
    """The task and output adapter the model files of ``--model`` declare in their
    metadata (``artifacts.metadata``), when they agree (``UsageError`` when two disagree)."""
    from edgebench.artifacts.metadata import model_metadata
    from edgebench.artifacts.sources import discover_model_files, model_file

    files = []
    for item in _comma_list(option):
        if item == "auto":
            files += discover_model_files(models_dir)
            continue
        path = Path(item).expanduser()
        path = path if path.is_absolute() else base / path
        if path.is_file():
            files.append(model_file(path))
    found: dict[str, str] = {}
    for source in (f for f in files if not f.problem):
        for key, value in model_metadata(source.path, source.kind).items():
            if found.setdefault(key, value) != value:
                raise UsageError(
                    f"the model files declare different {key}s ({found[key]}, {value}); "
                    "run them in separate sessions"
                )
    return found


def _output_adapter(name: str) -> str | None:
    from edgebench.tasks.adapters import adapter_spec, parse_adapter

    if not name:
        return None
    adapter_spec(name)  # a usage error naming the known ones
    base, params = parse_adapter(name)
    if base == "ssd-anchors":
        from edgebench.tasks.ssd import load_anchors

        if "anchors" not in params:
            raise UsageError("--output-adapter ssd-anchors needs anchors=PATH (an .npy of (A, 4))")
        load_anchors(params["anchors"])  # a usage error when it cannot be read
    return name


def _task(name: str) -> str:
    from edgebench.tasks.registry import task_specs

    known = task_specs()
    if name not in known:
        raise UsageError(f"unknown task {name!r}; known: {', '.join(known)}")
    return name


def check_options(get: Getter, base: Path, profiles: dict[str, DeviceProfile]) -> None:
    """Validate the options that need no model, dataset or recipe registry, so a wrong
    value is one clean line when pytest reads the command line."""
    from edgebench.devices import parse_threads, resolve_profiles
    from edgebench.targets.registry import target_spec

    for device in resolve_profiles(get("edgebench_device"), profiles):
        target_spec(device.target_name)
    if get("edgebench_threads"):
        parse_threads(get("edgebench_threads"))
    for name, *limits in NUMBERS:
        _number(get, name, *limits)
    for name, *limits in OPTIONAL_NUMBERS:
        _optional_number(get, name, *limits)
    _owned_values(get)
    _flag(get, "edgebench_isolate")
    _flag(get, "edgebench_convert")
    _flag(get, "edgebench_profile_ops")
    _runtimes(get("edgebench_runtimes"))
    _tolerances(get("edgebench_max_slowdown"))
    _speedups(get("edgebench_expect_speedup"))
    _task(get("edgebench_task"))
    _output_adapter(get("edgebench_output_adapter"))
    from edgebench.thresholds import parse_assignments

    parse_assignments(_comma_list(get("edgebench_threshold")), "--threshold")
    resolve_baseline(get("edgebench_baseline"), base, get("edgebench_history"))
    for sweep in _comma_list(get("edgebench_sweep")):
        if sweep not in SWEEPS:
            raise UsageError(f"unknown sweep {sweep!r}; known: {', '.join(SWEEPS)}")
