#!/usr/bin/env python3
"""Runs the query suite on the peer engines Tarn is compared with, DuckDB and chDB, on the data
set `tarn-bench gen` wrote, and writes their load times, query times and answers:

  peers.py --data DIR --suite bench/queries/iot.toml --out peers.json
           [--engines duckdb,chdb] [--runs 5] [--only q1,q2] [--work-dir DIR]
           [--tarn-url http://127.0.0.1:18300 [--tarn-load]]

Each engine keeps its database on disk in a fresh directory (a server persists its data, so an
in-memory peer would be an unfair comparison), loads the three CSV files with explicit column
types, then runs every query once cold (after dropping the engine's own caches) and --runs times
hot. Engines run one after the other, with their default thread counts.

With --tarn-url the suite's KQL also runs against that Tarn node over HTTP and the answers go to
tarn-queries.json beside --out, so the suite can be checked without the Rust tool (whose
`tarn-bench query` gives the figures to publish: this client adds Python's JSON parsing to every
time). --tarn-load first creates the tables on the node and streams the CSV files in, writing
load.json beside --out.
"""
import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow

from compare_answers import RESULT_ROWS_MAX
from suite import TABLES, Query, SuiteError, load_schemas, load_suite
from tarn_http import TarnError, TarnNode, answer_from_frames
from values import normalize_cell

PEER_ENGINES = ("duckdb", "chdb")


def main() -> int:
    arguments = parse_arguments()
    try:
        queries = load_suite(arguments.suite, arguments.only)
        schemas = load_schemas(arguments.data)
    except SuiteError as error:
        print(f"peers: {error}", file=sys.stderr)
        return 2
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    if arguments.tarn_url:
        run_tarn(arguments, queries, schemas)
    report = {}
    for engine in arguments.engines:
        report[engine] = run_peer(engine, arguments, queries, schemas)
    if report:
        write_json(arguments.out, report)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the directory tarn-bench gen wrote")
    parser.add_argument("--suite", type=Path, default=Path(__file__).resolve().parents[1] / "queries" / "iot.toml")
    parser.add_argument("--out", type=Path, required=True, help="where to write the peers' report (JSON)")
    parser.add_argument("--engines", default=",".join(PEER_ENGINES),
                        help="comma-separated peers to run (duckdb, chdb); empty for none")
    parser.add_argument("--runs", type=int, default=5, help="hot runs per query (default 5)")
    parser.add_argument("--only", help="comma-separated query names to run")
    parser.add_argument("--work-dir", type=Path, help="where the peers keep their databases (default: a "
                        "temporary directory); put it on the disk Tarn's data directory is on")
    parser.add_argument("--tarn-url", help="also run the KQL against this Tarn node")
    parser.add_argument("--tarn-load", action="store_true", help="load the data into the Tarn node first")
    arguments = parser.parse_args()
    arguments.engines = [engine for engine in arguments.engines.split(",") if engine]
    unknown = [engine for engine in arguments.engines if engine not in PEER_ENGINES]
    if unknown:
        parser.error(f"unknown engines {unknown}; known: {', '.join(PEER_ENGINES)}")
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    arguments.only = arguments.only.split(",") if arguments.only else None
    return arguments


def run_peer(engine: str, arguments, queries: list[Query], schemas: dict) -> dict:
    """Loads the data into a fresh database of `engine`, runs the suite, and removes the database."""
    database_dir = Path(tempfile.mkdtemp(prefix=f"tarn-peer-{engine}-", dir=arguments.work_dir))
    peer = open_peer(engine, database_dir)
    try:
        version, threads = peer.version(), peer.threads()
        print(f"{engine} {version}, {threads} threads: loading into {database_dir}", file=sys.stderr)
        load = load_tables(peer, arguments.data, schemas)
        results = []
        for query in queries:
            text = query.duckdb if engine == "duckdb" else query.clickhouse
            result = measure_query(query.name, lambda text=text: peer.run(text),
                                   lambda table, text=text: arrow_answer(peer.typed_result(text, table)),
                                   peer.drop_caches, arguments.runs)
            print_progress(engine, result)
            results.append(result)
        return {"version": version, "threads": threads, "load": load, "queries": results}
    finally:
        peer.close()
        shutil.rmtree(database_dir, ignore_errors=True)


def open_peer(engine: str, database_dir: Path):
    """The engine's peer; imported here so a machine with only one of the engines can run it."""
    if engine == "duckdb":
        from duckdb_peer import DuckDbPeer
        return DuckDbPeer(database_dir)
    from chdb_peer import ChdbPeer
    return ChdbPeer(database_dir)


def load_tables(peer, data_dir: Path, schemas: dict) -> dict:
    tables = {}
    for table in TABLES:
        csv_path = data_dir / f"{table}.csv"
        started = time.perf_counter()
        peer.load_table(table, schemas[table], csv_path)
        seconds = time.perf_counter() - started
        tables[table] = {"rows": peer.row_count(table), "bytes": csv_path.stat().st_size, "seconds": seconds}
        print(f"  {table}: {tables[table]['rows']} rows in {seconds:.2f} s", file=sys.stderr)
    return {"tables": tables, "total_seconds": sum(table["seconds"] for table in tables.values())}


def measure_query(name: str, run, to_answer, drop_caches, runs: int) -> dict:
    """One cold run after `drop_caches`, then `runs` hot runs. The time is the engine's: running
    the query and materializing its result; turning the cold run's result into the JSON answer
    (`to_answer`) is not timed. A failing query is recorded with its error, not raised: one
    unsupported query must not lose the others' figures."""
    try:
        drop_caches()
        cold_ms, cold_result = timed(run)
        hot_ms = [timed(run)[0] for _ in range(runs)]
        answer = to_answer(cold_result)
    except Exception as error:  # every engine has its own exception types; all mean "failed"
        return {"name": name, "cold_ms": None, "hot_ms": [], "median_ms": None, "rows": None, "columns": [],
                "result": [], "error": f"{type(error).__name__}: {error}"}
    return {"name": name, "cold_ms": round(cold_ms, 3), "hot_ms": [round(time, 3) for time in hot_ms],
            "median_ms": round(statistics.median(hot_ms), 3), **answer, "error": None}


def timed(run):
    """Milliseconds `run` took, and what it returned."""
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def arrow_answer(table: pyarrow.Table) -> dict:
    """An Arrow result as {"rows", "columns" (names), "result"}, cells in the JSON form of
    values.py; the same shape as `tarn-bench query` writes."""
    head = table.slice(0, RESULT_ROWS_MAX)
    cells_by_column = []
    for field, column in zip(table.schema, head.columns):
        cells = [normalize_cell(cell) for cell in column.to_pylist()]
        if pyarrow.types.is_string(field.type) or pyarrow.types.is_large_string(field.type):
            # Kusto has no null string.
            cells = ["" if cell is None else cell for cell in cells]
        cells_by_column.append(cells)
    result = [list(row) for row in zip(*cells_by_column)]
    return {"rows": table.num_rows, "columns": table.schema.names, "result": result}


def run_tarn(arguments, queries: list[Query], schemas: dict) -> None:
    node = TarnNode(arguments.tarn_url)
    if arguments.tarn_load:
        write_json(arguments.out.parent / "load.json", load_tarn(node, arguments.data, schemas))
    results = []
    for query in queries:
        if query.skip_tarn:
            result = {"name": query.name, "cold_ms": None, "hot_ms": [], "median_ms": None, "rows": None,
                      "columns": [], "result": [], "error": None, "skipped": query.skip_tarn}
        else:
            result = measure_query(query.name, lambda kql=query.kql: node.query_frames(kql),
                                   lambda frames: answer_from_frames(frames, RESULT_ROWS_MAX),
                                   lambda: None, arguments.runs)
        print_progress("tarn", result)
        results.append(result)
    write_json(arguments.out.parent / "tarn-queries.json",
               {"engine": "tarn", "client": "bench/peers/tarn_http.py", "version": node.version(), "queries": results})


def load_tarn(node: TarnNode, data_dir: Path, schemas: dict) -> dict:
    tables = {}
    for table in TABLES:
        csv_path = data_dir / f"{table}.csv"
        started = time.perf_counter()
        node.create_table(table, schemas[table])
        node.ingest_csv(table, csv_path)
        seconds = time.perf_counter() - started
        answer = answer_from_frames(node.query_frames(f"{table} | count"), 1)
        tables[table] = {"rows": answer["result"][0][0], "bytes": csv_path.stat().st_size, "seconds": seconds}
        print(f"tarn: {table}: {tables[table]['rows']} rows in {seconds:.2f} s", file=sys.stderr)
    return {"engine": "tarn", "tables": tables, "total_seconds": sum(table["seconds"] for table in tables.values())}


def print_progress(engine: str, result: dict) -> None:
    if result.get("skipped"):
        outcome = f"skipped: {result['skipped']}"
    elif result["error"]:
        outcome = f"FAILED: {result['error'].splitlines()[0][:300]}"
    else:
        outcome = f"{result['rows']} rows, cold {result['cold_ms']:.1f} ms, median hot {result['median_ms']:.1f} ms"
    print(f"  {engine} {result['name']}: {outcome}", file=sys.stderr)


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TarnError as error:
        print(f"peers: the Tarn node refused a request: {error}", file=sys.stderr)
        sys.exit(1)
