"""Tests of the answer checker and the report, on small hand-made answers (standard library and
pytest only: no engine is run).

  python -m pytest -q bench/peers/test_report.py
"""
import json

import pytest

from compare_answers import compare_answers
from report import EXIT_DISAGREEMENT, Results, judge_query, main, query_ratios, read_results
from suite import Query
from tarn_http import answer_from_frames, timespan_seconds
from values import canonical_iso, iso_from_datetime, nanos_from_iso, normalize_cell


def answer(rows, columns=("name", "value"), error=None):
    return {"rows": len(rows), "columns": list(columns), "result": [list(row) for row in rows], "error": error}


def query(order="ordered", tolerance=1e-9, skip_tarn=None):
    return Query(name="q", description="", kql="", duckdb="", clickhouse="", order=order, tolerance=tolerance,
                 skip_tarn=skip_tarn)


TRUCKS = [["truck_0", 1.5], ["truck_1", 2.25], ["truck_2", 3.0]]


# Proves identical answers agree, in either order mode.
def test_identical_answers_agree():
    assert compare_answers(answer(TRUCKS), answer(TRUCKS), "ordered", 1e-9) == []
    assert compare_answers(answer(TRUCKS), answer(TRUCKS), "any", 1e-9) == []


# Proves a wrong value is caught, and the message names the row and both engines.
def test_wrong_value_is_caught():
    wrong = [["truck_0", 1.5], ["truck_1", 2.5], ["truck_2", 3.0]]
    differences = compare_answers(answer(TRUCKS), answer(wrong), "ordered", 1e-9, "Tarn", "DuckDB")
    assert len(differences) == 1
    assert "row 1" in differences[0] and "Tarn" in differences[0] and "DuckDB" in differences[0]
    assert compare_answers(answer(TRUCKS), answer(wrong), "any", 1e-9) != []


# Proves a missing row is caught in both modes: by the row count and by the unmatched row.
def test_missing_row_is_caught():
    for order in ("ordered", "any"):
        differences = compare_answers(answer(TRUCKS), answer(TRUCKS[:2]), order, 1e-9, "Tarn", "chDB")
        assert any("3 rows" in difference for difference in differences)
        assert any("truck_2" in difference for difference in differences)


# Proves reordered rows disagree when the order is part of the answer, and agree when it is not.
def test_reordered_rows():
    reordered = [TRUCKS[2], TRUCKS[0], TRUCKS[1]]
    assert compare_answers(answer(TRUCKS), answer(reordered), "ordered", 1e-9) != []
    assert compare_answers(answer(TRUCKS), answer(reordered), "any", 1e-9) == []


# Proves float noise within the tolerance is accepted and a difference beyond it is not; integers
# and floats of the same value match (one engine's 5000 is another's 5000.0); zero and tiny sums
# match.
def test_float_tolerance():
    noisy = [["truck_0", 1.5 * (1 + 1e-12)], ["truck_1", 2.25], ["truck_2", 3.0 - 1e-13]]
    assert compare_answers(answer(TRUCKS), answer(noisy), "ordered", 1e-9) == []
    assert compare_answers(answer([["a", 100.0]]), answer([["a", 101.0]]), "any", 0.02) == []
    assert compare_answers(answer([["a", 100.0]]), answer([["a", 103.0]]), "any", 0.02) != []
    assert compare_answers(answer([["a", 5000]]), answer([["a", 5000.0]]), "any", 1e-9) == []
    assert compare_answers(answer([["a", 0.0]]), answer([["a", 1e-17]]), "any", 1e-9) == []


# Proves that in unordered answers float noise does not change which rows are partners.
def test_multiset_pairs_rows_by_exact_cells_first():
    expected = [["b", 1.0], ["a", 1.0 + 1e-12]]
    actual = [["a", 1.0], ["b", 1.0 + 1e-12]]
    assert compare_answers(answer(expected), answer(actual), "any", 1e-9) == []


# Proves nulls, NaN and strings compare exactly, and a failed engine is a disagreement.
def test_nulls_nan_and_failures():
    assert compare_answers(answer([["a", None]]), answer([["a", None]]), "any", 1e-9) == []
    assert compare_answers(answer([["a", None]]), answer([["a", 0.0]]), "any", 1e-9) != []
    assert compare_answers(answer([["a", "NaN"]]), answer([["a", "NaN"]]), "any", 1e-9) == []
    assert compare_answers(answer([["a", 1.0]]), answer([["A", 1.0]]), "any", 1e-9) != []
    failed = compare_answers(answer(TRUCKS), answer([], error="Semantic error: SEM0100"), "any", 1e-9, "Tarn", "chDB")
    assert failed == ["chDB failed: Semantic error: SEM0100"]


# Proves a different column count is a disagreement even with equal rows.
def test_column_count_differs():
    assert compare_answers(answer([["a", 1]]), answer([["a", 1]], columns=("name",)), "any", 1e-9) != []


# Proves the datetime forms of Kusto (7 digits), the Rust tool and the peers all meet in one
# canonical text, and compare as the same instant.
def test_datetime_normalization():
    import datetime
    assert canonical_iso("2024-01-01T00:00:10.0000000Z") == "2024-01-01T00:00:10Z"
    assert canonical_iso("2024-01-01T00:00:00.2500000Z") == "2024-01-01T00:00:00.25Z"
    assert canonical_iso("2024-01-01 00:00:00.123456789") == "2024-01-01T00:00:00.123456789Z"
    assert canonical_iso("truck_1") == "truck_1"
    naive = datetime.datetime(2024, 1, 1, 0, 0, 0, 500000)
    aware = datetime.datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    assert iso_from_datetime(naive) == iso_from_datetime(aware) == "2024-01-01T00:00:00.5Z"
    assert normalize_cell(datetime.datetime(1969, 12, 31, 23, 59, 59)) == "1969-12-31T23:59:59Z"
    assert nanos_from_iso("1970-01-01T00:00:00.000000001Z") == 1
    tarn = answer([["t", "2024-01-01T00:00:10.0000000Z"]])
    peer = answer([["t", "2024-01-01T00:00:10Z"]])
    later = answer([["t", "2024-01-01T00:00:10.001Z"]])
    assert compare_answers(tarn, peer, "ordered", 1e-9) == []
    assert compare_answers(tarn, later, "ordered", 1e-9) != []


# Proves the other cell conversions: NaN and infinities as text, timespans as seconds.
def test_cell_normalization():
    import datetime
    import decimal
    assert normalize_cell(float("nan")) == "NaN"
    assert normalize_cell(float("-inf")) == "-Infinity"
    assert normalize_cell(datetime.timedelta(minutes=10)) == 600.0
    assert normalize_cell(decimal.Decimal("1.50")) == 1.5
    assert timespan_seconds("00:10:00") == 600.0
    assert timespan_seconds("1.00:00:01.0010001") == pytest.approx(86_401.0010001)
    assert timespan_seconds("-00:00:00.5000000") == -0.5


# Proves a Tarn v2 answer is read into the same form as the peers' (datetime and timespan cells).
def test_answer_from_v2_frames():
    frames = [
        {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"},
        {"FrameType": "DataTable", "TableId": 1, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
         "Columns": [{"ColumnName": "ts", "ColumnType": "datetime"}, {"ColumnName": "d", "ColumnType": "timespan"},
                     {"ColumnName": "n", "ColumnType": "long"}],
         "Rows": [["2024-01-01T00:00:00.0000000Z", "00:01:00", 3], [None, None, None]]},
        {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False},
    ]
    assert answer_from_frames(frames, 1000) == {
        "rows": 2, "columns": ["ts", "d", "n"], "result": [["2024-01-01T00:00:00Z", 60.0, 3], [None, None, None]]}
    assert answer_from_frames(frames, 1)["result"] == [["2024-01-01T00:00:00Z", 60.0, 3]]


def results_of(tarn=None, duckdb=None, chdb=None):
    queries = {engine: {"q": dict(found, name="q", median_ms=time)}
               for engine, found, time in (("tarn", tarn, 10.0), ("duckdb", duckdb, 5.0), ("chdb", chdb, 20.0))
               if found is not None}
    return Results(queries=queries, versions={}, loads={}, ingest=None)


# Proves the verdict over three engines: agreement, one engine wrong, a Tarn gap the suite
# declares (skip_tarn) is a note rather than a disagreement, and the means skip disagreeing queries.
def test_judge_query_over_engines():
    good = answer(TRUCKS)
    assert judge_query(query(), results_of(good, good, good)).status == "agree"
    wrong = judge_query(query(), results_of(good, good, answer(TRUCKS[:2])))
    assert wrong.status == "disagree" and any("chDB" in problem for problem in wrong.problems)
    gap = judge_query(query(skip_tarn="needs make-series"), results_of(answer([], error="SEM0002"), good, good))
    assert gap.status == "agree" and any("make-series" in note for note in gap.notes)
    assert judge_query(query(), results_of(answer([], error="SEM0002"), good, good)).status == "disagree"
    assert judge_query(query(), results_of(None, good, None)).status == "single"
    all_agree = results_of(good, good, good)
    agreeing = judge_query(query(), all_agree)
    assert query_ratios([query()], all_agree, {"q": agreeing}) == {"q": {"duckdb": 2.0, "chdb": 0.5}}
    assert query_ratios([query()], all_agree, {"q": wrong}) == {}


def entry(name, rows, time):
    return dict(answer(rows), name=name, cold_ms=time, hot_ms=[time], median_ms=time)


# Proves the whole report runs on a results directory: the markdown holds the table, the mean
# and the disagreement, and the exit status says a query disagreed.
def test_report_end_to_end(tmp_path, monkeypatch):
    suite_path = tmp_path / "suite.toml"
    suite_path.write_text(
        '[[query]]\nname = "good"\nkql = "T"\nduckdb = "S"\nclickhouse = "S"\norder = "any"\n'
        '[[query]]\nname = "bad"\nkql = "T"\nduckdb = "S"\nclickhouse = "S"\norder = "ordered"\n')
    (tmp_path / "tarn-queries.json").write_text(json.dumps(
        {"engine": "tarn", "queries": [entry("good", TRUCKS, 4.0), entry("bad", TRUCKS, 1.0)]}))
    (tmp_path / "peers.json").write_text(json.dumps({
        "duckdb": {"version": "x", "queries": [entry("good", TRUCKS, 2.0), entry("bad", TRUCKS[::-1], 1.0)],
                   "load": {"tables": {"readings": {"rows": 3, "bytes": 10, "seconds": 1.0}}, "total_seconds": 1.0}}}))
    (tmp_path / "load.json").write_text(json.dumps(
        {"engine": "tarn", "tables": {"readings": {"rows": 3, "bytes": 10, "seconds": 2.0}}, "total_seconds": 2.0}))
    monkeypatch.setattr("sys.argv", ["report.py", "--results", str(tmp_path), "--suite", str(suite_path), "--no-plots"])
    assert main() == EXIT_DISAGREEMENT
    report = (tmp_path / "report.md").read_text()
    assert "| good | 4.00 | 2.00 | – | 2.00× | – | ✓ |" in report
    assert "| bad | 1.00 | 1.00 | – | 1.00× | – | ✗ |" in report
    assert "**2.00×**" in report and "Answers that disagree" in report
    assert "| readings | 3 | 0.00 | 2.00 | 1.00 | 2.00× |" in report
    assert read_results(tmp_path).ingest is None
