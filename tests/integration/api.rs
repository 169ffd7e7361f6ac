//! The Kusto REST API of an in-process node: errors, ingestion paths, tags, truncation, metrics.

use serde_json::Value;
use tarn_tests::{QueryOutcome, TestNode};

const DB: &str = "NetDefaultDB";

fn error_message(outcome: QueryOutcome) -> (u16, String) {
    match outcome {
        QueryOutcome::Error { status, message } => (status, message),
        QueryOutcome::Tables(tables) => panic!("expected an error, got {tables:?}"),
    }
}

/// Proves syntax and semantic errors reach the client as HTTP 400 with Kusto's texts and the
/// position of the offending token, and that an unknown table is not a 404 (which Python maps to
/// "endpoint does not exist").
#[test]
fn errors_carry_kusto_texts_and_positions() {
    let node = TestNode::start();
    let (status, message) = error_message(node.client.query(DB, "print x = 1 | where"));
    assert_eq!(status, 400);
    assert!(message.contains("Syntax error: SYN0002"), "{message}");
    assert!(message.contains("[line:position=1:20]"), "{message}");

    let (status, message) = error_message(node.client.query(DB, "print x = 1\n| where nope > 1"));
    assert_eq!(status, 400);
    assert!(message.contains("Semantic error:") && message.contains("'nope'"), "{message}");
    assert!(message.contains("[line:position=2:9]"), "{message}");

    let (status, message) = error_message(node.client.query(DB, "NoSuchTable | count"));
    assert_eq!(status, 400);
    assert!(message.contains("'NoSuchTable'"), "{message}");
}

/// Proves every streaming-ingest format path commits rows into the table's schema, gzip included,
/// with a JSON mapping, and that a bad request stores nothing.
#[test]
fn streaming_ingestion_formats_and_refusals() {
    let node = TestNode::start();
    let client = &node.client;
    client.mgmt(DB, ".create table T (ts:datetime, device:string, value:real, tags:dynamic)").tables();
    client
        .mgmt(DB, r#".create table T ingestion json mapping "m" '[{"column":"ts","path":"$.time"},{"column":"device","path":"$.dev"},{"column":"value","path":"$.reading.v"},{"column":"tags","path":"$.tags"}]'"#)
        .tables();
    let csv = b"2024-01-01T00:00:00Z,d1,1.5,\"{\"\"k\"\":1}\"\n2024-01-01T00:01:00Z,d2,not-a-number,[1]\n";
    client.ingest(DB, "T", "streamFormat=csv", csv, true).tables();
    let json = b"{\"time\":\"2024-01-01T00:02:00Z\",\"dev\":\"d3\",\"reading\":{\"v\":7},\"tags\":{\"a\":[1,2]}}\n";
    client.ingest(DB, "T", "streamFormat=json&mappingName=m", json, false).tables();

    let rows = client.query(DB, "T | order by ts asc | project device, value, a = tags.a[1], k = tags.k").tables()[0].rows.clone();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], vec![Value::from("d1"), Value::from(1.5), Value::Null, Value::from(1)]);
    assert_eq!(rows[1][1], Value::Null, "an unparsable real is stored as null (Kusto's rule)");
    assert_eq!(rows[2], vec![Value::from("d3"), Value::from(7.0), Value::from(2), Value::Null]);

    let (status, message) = error_message(client.ingest(DB, "T", "streamFormat=json", b"{not json", false));
    assert_eq!(status, 400);
    assert!(!message.is_empty());
    let (_, message) = error_message(client.ingest(DB, "T", "streamFormat=json&mappingName=nope", json, false));
    assert!(message.contains("'nope'"), "{message}");
    let (_, message) = error_message(client.ingest(DB, "Missing", "streamFormat=csv", b"1\n", false));
    assert!(message.contains("'Missing'"), "{message}");
    let (_, message) = error_message(client.ingest(DB, "T", "streamFormat=xml", b"<a/>", false));
    assert!(message.to_lowercase().contains("xml"), "{message}");
    let count = client.query(DB, "T | count").tables()[0].rows[0][0].clone();
    assert_eq!(count, Value::from(3), "refused requests stored nothing");
}

/// Proves ingestion tags make a retried request a no-op: the second `.ingest inline` with the
/// same `ingestIfNotExists` adds nothing, for streaming and inline ingestion alike.
#[test]
fn ingestion_tags_make_retries_idempotent() {
    let node = TestNode::start();
    let client = &node.client;
    client.mgmt(DB, ".create table T (a:long)").tables();
    for _ in 0..2 {
        client.mgmt(DB, ".ingest inline into table T with (tags='[\"ingest-by:batch-1\"]', ingestIfNotExists='[\"batch-1\"]') <| 1\n2").tables();
        client.ingest(DB, "T", "streamFormat=csv&tags=ingest-by:s-1&ingestIfNotExists=s-1", b"3\n", false).tables();
    }
    let rows = client.query(DB, "T | summarize n = count(), s = sum(a)").tables()[0].rows.clone();
    assert_eq!(rows[0], vec![Value::from(3), Value::from(6)]);
}

/// Proves result truncation is a partial failure in-band (HTTP 200, an error row), and that
/// `notruncation` lifts it.
#[test]
fn truncation_is_a_partial_failure() {
    let node = TestNode::start();
    let (status, message) = error_message(node.client.query(DB, "set truncationmaxrecords=5;\nrange x from 1 to 10 step 1"));
    assert_eq!(status, 200, "partial failures are reported in-band");
    assert!(message.contains("E_QUERY_RESULT_SET_TOO_LARGE") || message.contains("LimitsExceeded"), "{message}");
    let rows = node.client.query(DB, "set notruncation;\nrange x from 1 to 600000 step 1 | count").tables()[0].rows.clone();
    assert_eq!(rows[0][0], Value::from(600000));
}

/// Proves `.set-or-append` creates a table from a query and appends to it, and `.show` commands
/// describe what exists.
#[test]
fn management_commands() {
    let node = TestNode::start();
    let client = &node.client;
    client.mgmt(DB, ".set-or-append S <| range x from 1 to 3 step 1 | extend y = x * 2").tables();
    client.mgmt(DB, ".set-or-append S <| print x = 10, y = 20").tables();
    let rows = client.query(DB, "S | summarize sum(x), sum(y)").tables()[0].rows.clone();
    assert_eq!(rows[0], vec![Value::from(16), Value::from(32)]);
    let tables = client.mgmt(DB, ".show tables").tables();
    assert_eq!(tables[0].rows[0][0], Value::from("S"));
    let extents = client.mgmt(DB, ".show table S extents").tables();
    assert_eq!(extents[0].rows.len(), 2, "two appends, two extents");
    client.mgmt(DB, ".merge S").tables();
    let extents = client.mgmt(DB, ".show table S extents").tables();
    assert_eq!(extents[0].rows.len(), 1, "merged into one extent");
    let rows = client.query(DB, "S | summarize sum(x), sum(y)").tables()[0].rows.clone();
    assert_eq!(rows[0], vec![Value::from(16), Value::from(32)], "merging changes no answer");
    let schema = client.mgmt(DB, ".show table S schema as json").tables();
    let text = schema[0].rows[0][1].as_str().unwrap_or_default().to_string();
    assert!(text.contains("\"CslType\":\"long\""), "{text}");
    let (_, message) = error_message(client.mgmt(DB, ".append Missing <| print a = 1"));
    assert!(message.contains("'Missing'"), "{message}");
}
