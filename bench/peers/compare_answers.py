"""Whether two engines gave the same answer to a query.

An answer is the dict each engine's report holds per query: "rows" (the full row count),
"columns", "result" (the first RESULT_ROWS_MAX rows, cells in the JSON form of values.py) and
"error". Two answers agree when neither failed, they have as many columns and rows, and their rows
match: position by position when the query's order is "ordered", as multisets when it is "any".
Cells match when they are equal, except that numbers may differ by the query's relative tolerance
(summation order, approximate aggregates) and datetimes are compared as instants (Kusto sends
"...00.0000000Z", the peers "...00Z").
"""
import math
from collections import defaultdict

from values import nanos_from_iso

RESULT_ROWS_MAX = 1000
# Below this magnitude two numbers are equal whatever the relative tolerance says: a sum that
# is 0 in one engine can be 1e-17 in another.
ABSOLUTE_TOLERANCE = 1e-12
# How many differing rows a disagreement lists; the first few say what is wrong.
REPORTED_DIFFERENCES_MAX = 3


def compare_answers(expected: dict, actual: dict, order: str, tolerance: float,
                    expected_engine: str = "expected", actual_engine: str = "actual") -> list[str]:
    """The differences between two answers, as sentences naming the engines; empty when they
    agree."""
    for engine, answer in ((expected_engine, expected), (actual_engine, actual)):
        if answer.get("error"):
            return [f"{engine} failed: {answer['error']}"]
    expected_columns, actual_columns = expected.get("columns") or [], actual.get("columns") or []
    if len(expected_columns) != len(actual_columns):
        return [f"{expected_engine} has {len(expected_columns)} columns {column_names(expected_columns)}, "
                f"{actual_engine} has {len(actual_columns)} {column_names(actual_columns)}"]
    differences = []
    expected_count, actual_count = expected.get("rows"), actual.get("rows")
    if expected_count != actual_count:
        differences.append(f"{expected_engine} has {expected_count} rows, {actual_engine} has {actual_count}")
    expected_rows, actual_rows = expected.get("result") or [], actual.get("result") or []
    truncated = max(len(expected_rows), len(actual_rows)) >= RESULT_ROWS_MAX
    if order == "ordered":
        differences += _ordered_differences(expected_rows, actual_rows, tolerance, expected_engine, actual_engine)
    elif not truncated:
        # (Two engines may return different subsets of an unordered answer longer than the
        # captured prefix: then only the row count can be compared.)
        differences += _multiset_differences(expected_rows, actual_rows, tolerance, expected_engine, actual_engine)
    return differences


def column_names(columns: list) -> list[str]:
    """Column names from either form of the "columns" list: names, or {"name", "type"} objects."""
    return [column["name"] if isinstance(column, dict) else str(column) for column in columns]


def cells_match(expected, actual, tolerance: float) -> bool:
    expected, actual = _comparable(expected), _comparable(actual)
    if _is_number(expected) and _is_number(actual):
        return math.isclose(expected, actual, rel_tol=tolerance, abs_tol=ABSOLUTE_TOLERANCE)
    return expected == actual


def rows_match(expected: list, actual: list, tolerance: float) -> bool:
    return len(expected) == len(actual) and all(
        cells_match(expected_cell, actual_cell, tolerance) for expected_cell, actual_cell in zip(expected, actual)
    )


def _ordered_differences(expected_rows, actual_rows, tolerance, expected_engine, actual_engine) -> list[str]:
    differences = []
    for index, (expected, actual) in enumerate(zip(expected_rows, actual_rows)):
        if not rows_match(expected, actual, tolerance):
            differences.append(f"row {index}: {expected_engine} {expected}, {actual_engine} {actual}")
            if len(differences) == REPORTED_DIFFERENCES_MAX:
                break
    shorter = min(len(expected_rows), len(actual_rows))
    for engine, rows in ((expected_engine, expected_rows), (actual_engine, actual_rows)):
        for index in range(shorter, min(len(rows), shorter + REPORTED_DIFFERENCES_MAX)):
            differences.append(f"row {index}: only {engine} has {rows[index]}")
    return differences


def _multiset_differences(expected_rows, actual_rows, tolerance, expected_engine, actual_engine) -> list[str]:
    """Rows of each side with no partner on the other. Rows are grouped by their cells that must
    match exactly (everything but numbers), then paired within a group by tolerance, so float
    noise cannot change which rows are partners."""
    unmatched_actual = defaultdict(list)
    for row in actual_rows:
        unmatched_actual[_exact_key(row)].append(row)
    only_expected = []
    for row in expected_rows:
        candidates = unmatched_actual[_exact_key(row)]
        partner = next((index for index, candidate in enumerate(candidates)
                        if rows_match(row, candidate, tolerance)), None)
        if partner is None:
            only_expected.append(row)
        else:
            candidates.pop(partner)
    only_actual = [row for rows in unmatched_actual.values() for row in rows]
    return ([f"only {expected_engine} has {row}" for row in only_expected[:REPORTED_DIFFERENCES_MAX]]
            + [f"only {actual_engine} has {row}" for row in only_actual[:REPORTED_DIFFERENCES_MAX]])


def _exact_key(row: list) -> tuple:
    return tuple("<number>" if _is_number(cell) else repr(cell) for cell in map(_comparable, row))


def _comparable(cell):
    """Datetime texts become instants; everything else stays as it is."""
    if isinstance(cell, str):
        nanos = nanos_from_iso(cell)
        if nanos is not None:
            return ("datetime", nanos)
    return cell


def _is_number(cell) -> bool:
    return isinstance(cell, (int, float))
