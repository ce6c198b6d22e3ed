"""The edgebench pytest plugin: declares the options and hooks, and delegates.

Registered through the ``pytest11`` entry point, so every pytest run loads it; it stays
light (the session, the build chain and the recipes are imported only when a bench test
asks for them). The option table and its validation are in :mod:`edgebench.options`,
the record writer in :mod:`edgebench.recording`, the run file and the terminal summary
in :mod:`edgebench.summary`, the matrix in :mod:`edgebench.cases`.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from edgebench import __version__, hookspec
from edgebench.bench_fixtures import timing  # noqa: F401 - a fixture of the bench tests
from edgebench.errors import UsageError
from edgebench.options import OPTIONS, Getter, check_options, resolve_settings

if TYPE_CHECKING:
    from edgebench.measurements import Measurement
    from edgebench.recording import RecordWriter
    from edgebench.session import EdgebenchSession

SESSION_KEY = pytest.StashKey["EdgebenchSession | UsageError"]()
#: a usage error found while parametrizing, raised once after collection.
COLLECT_ERROR_KEY = pytest.StashKey[str]()
STORE_KEY = pytest.StashKey["RunStore"]()
PROFILES_KEY = pytest.StashKey["dict[str, DeviceProfile]"]()


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
    """An option's value: command line, else pytest.ini, else its default (empty for an
    option a conftest's registration declared after pytest read the table: the owner
    gets the declared default)."""
    try:
        value = config.getoption(name)
        if value is None:
            value = config.getini(name)
    except ValueError:  # not in pytest's table
        return ""
    return str(value).strip()


def _getter(config: pytest.Config) -> Getter:
    return lambda name: option_value(config, name)


def get_session(config: pytest.Config) -> EdgebenchSession:
    """The process's edgebench session, created on first use."""
    if SESSION_KEY not in config.stash:
        from edgebench.artifacts.cache import ArtifactCache
        from edgebench.session import EdgebenchSession
        from edgebench.terminal import progress_for

        try:
            settings, parts = resolve_settings(
                _getter(config),
                Path(config.rootpath),
                config.stash[PROFILES_KEY],
                ini_thresholds=config.getini("edgebench_thresholds"),
                register_steps=lambda registry: config.hook.pytest_edgebench_register_steps(
                    registry=registry
                ),
                verbose=config.getoption("capture") == "no",
            )
            made = EdgebenchSession(
                settings,
                parts["architectures"],
                parts["registry"],
                ArtifactCache.from_environment(Path(config.rootpath)),
                progress_for(config),
            )
            made.check_datasets()
            config.stash[SESSION_KEY] = made
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


#: pytest-benchmark's default storage: a folder it makes in the current folder at start-up.
BENCHMARK_STORAGE_DEFAULT = "file://./.benchmarks"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any plugin configures: pytest-benchmark's storage goes inside edgebench's
    cache (``.edgebench/cache/benchmarks``) unless ``--benchmark-storage`` names one, so a
    run writes nothing in the folder it runs from but the cache."""
    if getattr(config.option, "benchmark_storage", None) == BENCHMARK_STORAGE_DEFAULT:
        from edgebench.artifacts.cache import ArtifactCache

        cache = ArtifactCache.from_environment(Path(config.rootpath))
        config.option.benchmark_storage = f"file://{cache.root / 'benchmarks'}"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load device profiles, check the options, and prepare the run store."""
    from edgebench.devices import load_profiles

    config.addinivalue_line("markers", "edgebench: an edgebench benchmark test")
    base = Path(config.rootpath)
    try:
        profiles = load_profiles(config.getini("edgebench_devices"), base / "pyproject.toml")
        config.hook.pytest_edgebench_device_profiles(profiles=profiles)
        config.stash[PROFILES_KEY] = profiles
        check_options(_getter(config), base, profiles)
    except UsageError as exc:
        raise pytest.UsageError(f"edgebench: {exc}") from exc
    if not _is_worker(config):
        from edgebench.provenance import collect as collect_provenance
        from edgebench.results import RunStore
        from edgebench.summary import RunReporter

        raw = option_value(config, "edgebench_json")
        path = Path(raw) if raw else default_run_path(base)
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        header = {"edgebench": __version__, "provenance": collect_provenance(base)}
        config.stash[STORE_KEY] = RunStore(path, header)

        def session() -> EdgebenchSession | None:
            found = config.stash.get(SESSION_KEY, None)
            return None if found is None or isinstance(found, UsageError) else found

        reporter = RunReporter(
            config.stash[STORE_KEY],
            lambda: summary_columns(config),
            session,
            allow_empty=option_value(config, "edgebench_allow_empty").lower()
            in ("1", "true", "yes"),
            history=_history_folder(option_value(config, "edgebench_history"), config),
            repository=base,
            mlflow=_mlflow_uri(option_value(config, "edgebench_mlflow"), config),
        )
        config.pluginmanager.register(reporter, "edgebench-reporter")


def _history_folder(raw: str, config: pytest.Config) -> Path | None:
    """``--history`` as a folder (relative to where pytest was started), ``None`` unset."""
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


def _mlflow_uri(raw: str, config: pytest.Config) -> str | None:
    """``--mlflow``: a URI as it is, a folder relative to where pytest was started."""
    if not raw:
        return None
    if "://" in raw or raw.startswith(("file:", "databricks")):
        return raw
    path = Path(raw)
    return str(path if path.is_absolute() else Path(config.invocation_params.dir) / path)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Close the connections to boards (an xdist worker closes its own)."""
    found = session.config.stash.get(SESSION_KEY, None)
    if found is not None and not isinstance(found, UsageError):
        found.close()


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
    """edgebench's own measurements: peak memory and power/energy, and the per-operator
    profile with ``--profile-ops``."""
    from edgebench.measurements import BUILTIN_MEASUREMENTS, OP_PROFILE

    found = list(BUILTIN_MEASUREMENTS)
    if option_value(config, "edgebench_profile_ops").lower() in ("1", "true", "yes", "on"):
        found.append(OP_PROFILE)
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``edgebench_measurement`` (by name), ``edgebench_case`` (latency rows),
    ``edgebench_variant`` (accuracy), ``edgebench_speedup_case`` (same-run gates) and
    ``edgebench_sensitivity_case`` (``--sensitivity`` analyses)."""
    names = metafunc.fixturenames
    if "edgebench_measurement" in names:
        chosen = measurements(metafunc.config)
        metafunc.parametrize("edgebench_measurement", [pytest.param(m, id=m.name) for m in chosen])
    wanted = {
        "edgebench_case",
        "edgebench_variant",
        "edgebench_speedup_case",
        "edgebench_sensitivity_case",
    } & set(names)
    if not wanted:
        return
    try:
        session = get_session(metafunc.config)
    except pytest.UsageError as exc:
        # said once, after collection (not as a collection error per test module)
        metafunc.config.stash[COLLECT_ERROR_KEY] = str(exc)
        for name in sorted(wanted):
            metafunc.parametrize(name, [])
        return
    matrix = session.matrix
    if "edgebench_sensitivity_case" in names:
        try:
            analyses = session.sensitivity_cases()
        except UsageError as exc:
            metafunc.config.stash[COLLECT_ERROR_KEY] = str(exc)
            analyses = []
        metafunc.parametrize(
            "edgebench_sensitivity_case", [pytest.param(c, id=c.id) for c in analyses]
        )
    if "edgebench_speedup_case" in names:
        expected = session.settings.expect_speedup
        cases = [c for c in matrix.latency_cases if c.variant.recipe.id in expected]
        metafunc.parametrize("edgebench_speedup_case", [pytest.param(c, id=c.id) for c in cases])
    if "edgebench_case" in names:
        params = [
            pytest.param(
                case,
                id=case.id,
                marks=[pytest.mark.skip(reason=case.skip_reason)] if case.skip_reason else [],
            )
            for case in matrix.latency_cases
        ]
        metafunc.parametrize("edgebench_case", params)
    if "edgebench_variant" in names:
        metafunc.parametrize(
            "edgebench_variant", [pytest.param(v, id=v.id) for v in matrix.variants]
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Raise a usage error found while parametrizing (one line); deselect the speedup and
    sensitivity tests when no --expect-speedup or --sensitivity gives them a case (rather
    than report an empty parameter set)."""
    if COLLECT_ERROR_KEY in config.stash:
        raise pytest.UsageError(config.stash[COLLECT_ERROR_KEY])

    def unparametrized(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("skip")
        reason = str(marker.kwargs.get("reason", "")) if marker else ""
        return reason.startswith("got empty parameter set")

    optional = {"edgebench_speedup_case", "edgebench_sensitivity_case"}
    empty = [
        item
        for item in items
        if optional & set(getattr(item, "fixturenames", ())) and unparametrized(item)
    ]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


def summary_columns(config: pytest.Config) -> list[Any]:
    """The milestone table's columns (``report.columns.summary_columns``), with the
    measurements this run registered and a device column when there are several."""
    from edgebench.report.columns import summary_columns as columns

    session = config.stash.get(SESSION_KEY, None)
    several = (
        session is not None
        and not isinstance(session, UsageError)
        and len(session.settings.device_profiles()) > 1
    )
    label = "Accuracy"
    if session is not None and not isinstance(session, UsageError):
        label = getattr(session.task, "metric_label", label)
    return columns(measurements(config), several_devices=several, metric_label=label)


@pytest.fixture(scope="session")
def edgebench(request: pytest.FixtureRequest) -> EdgebenchSession:
    """The edgebench session: settings, artifacts, runtimes, accuracy."""
    return get_session(request.config)


@pytest.fixture
def edgebench_record(request: pytest.FixtureRequest) -> RecordWriter:
    """Writes this test's measurements into the run's records."""
    from edgebench.recording import RecordWriter
    from edgebench.summary import FRAGMENT_KEY

    item = request.node

    def attach(fragment: dict[str, Any]) -> None:
        item.config.hook.pytest_edgebench_record_fragment(fragment=fragment, item=item)
        item.user_properties.append((FRAGMENT_KEY, fragment))

    def fail(message: str) -> Any:
        # "from None": the report shows the message, not the chain of runtime exceptions.
        raise pytest.fail.Exception(message, pytrace=False) from None

    def skip(message: str) -> Any:
        raise pytest.skip.Exception(message, _use_item_location=True) from None

    return RecordWriter(item.nodeid, attach, fail, skip)


__all__ = ["get_session", "option_value"]
