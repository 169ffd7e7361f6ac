"""chDB (ClickHouse in-process) as a benchmark peer: a persistent session directory, MergeTree
tables sorted by (name, ts), the CSV files inserted through file(), queries answered as Arrow
tables."""
from pathlib import Path

import chdb
import pyarrow
from chdb import session

from suite import Column

CLICKHOUSE_TYPES = {
    # The generated files carry milliseconds.
    "datetime": "DateTime64(3, 'UTC')",
    # Kusto has no null string: a non-Nullable String reads an empty field as "".
    "string": "String",
    "real": "Nullable(Float64)",
    "long": "Nullable(Int64)",
    "int": "Nullable(Int32)",
    "bool": "Nullable(Bool)",
}
# The columns a table is sorted by, when it has them: TSBS's ClickHouse schema sorts by truck
# and time, which serves both "per truck" and "time window" queries.
SORT_KEY_COLUMNS = ("name", "ts")
# ClickHouse's own caches; the OS page cache stays warm, as for every engine's cold run.
DROP_CACHE_COMMANDS = (
    "SYSTEM DROP MARK CACHE",
    "SYSTEM DROP UNCOMPRESSED CACHE",
    "SYSTEM DROP PRIMARY INDEX CACHE",
    "SYSTEM DROP QUERY CONDITION CACHE",
    "SYSTEM DROP MMAP CACHE",
    "SYSTEM DROP PAGE CACHE",
)


class ChdbPeer:
    name = "chdb"

    def __init__(self, database_dir: Path):
        self.session = session.Session(str(database_dir / "peer.chdb"))

    def version(self) -> str:
        engine = self.session.query("SELECT version()", "CSV").bytes().decode().strip().strip('"')
        return f"{chdb.__version__} (ClickHouse {engine})"

    def threads(self) -> str:
        setting = self.run("SELECT value FROM system.settings WHERE name = 'max_threads'")
        return setting.column("value")[0].as_py()

    def load_table(self, table: str, columns: list[Column], csv_path: Path) -> None:
        """Creates `table` as a MergeTree and inserts the header-less CSV file into it. The insert
        returns once its parts are fsynced (ClickHouse does not fsync by default; Tarn and
        DuckDB's checkpoint do)."""
        definitions = ", ".join(f"{column.name} {CLICKHOUSE_TYPES[column.kusto_type]}" for column in columns)
        names = [column.name for column in columns]
        sort_key = ", ".join(column for column in SORT_KEY_COLUMNS if column in names) or "tuple()"
        self.session.query(f"CREATE TABLE {table} ({definitions}) ENGINE = MergeTree ORDER BY ({sort_key}) "
                           "SETTINGS fsync_after_insert = 1, fsync_part_directory = 1")
        self.session.query(
            f"INSERT INTO {table} SELECT * FROM file({_quote(str(csv_path))}, CSV, {_quote(definitions)}) "
            # ISO 8601 with 'Z' needs the best-effort parser.
            "SETTINGS date_time_input_format = 'best_effort', input_format_csv_empty_as_default = 1"
        )

    def row_count(self, table: str) -> int:
        return self.run(f"SELECT count() AS n FROM {table}").column("n")[0].as_py()

    def drop_caches(self) -> None:
        for command in DROP_CACHE_COMMANDS:
            self.session.query(command)

    def run(self, sql: str) -> pyarrow.Table:
        return self.session.query(sql, "ArrowTable")

    def typed_result(self, sql: str, table: pyarrow.Table) -> pyarrow.Table:
        """`table` with ClickHouse's 32-bit DateTime columns as timestamps: ClickHouse writes
        DateTime (what toStartOfHour and friends return) to Arrow as plain uint32 seconds, so
        the column types are asked for separately (outside the timed run)."""
        if not any(pyarrow.types.is_uint32(field.type) for field in table.schema):
            return table
        description = self.session.query(f"DESCRIBE ({sql})", "ArrowTable")
        clickhouse_types = dict(zip(description.column("name").to_pylist(), description.column("type").to_pylist()))
        for index, field in enumerate(table.schema):
            if pyarrow.types.is_uint32(field.type) and "DateTime(" in clickhouse_types.get(field.name, ""):
                seconds = table.column(index).cast(pyarrow.int64())
                table = table.set_column(index, field.name, seconds.cast(pyarrow.timestamp("s", tz="UTC")))
        return table

    def close(self) -> None:
        self.session.close()


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
