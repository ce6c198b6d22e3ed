"""CI step: the history site of this CI's own runs, opened in a real headless browser.

Files the given run files, and 22 synthetic runs over the commits of a fresh git
repository with a 30% latency step at commit 13, into a fresh history store; writes the
site (``edgebench history report``), opens every page in Chromium (Debian's ``chromium``)
and checks: the page logs nothing to the console (no error, no uncaught exception), the
rendered DOM holds the Plotly charts (``main-svg`` elements, one per row at least), the
synthetic step is marked at its commit and nowhere else, and a screenshot of the first
model page is not blank. Exit 1 with the reason otherwise.

    python ci/history_site.py OUT_DIR RUN.json [RUN.json ...]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from edgebench.history.dashboard import write_dashboard
from edgebench.history.store import HistoryStore


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("history site: no chromium (apt-get install chromium)")


def open_page(page: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", *extra,
         page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


STEP_AT, SYNTHETIC = 13, 22


def synthetic_runs(folder: Path) -> list[Path]:
    """Run files of SYNTHETIC commits of a new repository, p50 30% higher from STEP_AT on."""
    import random

    from edgebench.results import RunStore, make_fragment

    repo = folder / "repo"
    repo.mkdir(parents=True)

    def git(*args: str, date: str = "") -> str:
        env = {"PATH": "/usr/bin:/bin", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        return subprocess.run(
            ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.invalid", *args],
            cwd=repo, check=True, capture_output=True, text=True, env=env if date else None,
        ).stdout.strip()  # fmt: skip

    git("init", "-q")
    noise = random.Random(5)
    files = []
    for n in range(SYNTHETIC):
        (repo / "model.txt").write_text(f"{n}\n")
        git("add", "model.txt")
        git(
            "commit",
            "-q",
            "-m",
            f"synthetic change {n}",
            date=f"2026-01-{n + 1:02d}T12:00:00+00:00",
        )
        path = folder / f"synthetic-{n:02d}.json"
        store = RunStore(path, {"provenance": {"git_commit": git("rev-parse", "HEAD")}})
        key = {
            "model": "synthetic",
            "dataset": "d",
            "recipe": "fp32",
            "runtime": "litert",
            "device": "ci",
        }
        p50 = 2.0 * (1.3 if n >= STEP_AT else 1.0) * (1 + noise.gauss(0, 0.01))
        store.add(make_fragment(key, 1, {"latency_p50_ms": p50, "accuracy": 0.9}))
        files.append(path)
    return files


def main(argv: list[str]) -> int:
    out, runs = Path(argv[0]), [Path(a) for a in argv[1:]]
    shutil.rmtree(out, ignore_errors=True)
    store = HistoryStore(out / "store")
    for run in runs:
        store.add(run, Path.cwd())
    for run in synthetic_runs(out / "synthetic"):
        store.add(run, out / "synthetic" / "repo")
    pages = write_dashboard(store, out / "site")
    rows = 0
    for page in pages:
        dom = open_page(page, "--dump-dom")
        console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
        if dom.returncode != 0 or console:
            print(f"history site: {page.name} logged to the console: {console[:3]}")
            return 1
        charts = dom.stdout.count('class="main-svg"')
        wanted = page.read_text().count('class="row"')
        if charts < wanted:
            print(f"history site: {page.name} rendered {charts} charts for {wanted} rows")
            return 1
        rows += wanted
        if page.name.startswith("synthetic"):
            marks = re.findall(
                r"changed \+[\d.]+% at [^\"]*?synthetic change (\d+)", page.read_text()
            )
            if marks != [str(STEP_AT)]:
                print(
                    f"history site: the synthetic step is marked at changes {marks}, not [{STEP_AT}]"
                )
                return 1
    shot = out / "history-site.png"
    open_page(
        pages[1] if len(pages) > 1 else pages[0], "--window-size=1400,1000", f"--screenshot={shot}"
    )
    from PIL import Image

    pixels = Image.open(shot).convert("L")
    low, high = pixels.getextrema()
    if not shot.is_file() or high - low < 50:
        print(f"history site: the screenshot {shot} is blank")
        return 1
    print(
        f"history site: {len(store.runs())} runs ({SYNTHETIC} synthetic, the step marked at "
        f"commit {STEP_AT} alone), {len(pages) - 1} model pages, {rows} rows of charts, no "
        f"console message; screenshot {shot}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
