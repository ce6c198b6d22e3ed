"""The edgebench pytest plugin: options, parametrization, fixtures, run file and summary.

Registered through the ``pytest11`` entry point. It is inert in test runs that
collect no edgebench benchmark: the matrix is only resolved when a test asks for
``edgebench_case`` or ``edgebench_variant``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from edgebench import __version__, hookspec
from edgebench.build.cache import ArtifactCache
from edgebench.build.sources import resolve_models
from edgebench.build.zoo import load_architectures
from edgebench.cases import Variant
from edgebench.data.datasets import validate_spec
from edgebench.devices import load_profiles, parse_threads, resolve_profile
from edgebench.errors import (
    DatasetUnavailable,
    EdgebenchError,
    NotApplicable,
    RuntimeUnavailable,
    UsageError,
)
from edgebench.gates import gate_summary
from edgebench.measurements import BUILTIN_MEASUREMENTS, Measurement
from edgebench.provenance import collect as collect_provenance
from edgebench.provenance import cpu_flags, usable_cores
from edgebench.recipes import default_registry, parse_recipes, split_variants
from edgebench.report.columns import SUMMARY_COLUMNS, field_column, milestone_table
from edgebench.report.findings import SLOWER_RATIO, bit_limits, slowdowns
from edgebench.results import RunStore, load_run, make_fragment, saved_runs
from edgebench.runtimes import DEFAULT_PROVIDER, RUNTIME_NAMES
from edgebench.session import EdgebenchSession, Settings
from edgebench.thresholds import parse_assignments, pyproject_thresholds

FRAGMENT_KEY = "edgebench"
#: the sweeps ``--sweep`` selects, as in the milestone tables users keep.
SWEEPS: dict[str, tuple[str, ...]] = {
    "sprune": tuple(f"sprune{f}" for f in ("0.05", "0.1", "0.2", "0.3", "0.4", "0.5")),
    "prune": tuple(f"prune{s}" for s in ("0.2", "0.4", "0.6", "0.8")),
    "cluster": tuple(f"cluster{k}" for k in (8, 16, 32)),
}
SESSION_KEY = pytest.StashKey["EdgebenchSession | UsageError"]()
STORE_KEY = pytest.StashKey["RunStore"]()
PROFILES_KEY = pytest.StashKey["dict[str, DeviceProfile]"]()


@dataclass(frozen=True)
class Option:
    """A command-line option with its pytest.ini twin."""

    flag: str
    ini: str
    default: str
    help: str


OPTIONS: tuple[Option, ...] = (
    Option(
        "--device", "edgebench_device", "host", "device profile to run (see 'edgebench devices')"
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
        "comma list of datasets: digits, fashion-mnist, mnist, cifar10, cifar100, npz:PATH, random",
    ),
    Option(
        "--variants",
        "edgebench_variants",
        "fp32",
        "comma list of compression recipes, e.g. fp32,int8,ort-qdq,dfq4-asym-pc,sprune0.3+ft5+int8 "
        "(an unknown step lists every known one)",
    ),
    Option(
        "--threads",
        "edgebench_threads",
        "",
        "comma list of thread counts (default: the device profile's)",
    ),
    Option("--runtimes", "edgebench_runtimes", ",".join(RUNTIME_NAMES), "comma list of runtimes"),
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
    Option(
        "--onnx-provider",
        "edgebench_onnx_provider",
        DEFAULT_PROVIDER,
        "ONNX Runtime execution provider",
    ),
    Option("--edgebench-seed", "edgebench_seed", "0", "seed for training and random inputs"),
    Option(
        "--calibration-samples",
        "edgebench_calibration_samples",
        "200",
        "training samples used to calibrate full-integer and static quantization",
    ),
    Option(
        "--isolate",
        "edgebench_isolate",
        "false",
        "time latency in a fresh worker process (numpy and the runtime only) instead of "
        "pytest-benchmark's timer in the pytest process",
    ),
    Option(
        "--worker-timeout",
        "edgebench_worker_timeout",
        "120",
        "seconds a measurement worker may run before it is stopped and its test fails",
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
        "--energy-seconds",
        "edgebench_energy_seconds",
        "5",
        "length of the idle and of the inference window the meter brackets",
    ),
    Option(
        "--baseline",
        "edgebench_baseline",
        "",
        "saved run file(s) to gate latency against: PATH[,PATH...], 'latest' (the newest in "
        ".edgebench/runs) or 'latest:N' (the N newest); with several runs each row is judged "
        "against the slowest of them, so the run-to-run noise of this machine is forgiven",
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
        "--eval-batch-size",
        "edgebench_eval_batch_size",
        "1",
        "batch size of the accuracy pass; 1 is what a device runs (dynamic quantization "
        "computes activation ranges per batch, so larger batches change its accuracy)",
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
        "--threshold",
        "edgebench_threshold",
        "",
        "accuracy-drop thresholds per recipe family, e.g. 'int8=0.5,dfq4=3,dfq3=none' "
        "(also [tool.edgebench.thresholds] in pyproject.toml, edgebench_thresholds lines in pytest.ini)",
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the edgebench options, each also settable in pytest.ini."""
    group = parser.getgroup("edgebench", "edgebench: benchmarks of compressed models")
    for option in OPTIONS:
        extra: dict[str, Any] = {}
        if option.default == "false":  # a switch: --isolate sets it, the ini can too
            extra = {"action": "store_const", "const": "true"}
        group.addoption(
            option.flag,
            dest=option.ini,
            default=None,
            # argparse formats help with %: escape the percent signs of the examples
            help=f"{option.help} [ini: {option.ini}; default: {option.default or 'see text'}]".replace(
                "%", "%%"
            ),
            **extra,
        )
        parser.addini(option.ini, option.help, default=option.default)
    parser.addini(
        "edgebench_thresholds",
        "accuracy-drop thresholds, one 'KEY = POINTS' per line (KEY: recipe, family, 4bit, default)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "edgebench_devices",
        "extra device profiles, one per line: 'NAME: threads=1,2; meter=none; description=...'",
        type="linelist",
        default=[],
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register edgebench's hook specifications."""
    pluginmanager.add_hookspecs(hookspec)


def option_value(config: pytest.Config, name: str) -> str:
    """An option's value: command line, else pytest.ini, else its default."""
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    return str(value).strip()


def _number(config: pytest.Config, name: str, kind: type, minimum: float) -> Any:
    raw = option_value(config, name)
    try:
        value = kind(raw)
    except ValueError as exc:
        raise UsageError(f"{name} must be a number, got {raw!r}") from exc
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _flag(config: pytest.Config, name: str) -> bool:
    raw = option_value(config, name).lower()
    if raw in ("1", "true", "yes", "on", ""):
        return raw != ""
    if raw in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name} must be true or false, got {raw!r}")


def resolve_baseline(raw: str, base: Path) -> tuple[Path, ...]:
    """The baseline run files: comma-separated paths, ``latest`` (the newest saved run)
    or ``latest:N`` (the N newest saved runs); ``()`` when empty.

    Several runs tell the gate how much each row moves between runs on this machine.
    """
    found: list[Path] = []
    for item in (i.strip() for i in raw.split(",")):
        if not item:
            continue
        name, _, count = item.partition(":")
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
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise UsageError(
                f"--baseline {path}: not a readable edgebench run file ({exc})"
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
        try:
            found[recipe] = float(factor)
        except ValueError:
            sep = ""
        if not sep or not recipe:
            raise UsageError(f"--expect-speedup: {item!r} is not RECIPE:FACTOR")
    return found


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def resolve_settings(config: pytest.Config) -> tuple[Settings, dict[str, Any]]:
    """Resolve every option into :class:`Settings` and the zoo architectures."""
    base = Path(config.rootpath)
    profiles = config.stash[PROFILES_KEY]
    profile = resolve_profile(option_value(config, "edgebench_device"), profiles)
    registry = default_registry()
    config.hook.pytest_edgebench_register_steps(registry=registry)
    variants = split_variants(option_value(config, "edgebench_variants"))
    variants += [
        f"dfq2..8-{sweep}" for sweep in _comma_list(option_value(config, "edgebench_bit_sweep"))
    ]
    for sweep in _comma_list(option_value(config, "edgebench_sweep")):
        if sweep not in SWEEPS:
            raise UsageError(f"unknown sweep {sweep!r}; known: {', '.join(SWEEPS)}")
        variants += [v for recipe in SWEEPS[sweep] for v in (recipe, f"{recipe}+int8")]
    recipes = parse_recipes(variants, registry)
    datasets = [validate_spec(s) for s in _comma_list(option_value(config, "edgebench_dataset"))]
    runtimes = _comma_list(option_value(config, "edgebench_runtimes"))
    unknown = [r for r in runtimes if r not in RUNTIME_NAMES]
    if unknown or not runtimes:
        raise UsageError(f"unknown runtime(s) {unknown}; known: {', '.join(RUNTIME_NAMES)}")
    raw_threads = option_value(config, "edgebench_threads")
    cores = usable_cores()
    threads = parse_threads(raw_threads) if raw_threads else profile.thread_counts(cores)
    models_dir = Path(option_value(config, "edgebench_models_dir"))
    models_dir = models_dir if models_dir.is_absolute() else base / models_dir
    architectures = load_architectures(models_dir)
    sources = resolve_models(
        option_value(config, "edgebench_model"), architectures, models_dir, base
    )
    thresholds = pyproject_thresholds(base / "pyproject.toml")
    thresholds.update(
        parse_assignments(config.getini("edgebench_thresholds"), "edgebench_thresholds")
    )
    thresholds.update(
        parse_assignments(_comma_list(option_value(config, "edgebench_threshold")), "--threshold")
    )
    settings = Settings(
        profile=profile,
        sources=tuple(sources),
        datasets=tuple(dict.fromkeys(datasets)),
        recipes=tuple(recipes),
        runtimes=tuple(dict.fromkeys(runtimes)),
        threads=tuple(threads),
        rounds=_number(config, "edgebench_rounds", int, 1),
        warmup=_number(config, "edgebench_warmup", int, 0),
        max_accuracy_drop=_number(config, "edgebench_max_accuracy_drop", float, 0.0),
        onnx_provider=option_value(config, "edgebench_onnx_provider"),
        base_dir=base,
        cores=cores,
        seed=_number(config, "edgebench_seed", int, 0),
        calibration_samples=_number(config, "edgebench_calibration_samples", int, 1),
        eval_batch_size=_number(config, "edgebench_eval_batch_size", int, 1),
        isolate=_flag(config, "edgebench_isolate"),
        meter=option_value(config, "edgebench_meter") or profile.meter,
        meter_command=option_value(config, "edgebench_meter_command"),
        energy_seconds=_number(config, "edgebench_energy_seconds", float, 0.5),
        baseline=resolve_baseline(option_value(config, "edgebench_baseline"), base),
        max_slowdown=_tolerances(option_value(config, "edgebench_max_slowdown")),
        gate_retries=_number(config, "edgebench_gate_retries", int, 0),
        expect_speedup=_speedups(option_value(config, "edgebench_expect_speedup")),
        worker_timeout_s=_number(config, "edgebench_worker_timeout", float, 1.0),
        thresholds=thresholds,
        verbose=config.getoption("capture") == "no",
    )
    return settings, {"architectures": architectures, "registry": registry}


def get_session(config: pytest.Config) -> EdgebenchSession:
    """The process's edgebench session, created on first use."""
    if SESSION_KEY not in config.stash:
        try:
            settings, parts = resolve_settings(config)
            config.stash[SESSION_KEY] = EdgebenchSession(
                settings,
                parts["architectures"],
                parts["registry"],
                ArtifactCache.from_environment(Path(config.rootpath)),
            )
        except UsageError as exc:
            config.stash[SESSION_KEY] = exc
    session = config.stash[SESSION_KEY]
    if isinstance(session, UsageError):
        raise pytest.UsageError(f"edgebench: {session}")
    if STORE_KEY in config.stash:
        config.stash[STORE_KEY].header["settings"] = session.settings.as_dict()
    return session


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def default_run_path(base: Path) -> Path:
    """``.edgebench/runs/<UTC timestamp>.json`` under ``base``."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return base / ".edgebench" / "runs" / f"{stamp}.json"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load device profiles, check the device option, and prepare the run store."""
    config.addinivalue_line("markers", "edgebench: an edgebench benchmark test")
    base = Path(config.rootpath)
    try:
        profiles = load_profiles(config.getini("edgebench_devices"), base / "pyproject.toml")
        config.hook.pytest_edgebench_device_profiles(profiles=profiles)
        config.stash[PROFILES_KEY] = profiles
        resolve_profile(option_value(config, "edgebench_device"), profiles)
        raw_threads = option_value(config, "edgebench_threads")
        if raw_threads:
            parse_threads(raw_threads)
    except UsageError as exc:
        raise pytest.UsageError(f"edgebench: {exc}") from exc
    if not _is_worker(config):
        raw = option_value(config, "edgebench_json")
        path = Path(raw) if raw else default_run_path(base)
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        header = {"edgebench": __version__, "provenance": collect_provenance(base)}
        config.stash[STORE_KEY] = RunStore(path, header)
        config.pluginmanager.register(
            RunReporter(config, config.stash[STORE_KEY]), "edgebench-reporter"
        )


def pytest_report_header(config: pytest.Config) -> str:
    """One line: edgebench version and device."""
    device = option_value(config, "edgebench_device")
    return f"edgebench {__version__}: device={device}"


def measurements(config: pytest.Config) -> list[Measurement]:
    """The measurements registered through ``pytest_edgebench_measurements``, by name."""
    found: dict[str, Measurement] = {}
    for result in config.hook.pytest_edgebench_measurements(config=config):
        for measurement in result or []:
            found.setdefault(measurement.name, measurement)
    return list(found.values())


def pytest_edgebench_measurements(config: pytest.Config) -> list[Measurement]:
    """edgebench's own measurements: peak memory and power/energy."""
    return list(BUILTIN_MEASUREMENTS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``edgebench_measurement`` (by name), ``edgebench_case`` (latency rows)
    and ``edgebench_variant`` (accuracy)."""
    wants_case = "edgebench_case" in metafunc.fixturenames
    wants_variant = "edgebench_variant" in metafunc.fixturenames
    if "edgebench_speedup_case" in metafunc.fixturenames:
        session = get_session(metafunc.config)
        expected = session.settings.expect_speedup
        cases = [c for c in session.matrix.latency_cases if c.variant.recipe.id in expected]
        metafunc.parametrize("edgebench_speedup_case", [pytest.param(c, id=c.id) for c in cases])
    if "edgebench_measurement" in metafunc.fixturenames:
        chosen = measurements(metafunc.config)
        metafunc.parametrize("edgebench_measurement", [pytest.param(m, id=m.name) for m in chosen])
    if not (wants_case or wants_variant):
        return
    matrix = get_session(metafunc.config).matrix
    if wants_case:
        params = [
            pytest.param(
                case,
                id=case.id,
                marks=[pytest.mark.skip(reason=case.skip_reason)] if case.skip_reason else [],
            )
            for case in matrix.latency_cases
        ]
        metafunc.parametrize("edgebench_case", params)
    if wants_variant:
        metafunc.parametrize(
            "edgebench_variant", [pytest.param(v, id=v.id) for v in matrix.variants]
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the speedup test when no --expect-speedup gives it a case (rather than
    report an empty parameter set as a skip)."""

    def unparametrized(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("skip")
        reason = str(marker.kwargs.get("reason", "")) if marker else ""
        return reason.startswith("got empty parameter set")

    empty = [
        item
        for item in items
        if "edgebench_speedup_case" in getattr(item, "fixturenames", ()) and unparametrized(item)
    ]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


def summary_columns(config: pytest.Config) -> list[Any]:
    """The milestone table's columns: the base ones, each measurement's, then accuracy."""
    base = [c for c in SUMMARY_COLUMNS if c not in ("accuracy", "drop")]
    extra = [
        field_column(c.field, c.header, c.fmt) for m in measurements(config) for c in m.columns
    ]
    return [*base, *extra, "accuracy", "drop"]


@dataclass
class Row:
    """What a test measured: per-row values, variant-wide facts, and reasons for nulls."""

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    null_reasons: dict[str, str] = field(default_factory=dict)


class RecordWriter:
    """Attaches measurement fragments to the running test's report."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item

    def emit(
        self,
        variant: Variant,
        threads: int | None,
        values: dict[str, Any],
        reasons: dict[str, str],
        error: str | None = None,
    ) -> None:
        """Attach one fragment (``threads=None``: applies to all rows of the variant)."""
        fragment = make_fragment(
            variant.key(), threads, values, reasons, test=self.item.nodeid, error=error
        )
        self.item.config.hook.pytest_edgebench_record_fragment(fragment=fragment, item=self.item)
        self.item.user_properties.append((FRAGMENT_KEY, fragment))

    @contextmanager
    def measuring(self, variant: Variant, threads: int | None = None) -> Iterator[Row]:
        """Collect a :class:`Row`; on exit, emit it, with the error if the body failed.

        edgebench errors fail the test with their message (no traceback); a dataset
        or runtime that is not available skips it with the reason.
        """
        row = Row()
        failure: str | None = None
        try:
            yield row
        except (DatasetUnavailable, RuntimeUnavailable, NotApplicable) as exc:
            skip_reason = f"edgebench: {exc}"
        except EdgebenchError as exc:
            failure = f"{variant.id}: {exc}"
            self._emit_row(variant, threads, row, str(exc))
        except Exception as exc:
            self._emit_row(variant, threads, row, f"{type(exc).__name__}: {exc}")
            raise
        else:
            self._emit_row(variant, threads, row, None)
            return
        # "from None": the report shows the message, not the chain of runtime exceptions.
        if failure is not None:
            raise pytest.fail.Exception(failure, pytrace=False) from None
        raise pytest.skip.Exception(skip_reason, _use_item_location=True) from None

    def _emit_row(self, variant: Variant, threads: int | None, row: Row, error: str | None) -> None:
        if row.facts or (error and threads is None):
            self.emit(variant, None, row.facts, {}, error if threads is None else None)
        if threads is not None:
            self.emit(variant, threads, row.values, row.null_reasons, error)
        elif row.values or row.null_reasons:
            self.emit(variant, None, row.values, row.null_reasons)


@pytest.fixture(scope="session")
def edgebench(request: pytest.FixtureRequest) -> EdgebenchSession:
    """The edgebench session: settings, artifacts, runtimes, accuracy."""
    return get_session(request.config)


@pytest.fixture
def edgebench_record(request: pytest.FixtureRequest) -> RecordWriter:
    """Writes this test's measurements into the run's records."""
    return RecordWriter(request.node)


class RunReporter:
    """Controller-side plugin object: merges fragments into the run file, prints the summary.

    Registered in ``pytest_configure`` of the controlling process only; under
    pytest-xdist, worker reports (with their fragments) arrive here too.
    """

    def __init__(self, config: pytest.Config, store: RunStore) -> None:
        self.config = config
        self.store = store

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Merge the fragments of a finished test into the run file."""
        if report.when != "teardown":
            return
        for key, fragment in report.user_properties:
            if key == FRAGMENT_KEY:
                self.store.add(fragment)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the milestone table, findings, what was not collected, and the run file."""
        records = self.store.records()
        if not records:
            return
        terminalreporter.section("edgebench")
        terminalreporter.write_line(milestone_table(records, summary_columns(self.config)))
        session = self.config.stash.get(SESSION_KEY, None)
        if isinstance(session, EdgebenchSession):
            self._findings(terminalreporter, session, records)
            if session.matrix.excluded:
                terminalreporter.write_line("")
                terminalreporter.write_line("not collected (the runtime cannot run the variant):")
                for variant_id, reason in session.matrix.excluded:
                    terminalreporter.write_line(f"  {variant_id}: {reason}")
        gate_lines = gate_summary(records)
        if gate_lines:
            terminalreporter.write_line("")
            for line in gate_lines:
                terminalreporter.write_line(line)
        failed = sum(1 for r in records if r.errors)
        terminalreporter.write_line("")
        terminalreporter.write_line(
            f"edgebench: {len(records)} records ({failed} with errors) written to {self.store.path}"
        )

    def _findings(
        self, terminalreporter: Any, session: EdgebenchSession, records: list[Any]
    ) -> None:
        """Slower-than-fp32 variants with their likely causes, and bit limits; also into the run file."""
        slow = slowdowns(records, cpu_flags())
        settings = session.settings
        limit_threshold = settings.thresholds.get("bit-limit", settings.max_accuracy_drop)
        limits = bit_limits(records, limit_threshold)
        self.store.header["findings"] = {
            "slower_than_fp32": [
                {
                    "model": s.record.model,
                    "recipe": s.record.recipe,
                    "runtime": s.record.runtime,
                    "threads": s.record.threads,
                    "ratio": s.ratio,
                    "causes": list(s.causes),
                }
                for s in slow
            ],
            "bit_limits": limits,
        }
        self.store.flush()
        if slow:
            terminalreporter.write_line("")
            terminalreporter.write_line(f"slower than fp32 (p50 at least {SLOWER_RATIO:.2f}x):")
            for item in slow:
                terminalreporter.write_line(f"  {item.line()}")
        if limits:
            terminalreporter.write_line("")
            terminalreporter.write_line(
                f"bit limits (lowest width within {limit_threshold} points):"
            )
            for item in limits:
                drops = ", ".join(
                    f"{b}:{'n/a' if d is None else f'{d:.2f}'}" for b, d in item["drops"].items()
                )
                limit = (
                    f"{item['bit_limit']} bits" if item["bit_limit"] else "no width stays within"
                )
                terminalreporter.write_line(
                    f"  {item['model']} {item['dataset']} {item['recipe']} on {item['runtime']}: "
                    f"{limit} (drop in points by bits: {drops})"
                )


__all__ = ["RecordWriter", "Row", "RunReporter", "get_session"]
