"""The query suite (bench/queries/iot.toml) and the data set's manifest, as read by the peers and
the report. The Rust tool reads the same files; the field names here follow them."""
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

ORDERS = ("ordered", "any")
TABLES = ("readings", "diagnostics", "tags")


class SuiteError(Exception):
    """The suite or the manifest does not say what the tools need."""


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    kql: str
    duckdb: str
    clickhouse: str
    order: str
    tolerance: float
    skip_tarn: str | None


@dataclass(frozen=True)
class Column:
    name: str
    kusto_type: str


def load_suite(path: Path, only: list[str] | None = None) -> list[Query]:
    """The queries of the suite in file order, or only those named (every name must exist, so a
    typo on the command line is an error rather than an empty run)."""
    with open(path, "rb") as file:
        document = tomllib.load(file)
    queries = [_parse_query(entry, path) for entry in document.get("query", [])]
    names = [query.name for query in queries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SuiteError(f"{path}: query names used twice: {', '.join(duplicates)}")
    if not only:
        return queries
    unknown = [name for name in only if name not in names]
    if unknown:
        raise SuiteError(f"{path}: no query named {', '.join(unknown)} (known: {', '.join(names)})")
    return [query for query in queries if query.name in only]


def _parse_query(entry: dict, path: Path) -> Query:
    name = entry.get("name", "<unnamed>")
    missing = [key for key in ("name", "kql", "duckdb", "clickhouse", "order") if key not in entry]
    if missing:
        raise SuiteError(f"{path}: query '{name}' lacks {', '.join(missing)}")
    if entry["order"] not in ORDERS:
        raise SuiteError(f"{path}: query '{name}' has order '{entry['order']}' (use one of {ORDERS})")
    return Query(
        name=name,
        description=entry.get("description", ""),
        kql=entry["kql"].strip(),
        duckdb=entry["duckdb"].strip(),
        clickhouse=entry["clickhouse"].strip(),
        order=entry["order"],
        tolerance=float(entry.get("tolerance", 1e-9)),
        skip_tarn=entry.get("skip_tarn"),
    )


def load_schemas(data_dir: Path) -> dict[str, list[Column]]:
    """Each table's columns and Kusto types, from the generator's manifest.json: the generator
    owns the schema, so the peers never keep a copy that could drift from it."""
    manifest_path = data_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as error:
        raise SuiteError(f"{manifest_path} is missing: generate the data with `tarn-bench gen`") from error
    schemas = {}
    for table in TABLES:
        columns = manifest.get("tables", {}).get(table, {}).get("columns")
        if not columns:
            raise SuiteError(f"{manifest_path}: no column list for table '{table}'")
        schemas[table] = [Column(column["name"], column["type"]) for column in columns]
    return schemas
