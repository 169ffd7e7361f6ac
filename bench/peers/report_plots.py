"""The report's pictures (PNG, matplotlib's Agg backend: no display needed)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as pyplot  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from ingest_summary import (FRESHNESS_SECTION, LATENCY_SECTION, SERVER_SERIES, THROUGHPUT_SERIES,  # noqa: E402
                            distribution, sample_series)

DPI = 110
# Ratio ticks a reader can name ("2×", "0.5×"), instead of matplotlib's 2×10⁰.
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def plot_ratios(out_dir: Path, ratios: dict[str, dict[str, float]], peer_titles: dict[str, str]) -> str:
    """Horizontal bars of Tarn's time over each peer's per query, on a log scale centred on 1,
    so "twice as fast" and "twice as slow" are bars of the same length."""
    names = list(ratios)
    height = 0.8 / len(peer_titles)
    figure, axes = pyplot.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    for index, (peer, title) in enumerate(peer_titles.items()):
        positions = [row + index * height for row in range(len(names))]
        values = [ratios[name].get(peer, float("nan")) for name in names]
        # Bars grow from 1 (equal times) to the ratio, left for faster, right for slower.
        axes.barh(positions, [value - 1 for value in values], height=height, left=1, label=f"Tarn / {title}")
    axes.set_xscale("log")
    every_ratio = [value for by_peer in ratios.values() for value in by_peer.values()] + [1.0]
    axes.set_xlim(min(every_ratio) / 1.3, max(every_ratio) * 1.3)
    axes.xaxis.set_major_locator(FixedLocator(RATIO_TICKS))
    axes.xaxis.set_minor_locator(NullLocator())
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}×"))
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_yticks([row + height * (len(peer_titles) - 1) / 2 for row in range(len(names))], names)
    axes.invert_yaxis()
    axes.set_xlabel("Tarn time / peer time (log scale; under 1: Tarn is faster)")
    axes.legend(loc="lower right")
    axes.grid(axis="x", which="both", alpha=0.3)
    return _save(figure, out_dir / "query-ratios.png")


def plot_ingest(out_dir: Path, ingest: dict) -> list[str]:
    plots = []
    if any(sample_series(ingest, key)[0] for key, _ in THROUGHPUT_SERIES + SERVER_SERIES):
        plots.append(_plot_ingest_over_time(out_dir, ingest))
    latency, freshness = distribution(ingest, LATENCY_SECTION), distribution(ingest, FRESHNESS_SECTION)
    if latency or freshness:
        plots.append(_plot_distributions(out_dir, latency, freshness))
    return plots


def _plot_ingest_over_time(out_dir: Path, ingest: dict) -> str:
    """Throughput on top, the server's state (CPU, memory, extents, merges, p99) below, on one
    time axis so a dip in throughput can be matched with a merge or a memory peak."""
    series = [(key, label) for key, label in THROUGHPUT_SERIES + SERVER_SERIES if sample_series(ingest, key)[0]]
    figure, axes_list = pyplot.subplots(len(series), 1, sharex=True, figsize=(9, 1.8 * len(series) + 0.8))
    axes_list = axes_list if len(series) > 1 else [axes_list]
    for axes, (key, label) in zip(axes_list, series):
        times, values = sample_series(ingest, key)
        axes.plot(times, values, linewidth=1.2)
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
    axes_list[-1].set_xlabel("seconds since the start of the test")
    figure.suptitle("Streaming ingestion over time")
    return _save(figure, out_dir / "ingest-over-time.png")


def _plot_distributions(out_dir: Path, latency: dict[str, float], freshness: dict[str, float]) -> str:
    """Percentile bars: ingest.json keeps the percentiles, not every observation."""
    panels = [(title, values) for title, values in (("request latency", latency), ("freshness", freshness)) if values]
    figure, axes_list = pyplot.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5))
    axes_list = axes_list if len(panels) > 1 else [axes_list]
    for axes, (title, values) in zip(axes_list, panels):
        bars = axes.bar(list(values), list(values.values()))
        axes.bar_label(bars, fmt="%.1f")
        axes.set_title(f"{title} (ms)")
        axes.grid(axis="y", alpha=0.3)
    return _save(figure, out_dir / "ingest-latency.png")


def _save(figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    pyplot.close(figure)
    return path.name
