"""Records as MLflow runs: a parent run per edgebench run (the run file and its tables as
artifacts) and a child run per record (parameters: model, dataset, recipe, runtime,
threads, device; metrics: latency percentiles, memory, energy, the task's metric and its
drop, sizes), searchable with MLflow's own API. ``mlflow-skinny`` (``edgebench[mlflow]``).

The default store is ``./mlruns`` (MLflow's file store; MLflow 3 keeps it in maintenance
mode behind ``MLFLOW_ALLOW_FILE_STORE``, which is set for a file store here), any other
tracking URI as given (``http://...``, ``databricks``).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError

DEFAULT_URI = "./mlruns"
EXPERIMENT = "edgebench"
#: record fields logged as metrics, when measured.
METRICS: tuple[str, ...] = (
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_mean_ms",
    "latency_std_ms",
    "throughput_ips",
    "peak_memory_mb",
    "memory_over_baseline_mb",
    "power_avg_w",
    "energy_per_image_mj",
    "energy_net_per_image_mj",
    "accuracy",
    "accuracy_drop",
    "params",
    "file_bytes",
)
#: record fields logged as parameters (what the row is).
PARAMS: tuple[str, ...] = ("model", "dataset", "recipe", "runtime", "threads", "device")


def tracking_uri(given: str) -> str:
    """The tracking URI of ``--mlflow`` / ``--uri``: a path becomes a ``file:`` URI of that
    folder (``./mlruns`` by default); a URI with a scheme stays as it is.

    >>> tracking_uri("http://mlflow.lab:5000")
    'http://mlflow.lab:5000'
    >>> tracking_uri("runs/ml").startswith("file:")
    True
    """
    given = given.strip() or DEFAULT_URI
    if "://" in given or given.startswith(("file:", "databricks")):
        return given
    return Path(given).resolve().as_uri()


def _mlflow(uri: str) -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise UsageError(
            f'MLflow is not installed: pip install "edgebench[mlflow]" ({exc})'
        ) from exc
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return mlflow


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def log_run(run_file: Path, uri: str = DEFAULT_URI) -> list[str]:
    """Log the run file's records as MLflow runs under the ``edgebench`` experiment; return
    the child runs' ids. A run file logged before (the same bytes) is logged again as a new
    parent run: MLflow keeps history, edgebench's history store dedupes."""
    from edgebench.report import tables as t
    from edgebench.report.render import render
    from edgebench.results import load_run

    tracking = tracking_uri(uri)
    mlflow = _mlflow(tracking)
    header, records = load_run(run_file)
    provenance = header.get("provenance") or {}
    digest = hashlib.sha256(Path(run_file).read_bytes()).hexdigest()
    client = mlflow.tracking.MlflowClient(tracking_uri=tracking)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
    tags = {
        "edgebench.run_file_sha256": digest,
        "edgebench.git_commit": str(provenance.get("git_commit")),
        "edgebench.machine": str(provenance.get("machine")),
        "edgebench.cpu": str(provenance.get("cpu")),
    }
    parent = client.create_run(experiment_id, run_name=Path(run_file).stem, tags=tags)
    children = []
    try:
        with tempfile.TemporaryDirectory(prefix="edgebench-mlflow-") as folder:
            tables = Path(folder) / f"{Path(run_file).stem}.md"
            tables.write_text(render(t.milestone_tables(records), "md"))
            client.log_artifact(parent.info.run_id, str(run_file))
            client.log_artifact(parent.info.run_id, str(tables))
        for record in records:
            name = "-".join(str(getattr(record, p)) for p in PARAMS)
            child = client.create_run(
                experiment_id,
                run_name=name,
                tags={**tags, "mlflow.parentRunId": parent.info.run_id},
            )
            for key in PARAMS:
                client.log_param(child.info.run_id, key, str(getattr(record, key)))
            client.log_param(child.info.run_id, "metric", str(record.metric or "accuracy"))
            for key in METRICS:
                value = getattr(record, key, None)
                if _finite(value):
                    client.log_metric(child.info.run_id, key, float(value))
            client.set_terminated(child.info.run_id)
            children.append(child.info.run_id)
    finally:
        client.set_terminated(parent.info.run_id)
    return children


def find_runs(uri: str, filter_string: str) -> list[Any]:
    """The MLflow runs of the ``edgebench`` experiment that match ``filter_string``
    (MLflow's search syntax, e.g. ``params.recipe = 'int8'``)."""
    tracking = tracking_uri(uri)
    mlflow = _mlflow(tracking)
    client = mlflow.tracking.MlflowClient(tracking_uri=tracking)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return []
    return list(client.search_runs([experiment.experiment_id], filter_string=filter_string))
