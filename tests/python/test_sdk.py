"""Tarn through the official Kusto Python SDKs alone (azure-kusto-data, azure-kusto-ingest): the
packages a Kusto user already has must work unmodified against a real `tarnd`."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from azure.kusto.data import KustoClient, KustoConnectionStringBuilder
from azure.kusto.data.data_format import DataFormat
from azure.kusto.data.exceptions import KustoApiError
from azure.kusto.ingest import (
    IngestionProperties,
    KustoStreamingIngestClient,
    ManagedStreamingIngestClient,
)

DB = "NetDefaultDB"


@pytest.fixture(scope="module")
def kcsb(tarnd_url):
    return KustoConnectionStringBuilder.with_no_authentication(tarnd_url)


@pytest.fixture(scope="module")
def client(kcsb):
    with KustoClient(kcsb) as client:
        yield client


@pytest.fixture(scope="module")
def telemetry(client, kcsb):
    """A table with CSV rows streamed in and JSON rows streamed through a mapping."""
    table = f"Telemetry_{uuid.uuid4().hex[:8]}"
    client.execute_mgmt(DB, f".create table {table} (ts:datetime, device:string, temp:real, props:dynamic)")
    client.execute_mgmt(
        DB,
        f".create table {table} ingestion json mapping 'telemetry_json' "
        "'[{\"column\":\"ts\",\"path\":\"$.time\"},{\"column\":\"device\",\"path\":\"$.dev\"},"
        "{\"column\":\"temp\",\"path\":\"$.t\"},{\"column\":\"props\",\"path\":\"$.props\"}]'",
    )
    csv_rows = "".join(
        f'2024-01-01T{hour:02d}:{minute:02d}:00Z,dev-{hour % 2},{20 + hour + minute / 60:.2f},"{{""fw"":""1.{hour}""}}"\n'
        for hour in range(3)
        for minute in (0, 30)
    )
    with KustoStreamingIngestClient(kcsb) as streaming:
        streaming.ingest_from_stream(
            io.StringIO(csv_rows),
            IngestionProperties(database=DB, table=table, data_format=DataFormat.CSV),
        )
    json_rows = "\n".join(
        json.dumps({"time": f"2024-01-01T03:{minute:02d}:00Z", "dev": "dev-json", "t": 30.5 + minute, "props": {"fw": "2.0", "tags": [minute]}})
        for minute in (0, 15)
    )
    with ManagedStreamingIngestClient(kcsb) as managed:
        managed.ingest_from_stream(
            io.StringIO(json_rows),
            IngestionProperties(database=DB, table=table, data_format=DataFormat.JSON, ingestion_mapping_reference="telemetry_json"),
        )
    return table


def rows(response):
    return [list(row) for row in response.primary_results[0]]


def test_streamed_rows_are_all_there(client, telemetry):
    result = client.execute(DB, f"{telemetry} | count")
    assert rows(result) == [[8]]


def test_where_and_dynamic_access(client, telemetry):
    result = client.execute(DB, f"{telemetry} | where device == 'dev-json' | project fw = tostring(props.fw), tag = toint(props.tags[0]) | order by tag asc")
    assert rows(result) == [["2.0", 0], ["2.0", 15]]
    result = client.execute(DB, f"{telemetry} | where temp > 21.4 and device startswith 'dev-' and device != 'dev-json' | project temp | order by temp asc")
    assert [row[0] for row in rows(result)] == [21.5, 22.0, 22.5]


def test_summarize_by_bin(client, telemetry):
    result = client.execute(DB, f"{telemetry} | summarize n = count(), avg_temp = avg(temp) by bin(ts, 1h) | order by ts asc")
    table = result.primary_results[0]
    assert [column.column_name for column in table.columns] == ["ts", "n", "avg_temp"]
    got = [(row["ts"].isoformat(), row["n"], round(row["avg_temp"], 3)) for row in table]
    assert got == [
        ("2024-01-01T00:00:00+00:00", 2, 20.25),
        ("2024-01-01T01:00:00+00:00", 2, 21.25),
        ("2024-01-01T02:00:00+00:00", 2, 22.25),
        ("2024-01-01T03:00:00+00:00", 2, 38.0),
    ]


def test_top(client, telemetry):
    result = client.execute(DB, f"{telemetry} | top 2 by temp desc | project device, temp")
    assert rows(result) == [["dev-json", 45.5], ["dev-json", 30.5]]


def test_join_with_datatable(client, telemetry):
    query = (
        "let owners = datatable(device:string, owner:string) ['dev-0', 'alice', 'dev-1', 'bob'];"
        f"{telemetry} | summarize n = count() by device | join kind=inner owners on device"
        " | project owner, n | order by owner asc"
    )
    assert rows(client.execute(DB, query)) == [["alice", 4], ["bob", 2]]


def test_query_parameters_and_properties(client, telemetry):
    from azure.kusto.data import ClientRequestProperties

    properties = ClientRequestProperties()
    properties.set_parameter("wanted", "dev-1")
    properties.set_option(ClientRequestProperties.request_timeout_option_name, timedelta(minutes=1))
    query = f"declare query_parameters(wanted:string); {telemetry} | where device == wanted | count"
    assert rows(client.execute(DB, query, properties)) == [[2]]


def test_management_commands(client, telemetry):
    tables = [row["TableName"] for row in client.execute_mgmt(DB, ".show tables").primary_results[0]]
    assert telemetry in tables
    schema = client.execute_mgmt(DB, f".show table {telemetry} schema as json").primary_results[0]
    assert json.loads(schema[0]["Schema"])["OrderedColumns"][1]["Name"] == "device"


def test_syntax_error_is_kusto_api_error(client, telemetry):
    with pytest.raises(KustoApiError) as raised:
        client.execute(DB, f"{telemetry} | where")
    message = raised.value.message_text  # the error's @message, what Python shows the user
    assert "Syntax error" in message and "line:position=" in message, message


def test_unknown_column_is_kusto_api_error(client, telemetry):
    with pytest.raises(KustoApiError) as raised:
        client.execute(DB, f"{telemetry} | where no_such_column > 1")
    message = raised.value.message_text
    assert "Semantic error" in message and "no_such_column" in message, message
    assert raised.value.is_semantic_error()


def test_unknown_table_is_kusto_api_error(client):
    with pytest.raises(KustoApiError) as raised:
        client.execute(DB, "NoSuchTable | take 1")
    message = raised.value.message_text  # the error's @message, what Python shows the user
    assert "NoSuchTable" in message, message


def test_bad_ingest_is_permanent_error(kcsb, telemetry):
    with KustoStreamingIngestClient(kcsb) as streaming:
        with pytest.raises(KustoApiError) as raised:
            streaming.ingest_from_stream(
                io.StringIO('{"time": "2024-01-01T00:00:00Z"}'),
                IngestionProperties(database=DB, table=telemetry, data_format=DataFormat.JSON, ingestion_mapping_reference="no_such_mapping"),
            )
    assert raised.value.get_api_error().permanent is True
    assert "no_such_mapping" in raised.value.message_text, raised.value.message_text
