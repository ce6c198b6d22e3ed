"""A project of one's own: ``edgebench init`` writes the benchmark tests the package ships
(``edgebench.bench``) into ``bench/`` and, when the project has no pytest configuration, a
``pytest.ini`` that keeps ``pytest`` alone from collecting them as unit tests."""

from __future__ import annotations

from pathlib import Path

#: the pytest.ini ``edgebench init`` writes when a project has none.
INI = """[pytest]
# written by edgebench init: `pytest bench/` runs the benchmarks (see `pytest --help`,
# section edgebench); the variants default to fp32 alone, e.g. --variants milestone
addopts = -ra
"""


def bench_sources() -> list[Path]:
    """The benchmark test modules of the installed package."""
    from edgebench import bench

    return sorted(Path(bench.__file__).parent.glob("test_*.py"))


def init_project(folder: Path) -> list[str]:
    """Write ``folder/bench/test_*.py`` and, if there is no pytest configuration, a
    ``pytest.ini``; never overwrite a file. One line per file, saying what happened."""
    if folder.exists() and not folder.is_dir():
        from edgebench.errors import UsageError

        raise UsageError(f"{folder} is not a folder")
    target = folder / "bench"
    target.mkdir(parents=True, exist_ok=True)
    said = []
    for source in bench_sources():
        destination = target / source.name
        if destination.exists():
            said.append(f"kept {destination} (exists)")
            continue
        destination.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        said.append(f"wrote {destination}")
    ini = folder / "pytest.ini"
    pyproject = folder / "pyproject.toml"
    configured = (
        ini.exists()
        or (folder / "tox.ini").exists()
        or (
            pyproject.exists()
            and "[tool.pytest.ini_options]" in pyproject.read_text(encoding="utf-8")
        )
    )
    if configured:
        said.append("kept the project's pytest configuration")
    else:
        ini.write_text(INI, encoding="utf-8")
        said.append(f"wrote {ini}")
    said.append(f"next: cd {folder} && pytest bench/ --model YOUR_MODEL --dataset DATASET")
    return said
