"""What the report reads from `tarn-bench ingest`'s ingest.json (IngestReport in
bench/src/ingest/mod.rs):

  {"engine", "config": {...}, "pool": {...},
   "samples": [{"t_s", "rows", "bytes", "rows_per_s", "mb_per_s", "requests", "errors", "p99_ms",
                "server_cpu_percent", "server_rss_mb", "extents", "merges"}, ...],
   "latency_ms": {"count", "p50", "p95", "p99", "max"},
   "freshness_ms": {"count", "p50", "p95", "p99", "max", "timeouts", "errors"},
   "totals": {"rows", "bytes", "rows_per_s", "mb_per_s", "server_cpu_cores", ...}, "errors": {...}}

Key names live in the constants below and every lookup tolerates a missing key, so a change on
the Rust side costs an edit here rather than a crash of the report.
"""
# Sections whose scalar values make up the summary table, with the label each gets.
SUMMARY_SECTIONS = (("config", "config"), ("totals", "total"), ("latency_ms", "request latency ms"),
                    ("freshness_ms", "freshness ms"))
LATENCY_SECTION = "latency_ms"
FRESHNESS_SECTION = "freshness_ms"
DISTRIBUTION_KEYS = ("p50", "p95", "p99", "max")
SAMPLE_TIME_KEY = "t_s"
# Per-second series the throughput plot draws, with their axis labels.
THROUGHPUT_SERIES = (("rows_per_s", "rows/s"), ("mb_per_s", "MB/s"))
SERVER_SERIES = (("server_cpu_percent", "server CPU %"), ("server_rss_mb", "server RSS MB"),
                 ("extents", "extents"), ("merges", "merges"), ("p99_ms", "p99 latency ms"))


def ingest_rows(ingest: dict) -> list[tuple[str, object]]:
    """(label, value) for every scalar of the summary sections, in file order."""
    rows = []
    for section, label in SUMMARY_SECTIONS:
        values = ingest.get(section)
        if not isinstance(values, dict):
            continue
        rows += [(f"{label}: {key}", value) for key, value in values.items() if _is_scalar(value)]
    errors = ingest.get("errors")
    if isinstance(errors, dict):
        rows += [(f"errors: {kind}", count) for kind, count in errors.items()]
    return rows


def sample_series(ingest: dict, key: str) -> tuple[list[float], list[float]]:
    """The seconds and values of one per-second series, skipping samples without the value."""
    times, values = [], []
    for sample in ingest.get("samples") or []:
        if sample.get(SAMPLE_TIME_KEY) is not None and sample.get(key) is not None:
            times.append(sample[SAMPLE_TIME_KEY])
            values.append(sample[key])
    return times, values


def distribution(ingest: dict, section: str) -> dict[str, float]:
    """The percentiles a section reports, e.g. {"p50": 3.1, "p99": 12.0, "max": 40.2}."""
    values = ingest.get(section)
    if not isinstance(values, dict):
        return {}
    return {key: values[key] for key in DISTRIBUTION_KEYS if isinstance(values.get(key), (int, float))}


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float, str, bool)) or value is None
