"""A small Kusto REST client for one Tarn node (standard library only), so the query suite can be
checked against a real node without the Rust tool: create the tables, stream the CSV files in, run
KQL and read v2 answers into the same JSON form as the peers' (values.py)."""
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from suite import Column
from values import canonical_iso

DATABASE = "NetDefaultDB"
# Well under the node's INGEST_REQUEST_BYTES_MAX (256 MiB), so one request is never refused for
# size and a failure costs little to retry by hand.
INGEST_CHUNK_BYTES_MAX = 32 * 1024 * 1024
REQUEST_TIMEOUT_SECONDS = 600
_TIMESPAN_PATTERN = re.compile(r"^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$")


class TarnError(Exception):
    """The node refused a request; the text is Kusto's @message when there is one."""


class TarnNode:
    def __init__(self, url: str, database: str = DATABASE):
        self.url = url.rstrip("/")
        self.database = database

    def management(self, command: str) -> dict:
        return json.loads(self._post("/v1/rest/mgmt", json.dumps({"db": self.database, "csl": command}).encode()))

    def version(self) -> str:
        table = self.management(".show version")["Tables"][0]
        names = [column["ColumnName"] for column in table["Columns"]]
        column = names.index("BuildVersion") if "BuildVersion" in names else 0
        return str(table["Rows"][0][column])

    def create_table(self, table: str, columns: list[Column]) -> None:
        """Creates `table` afresh (dropping one left by an earlier run)."""
        self.management(f".drop table {table} ifexists")
        spec = ", ".join(f"{column.name}:{column.kusto_type}" for column in columns)
        self.management(f".create table {table} ({spec})")

    def ingest_csv(self, table: str, csv_path: Path) -> None:
        """Streams a header-less CSV file into `table` in chunks of whole lines."""
        path = f"/v1/rest/ingest/{self.database}/{table}?streamFormat=Csv"
        for chunk in _line_chunks(csv_path, INGEST_CHUNK_BYTES_MAX):
            self._post(path, chunk, content_type="text/csv")

    def query_frames(self, kql: str) -> list:
        """The v2 frames answering `kql` (see answer_from_frames)."""
        return json.loads(self._post("/v2/rest/query", json.dumps({"db": self.database, "csl": kql}).encode()))

    def _post(self, path: str, body: bytes, content_type: str = "application/json") -> bytes:
        request = urllib.request.Request(self.url + path, data=body, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise TarnError(_error_message(error.read(), error.code)) from None


def answer_from_frames(frames: list, rows_max: int) -> dict:
    """A v2 answer as {"rows": count, "columns": names, "result": the first rows_max rows}, cells
    in the peers' JSON form."""
    columns, rows = _primary_result(frames)
    kusto_types = [column["type"] for column in columns]
    result = [[_normalize(cell, kusto_type) for cell, kusto_type in zip(row, kusto_types)] for row in rows[:rows_max]]
    return {"rows": len(rows), "columns": [column["name"] for column in columns], "result": result}


def _line_chunks(csv_path: Path, chunk_bytes_max: int):
    """Pieces of the file that end at a line end. A quoted field may hold a line break (RFC 4180),
    but the generator writes none, so cutting at any line end keeps records whole."""
    with open(csv_path, "rb") as file:
        while True:
            chunk = file.read(chunk_bytes_max)
            if not chunk:
                return
            chunk += file.readline()
            yield chunk


def _primary_result(frames: list) -> tuple[list[dict], list[list]]:
    """Columns and rows of the first PrimaryResult table, from either the plain or the fragmented
    v2 layout; an in-band error (a row holding OneApiErrors) is raised."""
    columns, rows = None, []
    for frame in frames:
        kind = frame.get("FrameType")
        if kind in ("DataTable", "TableHeader") and frame.get("TableKind") == "PrimaryResult" and columns is None:
            columns = [{"name": column["ColumnName"], "type": column["ColumnType"]} for column in frame["Columns"]]
            rows = list(frame.get("Rows", []))
        elif kind == "TableFragment" and columns is not None:
            rows.extend(frame.get("Rows", []))
        elif kind == "DataSetCompletion" and frame.get("HasErrors"):
            raise TarnError(_one_api_message(frame.get("OneApiErrors", [])))
    for row in rows:
        if isinstance(row, dict):
            raise TarnError(_one_api_message(row.get("OneApiErrors", [])))
    if columns is None:
        raise TarnError("the answer has no PrimaryResult table")
    return columns, rows


def _normalize(cell, kusto_type: str):
    if cell is None:
        return None
    if kusto_type == "datetime":
        return canonical_iso(cell)
    if kusto_type == "timespan":
        return timespan_seconds(cell)
    if kusto_type == "decimal":
        return float(cell)
    return cell


def timespan_seconds(text: str) -> float:
    """Seconds of a Kusto timespan text "[-][d.]hh:mm:ss[.fffffff]"."""
    match = _TIMESPAN_PATTERN.match(text)
    if match is None:
        raise TarnError(f"'{text}' is not a Kusto timespan")
    sign, days, hours, minutes, seconds, fraction = match.groups()
    ticks = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 * 10_000_000
    ticks += int(seconds) * 10_000_000 + int((fraction or "").ljust(7, "0"))
    return -ticks / 1e7 if sign else ticks / 1e7


def _error_message(body: bytes, status: int) -> str:
    try:
        error = json.loads(body)["error"]
        return error.get("@message") or error.get("message") or str(error)
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {body[:500].decode(errors='replace')}"


def _one_api_message(errors: list) -> str:
    messages = [error.get("error", {}).get("@message", str(error)) for error in errors]
    return "; ".join(messages) or "the query failed (no message)"
