"""The ``edgebench`` command: ``--version``, ``devices``, ``meters`` and ``report``.

Benchmarks run through pytest (``pytest bench/``); this command only lists what
is configured.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from edgebench import __version__
from edgebench.devices import load_profiles
from edgebench.errors import UsageError
from edgebench.provenance import usable_cores


def _ini_device_lines(ini: Path) -> list[str]:
    """``edgebench_devices`` lines of a pytest.ini, if it has any."""
    import configparser

    if not ini.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini)
    except configparser.Error as exc:
        raise UsageError(f"cannot read {ini}: {exc}") from exc
    raw = parser.get("pytest", "edgebench_devices", fallback="")
    return [line.strip() for line in raw.splitlines() if line.strip()]


def cmd_devices(args: argparse.Namespace) -> int:
    """Print the device profiles: built-ins plus those of pytest.ini and pyproject.toml."""
    root = Path(args.root)
    profiles = load_profiles(_ini_device_lines(root / "pytest.ini"), root / "pyproject.toml")
    cores = usable_cores()
    rows = [
        [
            p.name,
            ",".join(map(str, p.thread_counts(cores)))
            + ("" if p.threads else " (1 and all cores)"),
            p.meter,
            p.memory_baseline,
            p.description,
        ]
        for p in profiles.values()
    ]
    print(tabulate(rows, headers=["Device", "Threads", "Meter", "Memory baseline", "Description"]))
    if args.check:
        return check_hosts(profiles.values())
    return 0


def check_hosts(profiles: Any) -> int:
    """One line per board of every remote profile (each host of an ``ssh`` profile, the
    place of a ``labgrid`` one, acquired and released): reachable, Python, numpy, runtimes
    and versions, CPU, cores, governor, temperature (read on the board); 1 if any failed."""
    failed = 0
    for profile in profiles:
        if profile.hosts:
            for host in profile.hosts:
                options = {**profile.target_options(), "hosts": (host,)}
                failed += not _check_board(profile, host, options)
        elif profile.remote:
            failed += not _check_board(profile, "", profile.target_options())
    return 1 if failed else 0


def _check_board(profile: Any, host: str, options: dict[str, Any]) -> bool:
    """Reach one board of ``profile`` and print its line; whether it answered."""
    from edgebench.errors import EdgebenchError
    from edgebench.targets import make_target

    name = f"{profile.name} {host}" if host else profile.name
    try:
        target = make_target(profile.target_name, timeout_s=60, **options)
    except EdgebenchError as exc:
        print(f"{name}: FAILED {exc}")
        return False
    try:
        target.check()
        facts = target.facts()
        name = name if host else f"{profile.name} {target.label}"
    except EdgebenchError as exc:
        print(f"{name}: FAILED {exc}")
        return False
    finally:
        target.close()
    runtimes = ", ".join(
        f"{runtime} {facts[runtime]}"
        for runtime in ("ai-edge-litert", "tflite-runtime", "onnxruntime")
        if facts.get(runtime)
    )
    print(
        f"{name}: ok; Python {facts['python']}, numpy {facts['numpy']}, "
        f"{runtimes or 'no runtime installed'}; {facts['board'] or facts['cpu']} "
        f"({facts['machine']}, {facts['cores']} cores); governor {facts['governor']}, "
        f"{facts['temperature_c']} C, throttled {facts['throttled']}"
    )
    return True


def cmd_meters(args: argparse.Namespace) -> int:
    """Probe every power meter with a real read and say which work here, and why not."""
    from edgebench.meters import probe_meters

    rows = [[name, status] for name, status in probe_meters(args.command).items()]
    print(tabulate(rows, headers=["Meter", "Status"]))
    return 0


def latest_run(folder: Path) -> Path:
    """The newest run file in ``folder``."""
    from edgebench.results import saved_runs

    runs = saved_runs(folder)
    if not runs:
        raise UsageError(f"no run files in {folder}; run 'pytest bench/' first or name a RUN")
    return runs[-1]


def cmd_report(args: argparse.Namespace) -> int:
    """Tables, comparison, plots and recommendations from saved runs."""
    import json

    from edgebench.report import tables as t
    from edgebench.report.export import to_pytest_benchmark
    from edgebench.report.render import render
    from edgebench.report.sensitivity import sensitivity_tables
    from edgebench.results import load_run

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.compare:
        runs = [Path(r) for r in args.compare]
    else:
        runs = [Path(r) for r in args.runs] or [latest_run(Path(args.runs_dir))]
    loaded = []
    for run in runs:
        try:
            loaded.append(load_run(run))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read run file {run}: {exc}") from exc
    columns = (
        [c.strip() for c in args.columns.split(",")] if args.columns else list(t.MILESTONE_COLUMNS)
    )
    try:
        t.resolve_columns(columns)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    written = []
    if args.compare:  # the comparison only: the runs' own reports are separate calls
        (_, a), (_, b) = loaded
        name_a, name_b = (Path(r).stem for r in args.compare)
        table = t.comparison_table(a, b, name_a, name_b)
        target = out / f"compare-{name_a}-{name_b}.{args.format}"
        target.write_text(render([table], args.format))
        written.append(target)
    else:
        for run, (header, records) in zip(runs, loaded, strict=True):
            tables = [
                *t.milestone_tables(records, columns),
                *t.thread_scaling_tables(records),
                *t.device_tables(records),
                *t.pool_tables(records),
                *t.quantization_tables(records),
                *t.low_rank_tables(records),
                *t.distillation_tables(records),
                *t.tensor_tables(records),
                *t.operator_tables(records),
                *sensitivity_tables(header.get("sensitivity") or []),
            ]
            images, picture_notes = [], []
            if not args.no_plots:
                images = _plots(records, out, run.stem)
                images += _sensitivity_plots(header.get("sensitivity") or [], out, run.stem)
                specs = header.get("settings", {}).get("datasets", [])
                pictures, picture_notes = _pictures(records, out, run.stem, specs)
                images += pictures
            notes = [
                *t.throttled_notes(records),
                *t.pool_notes(records),
                *t.recommendations(records),
                *t.finding_notes(header),
                *picture_notes,
            ]
            document = render(tables, args.format, notes, images)
            target = out / f"{run.stem}.{args.format}"
            target.write_text(document)
            written.append(target)
            export = out / f"{run.stem}.pytest-benchmark.json"
            export.write_text(json.dumps(to_pytest_benchmark(header, records), indent=2))
            written.append(export)
    for path in written:
        print(f"edgebench report: wrote {path}")
    return 0


def _plots(records: list, out: Path, stem: str) -> list[str]:
    try:
        from edgebench.report.plots import plot_all
    except ImportError as exc:  # pragma: no cover - matplotlib missing
        print(f"edgebench report: no plots ({exc}); pip install matplotlib", file=sys.stderr)
        return []
    try:
        # paths relative to the report, which is written next to the plots folder
        return [f"{stem}-plots/{name}" for name in plot_all(records, out / f"{stem}-plots")]
    except ImportError as exc:
        print(f"edgebench report: no plots ({exc}); pip install matplotlib", file=sys.stderr)
        return []


def _sensitivity_plots(analyses: list, out: Path, stem: str) -> list[str]:
    if not analyses:
        return []
    try:
        from edgebench.report.sensitivity import plot_sensitivity

        return [
            f"{stem}-plots/{name}" for name in plot_sensitivity(analyses, out / f"{stem}-plots")
        ]
    except ImportError as exc:
        print(f"edgebench report: no plots ({exc}); pip install matplotlib", file=sys.stderr)
        return []


def _pictures(records: list, out: Path, stem: str, specs: list[str]) -> tuple[list[str], list[str]]:
    """The float-vs-quantized pictures of segmentation and detection rows."""
    if not any(getattr(r, "sample_prediction", None) for r in records):
        return [], []
    try:
        from edgebench.report.pictures import dataset_images, draw_pictures

        names, notes = draw_pictures(
            records, out / f"{stem}-plots", dataset_images(specs, Path.cwd())
        )
    except ImportError as exc:
        print(f"edgebench report: no pictures ({exc}); pip install matplotlib", file=sys.stderr)
        return [], []
    return [f"{stem}-plots/{name}" for name in names], notes


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``edgebench`` command."""
    parser = argparse.ArgumentParser(
        prog="edgebench",
        description=(
            "edgebench benchmarks compressed neural networks with pytest. Run the "
            "benchmarks with 'pytest bench/ [--device NAME] [--model ...] [--variants ...]'; "
            "'pytest --help' lists the edgebench options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"edgebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    init = sub.add_parser(
        "init",
        help="give a project its benchmarks: write bench/ (and pytest.ini if it has none)",
        description=(
            "Copy edgebench's benchmark tests into FOLDER/bench/ (their fixtures come with "
            "the plugin: no conftest needed) and write a pytest.ini with an [pytest] section "
            "when the project has neither pytest.ini nor a [tool.pytest.ini_options] table. "
            "Then: pytest bench/ --model your.onnx --dataset images:data/val. Existing files "
            "are never overwritten."
        ),
    )
    init.add_argument("folder", nargs="?", default=".", help="the project folder (default: .)")
    init.set_defaults(func=cmd_init)
    devices = sub.add_parser(
        "devices",
        help="list the device profiles (built-in and from pytest.ini / pyproject.toml)",
        description="List device profiles: thread counts, power meter, memory-baseline method.",
    )
    devices.add_argument(
        "--root", default=".", help="project folder with pytest.ini/pyproject.toml"
    )
    devices.add_argument(
        "--check",
        action="store_true",
        help="connect to every host of every profile over SSH and print what each board has",
    )
    devices.set_defaults(func=cmd_devices)
    meters = sub.add_parser(
        "meters",
        help="probe the power meters (rapl, hwmon, nvml, rpi5-pmic, ina219, command)",
        description="Probe each power meter with a real read; print 'ok' or why it cannot be used.",
    )
    meters.add_argument("--command", default="", help="the command for the 'command' meter")
    meters.set_defaults(func=cmd_meters)
    report = sub.add_parser(
        "report",
        help="milestone, thread-scaling, quantization and tensor tables, plots and comparisons from saved runs",
        description=(
            "Write report tables (one milestone table per model x runtime, thread scaling, "
            "quantization, tensor quartiles), PNG plots, a recommendation per model and runtime, "
            "and a pytest-benchmark export of each run. Default RUN: the newest in .edgebench/runs."
        ),
    )
    report.add_argument("runs", nargs="*", metavar="RUN", help="run files (default: the latest)")
    report.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help="write the comparison of two runs only (e.g. milestone 1 vs 2); their own "
        "reports come from 'edgebench report A B'",
    )
    report.add_argument("--format", choices=("md", "csv", "html", "json"), default="md")
    report.add_argument(
        "--columns", help="milestone columns, comma list (e.g. recipe,ft,params,mean,accuracy)"
    )
    report.add_argument("--out", default="reports", help="output folder (default: reports/)")
    report.add_argument("--runs-dir", default=".edgebench/runs", help="where saved runs are")
    report.add_argument("--no-plots", action="store_true", help="tables only")
    report.set_defaults(func=cmd_report)
    from edgebench.history.cli import add_parser as add_history

    add_history(sub)
    return parser


def cmd_init(args: argparse.Namespace) -> int:
    """Write the benchmark tests into a project (``bench/``) and an ini section if the
    project has none; files that exist are left as they are."""
    from edgebench.project import init_project

    for line in init_project(Path(args.folder)):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edgebench`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"edgebench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
