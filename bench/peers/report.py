#!/usr/bin/env python3
"""The side-by-side report: Tarn against DuckDB and chDB on the same data and queries.

  report.py --results DIR [--out DIR/report.md] [--suite bench/queries/iot.toml] [--no-plots]

Reads from DIR whichever of these exist:
  tarn-queries.json  `tarn-bench query` (or `peers.py --tarn-url`)
  peers.json         `peers.py`
  load.json          `tarn-bench load` (or `peers.py --tarn-load`)
  ingest.json        `tarn-bench ingest`
and writes DIR/report.md with PNG plots beside it.

Times are only compared where the answers are: a query whose engines disagree (rows in order for
"ordered" queries, as multisets for "any", numbers within the query's tolerance) is marked ✗,
printed on stderr, and left out of the geometric means. The exit status is 3 when any query
disagreed or failed, so a script can stop on it; the report is written either way.
"""
import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from compare_answers import compare_answers
from ingest_summary import ingest_rows
from suite import TABLES, Query, load_suite

ENGINES = ("tarn", "duckdb", "chdb")
ENGINE_TITLES = {"tarn": "Tarn", "duckdb": "DuckDB", "chdb": "chDB"}
PEERS = ("duckdb", "chdb")
EXIT_DISAGREEMENT = 3


@dataclass
class Verdict:
    """What the answers to one query say: "agree" (✓), "disagree" (✗: different answers or a
    failure), or "single" (fewer than two answers, nothing to compare)."""
    status: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return {"agree": "✓", "disagree": "✗", "single": "–"}[self.status]


@dataclass
class Results:
    """Everything read from a results directory: per engine, its queries by name, its version,
    its load figures; and the ingestion report."""
    queries: dict[str, dict[str, dict]]
    versions: dict[str, str]
    loads: dict[str, dict]
    ingest: dict | None


def main() -> int:
    arguments = parse_arguments()
    results = read_results(arguments.results)
    suite = load_suite(arguments.suite)
    verdicts = {query.name: judge_query(query, results) for query in suite}
    for query in suite:
        verdict = verdicts[query.name]
        if verdict.status == "disagree":
            print(f"\n*** DISAGREEMENT in {query.name} ***", file=sys.stderr)
            for problem in verdict.problems:
                print(f"    {problem}", file=sys.stderr)
    plots = [] if arguments.no_plots else draw_plots(arguments.out.parent, suite, results, verdicts)
    arguments.out.write_text(render_report(suite, results, verdicts, plots))
    print(f"wrote {arguments.out}", file=sys.stderr)
    disagreeing = any(verdict.status == "disagree" for verdict in verdicts.values())
    return EXIT_DISAGREEMENT if disagreeing else 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="the directory holding the JSON reports")
    parser.add_argument("--out", type=Path, help="the markdown file to write (default: RESULTS/report.md)")
    parser.add_argument("--suite", type=Path, default=Path(__file__).resolve().parents[1] / "queries" / "iot.toml")
    parser.add_argument("--no-plots", action="store_true", help="write the markdown only")
    arguments = parser.parse_args()
    arguments.out = arguments.out or arguments.results / "report.md"
    return arguments


def read_results(results_dir: Path) -> Results:
    queries, versions, loads = {}, {}, {}
    tarn = read_json_optional(results_dir / "tarn-queries.json")
    if tarn:
        queries["tarn"] = {query["name"]: query for query in tarn.get("queries", [])}
        versions["tarn"] = str(tarn.get("version", ""))
        if tarn.get("client"):
            versions["tarn"] += f" (times through {tarn['client']}, not tarn-bench)"
    peers = read_json_optional(results_dir / "peers.json") or {}
    for engine in PEERS:
        if engine in peers:
            queries[engine] = {query["name"]: query for query in peers[engine].get("queries", [])}
            threads = peers[engine].get("threads")
            versions[engine] = str(peers[engine].get("version", "")) + (f" ({threads} threads)" if threads else "")
            loads[engine] = peers[engine].get("load") or {}
    tarn_load = read_json_optional(results_dir / "load.json")
    if tarn_load:
        loads["tarn"] = tarn_load
    return Results(queries, versions, loads, read_json_optional(results_dir / "ingest.json"))


def read_json_optional(path: Path) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text())


def judge_query(query: Query, results: Results) -> Verdict:
    """Compares every engine's answer with the first one present (Tarn's when there is one). A
    Tarn failure on a query the suite marks skip_tarn is the known gap, not a disagreement."""
    answers, problems, notes = [], [], []
    for engine in ENGINES:
        answer = results.queries.get(engine, {}).get(query.name)
        if answer is None:
            continue
        failure = answer.get("skipped") or answer.get("error")
        if engine == "tarn" and query.skip_tarn and failure:
            notes.append(f"Tarn skipped (skip_tarn): {query.skip_tarn}")
        elif failure:
            problems.append(f"{ENGINE_TITLES[engine]} failed: {failure}")
        else:
            if engine == "tarn" and query.skip_tarn:
                notes.append("Tarn answered although the suite says skip_tarn: the gap may be closed")
            answers.append((engine, answer))
    for engine, answer in answers[1:]:
        reference_engine, reference = answers[0]
        problems += compare_answers(reference, answer, query.order, query.tolerance,
                                    ENGINE_TITLES[reference_engine], ENGINE_TITLES[engine])
    if problems:
        return Verdict("disagree", problems, notes)
    return Verdict("agree" if len(answers) >= 2 else "single", [], notes)


def median_ms(results: Results, engine: str, query_name: str) -> float | None:
    answer = results.queries.get(engine, {}).get(query_name)
    if not answer or answer.get("error") or answer.get("skipped"):
        return None
    return answer.get("median_ms")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def geometric_mean(values: list[float]) -> float | None:
    positive = [value for value in values if value and value > 0]
    if not positive:
        return None
    return math.exp(sum(math.log(value) for value in positive) / len(positive))


def query_ratios(suite: list[Query], results: Results, verdicts: dict[str, Verdict]) -> dict[str, dict[str, float]]:
    """Tarn's median time over each peer's, per agreeing query (the ones the means are taken over)."""
    ratios = {}
    for query in suite:
        if verdicts[query.name].status != "agree":
            continue
        tarn = median_ms(results, "tarn", query.name)
        by_peer = {peer: ratio(tarn, median_ms(results, peer, query.name)) for peer in PEERS}
        ratios[query.name] = {peer: value for peer, value in by_peer.items() if value is not None}
    return ratios


# ----------------------------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------------------------

def render_report(suite: list[Query], results: Results, verdicts: dict[str, Verdict], plots: list[str]) -> str:
    sections = ["# Tarn side by side with DuckDB and chDB", "", render_versions(results), ""]
    sections += render_disagreements(suite, verdicts)
    sections += render_queries(suite, results, verdicts)
    sections += render_load(results)
    sections += render_ingest(results.ingest)
    sections += [f"![{Path(plot).stem}]({plot})" for plot in plots]
    return "\n".join(sections).rstrip() + "\n"


def render_versions(results: Results) -> str:
    if not results.versions:
        return "No engine's results were found."
    return "\n".join(f"- {ENGINE_TITLES[engine]} {version}".rstrip() for engine, version in results.versions.items())


def render_disagreements(suite: list[Query], verdicts: dict[str, Verdict]) -> list[str]:
    failing = [query for query in suite if verdicts[query.name].status == "disagree"]
    if not failing:
        return []
    lines = ["## ✗ Answers that disagree", "",
             "These queries are left out of the means: a time for a wrong answer means nothing.", ""]
    for query in failing:
        lines.append(f"- **{query.name}**")
        lines += [f"  - {problem}" for problem in verdicts[query.name].problems]
    return lines + [""]


def render_queries(suite: list[Query], results: Results, verdicts: dict[str, Verdict]) -> list[str]:
    lines = ["## Queries", "",
             "Median of the hot runs in milliseconds; a ratio under 1 means Tarn is faster.", "",
             "| query | Tarn ms | DuckDB ms | chDB ms | Tarn/DuckDB | Tarn/chDB | answers |",
             "|---|---:|---:|---:|---:|---:|:---:|"]
    notes = []
    for query in suite:
        verdict = verdicts[query.name]
        times = [median_ms(results, engine, query.name) for engine in ENGINES]
        ratios = [ratio(times[0], peer_time) for peer_time in times[1:]]
        cells = [query.name] + [format_number(time) for time in times] + [format_ratio(value) for value in ratios]
        lines.append("| " + " | ".join(cells + [verdict.symbol]) + " |")
        notes += [f"- {query.name}: {note}" for note in verdict.notes]
    ratios = query_ratios(suite, results, verdicts)
    means = [geometric_mean([by_peer[peer] for by_peer in ratios.values() if peer in by_peer]) for peer in PEERS]
    lines.append(f"| **geometric mean** ({len(ratios)} agreeing) | | | | "
                 f"**{format_ratio(means[0])}** | **{format_ratio(means[1])}** | |")
    return lines + [""] + notes + ([""] if notes else [])


def render_load(results: Results) -> list[str]:
    if not results.loads:
        return []
    engines = [engine for engine in ENGINES if engine in results.loads]
    header = ["table", "rows", "MB"] + [f"{ENGINE_TITLES[engine]} s" for engine in engines]
    header += [f"Tarn/{ENGINE_TITLES[peer]}" for peer in PEERS if "tarn" in engines and peer in engines]
    lines = ["## Loading the CSV files", "", "| " + " | ".join(header) + " |",
             "|---|" + "---:|" * (len(header) - 1)]
    for table in list(TABLES) + ["total"]:
        figures = {engine: load_figures(results.loads[engine], table) for engine in engines}
        any_figures = next((value for value in figures.values() if value), {})
        seconds = {engine: (figures[engine] or {}).get("seconds") for engine in engines}
        cells = [table if table != "total" else "**total**", format_number(any_figures.get("rows")),
                 format_number(any_figures["bytes"] / 1e6 if any_figures.get("bytes") is not None else None)]
        cells += [format_number(seconds[engine]) for engine in engines]
        cells += [format_ratio(ratio(seconds["tarn"], seconds[peer])) for peer in PEERS
                  if "tarn" in engines and peer in engines]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def load_figures(load: dict, table: str) -> dict | None:
    """{"rows", "bytes", "seconds"} of one table, or the sums for "total"."""
    tables = load.get("tables") or {}
    if table != "total":
        return tables.get(table)
    if not tables:
        return None
    return {"rows": sum(figures.get("rows") or 0 for figures in tables.values()),
            "bytes": sum(figures.get("bytes") or 0 for figures in tables.values()),
            "seconds": load.get("total_seconds", sum(figures.get("seconds") or 0 for figures in tables.values()))}


def render_ingest(ingest: dict | None) -> list[str]:
    if not ingest:
        return []
    lines = ["## Streaming ingestion (Tarn)", "", "| measure | value |", "|---|---:|"]
    lines += [f"| {name} | {format_number(value)} |" for name, value in ingest_rows(ingest)]
    return lines + [""]


def format_number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}".replace(",", " ")
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def draw_plots(out_dir: Path, suite: list[Query], results: Results, verdicts: dict[str, Verdict]) -> list[str]:
    """The PNG files, named relative to the report. Imported here so the markdown alone needs
    no matplotlib."""
    from report_plots import plot_ingest, plot_ratios
    plots = []
    ratios = query_ratios(suite, results, verdicts)
    if any(ratios.values()):
        plots.append(plot_ratios(out_dir, ratios, {peer: ENGINE_TITLES[peer] for peer in PEERS}))
    if results.ingest:
        plots += plot_ingest(out_dir, results.ingest)
    return plots


if __name__ == "__main__":
    sys.exit(main())
