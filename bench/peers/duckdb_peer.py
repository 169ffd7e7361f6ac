"""DuckDB as a benchmark peer: a persistent database file, the CSV files loaded with explicit
column types, queries answered as Arrow tables."""
from pathlib import Path

import duckdb
import pyarrow

from suite import Column

DUCKDB_TYPES = {
    "datetime": "TIMESTAMP",
    "string": "VARCHAR",
    "real": "DOUBLE",
    "long": "BIGINT",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "timespan": "INTERVAL",
}
# What the generator writes: "2024-01-01T00:00:10.000Z" (always milliseconds, always UTC); the
# values are kept as naive UTC timestamps, which is what Kusto's datetime is.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"


class DuckDbPeer:
    name = "duckdb"

    def __init__(self, database_dir: Path):
        self.database_path = database_dir / "peer.duckdb"
        self.connection = duckdb.connect(str(self.database_path))

    def version(self) -> str:
        return duckdb.__version__

    def threads(self) -> str:
        return str(self.connection.execute("SELECT current_setting('threads')").fetchone()[0])

    def load_table(self, table: str, columns: list[Column], csv_path: Path) -> None:
        """Creates `table` from a header-less RFC 4180 CSV file and checkpoints it, so the time
        includes making the data durable in the database file, as a server's load does."""
        column_types = ", ".join(f"'{column.name}': '{DUCKDB_TYPES[column.kusto_type]}'" for column in columns)
        # Kusto has no null string: an empty string field is "", not NULL.
        string_columns = ", ".join(f"'{column.name}'" for column in columns if column.kusto_type == "string")
        self.connection.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv({_quote(str(csv_path))}, "
            f"columns = {{{column_types}}}, header = false, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', timestampformat = '{TIMESTAMP_FORMAT}', "
            f"force_not_null = [{string_columns}])"
        )
        self.connection.execute("CHECKPOINT")

    def row_count(self, table: str) -> int:
        return self.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def drop_caches(self) -> None:
        """Empties DuckDB's buffer pool by reopening the database, so the next run reads from the
        file (through the OS page cache, as every engine's cold run does)."""
        self.connection.close()
        self.connection = duckdb.connect(str(self.database_path))

    def run(self, sql: str) -> pyarrow.Table:
        return self.connection.sql(sql).to_arrow_table()

    def typed_result(self, sql: str, table: pyarrow.Table) -> pyarrow.Table:
        """DuckDB's Arrow types already say what each column holds."""
        return table

    def close(self) -> None:
        self.connection.close()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
