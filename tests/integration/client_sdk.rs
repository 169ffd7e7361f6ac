//! The Rust client SDK (`tarn-client`) against real `tarnd` processes: exact round trips of
//! every KQL type, streaming of large results, retries and failover across a node restart,
//! which errors are and are not retried, partial failures, typed rows and parameters.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, DurationNanosecondArray,
    FixedSizeBinaryArray, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch,
    StringArray, TimestampNanosecondArray,
};
use arrow::datatypes::Float64Type;
use tarn_client::{Client, DataFormat, Error, IngestOptions, KustoType, QueryOptions, RetryPolicy};
use tarn_tests::TarndProcess;
use tarn_tests::process::free_port;

const DB: &str = "NetDefaultDB";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the client")
}

fn client_for(node: &TarndProcess) -> Client {
    Client::new(&format!("http://{}", node.address)).expect("a client")
}

/// One counter of tarnd's /metrics.
fn metric(node: &TarndProcess, name: &str) -> u64 {
    let mut stream = std::net::TcpStream::connect(&node.address).expect("connect for /metrics");
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        node.address
    );
    stream.write_all(request.as_bytes()).expect("send /metrics");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read /metrics");
    response
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing"))
}

fn all_types_batch() -> RecordBatch {
    let one = 1_000_000_000_000_000_000i128;
    let decimal_max = 100_000_000_000_000_000_000 * one - 1;
    let guid: [u8; 16] = *b"\x12\x3e\x27\xde\x1e\x4e\x49\xd9\xb5\x79\xfe\x0b\x33\x14\x15\xab";
    // Datetimes and timespans travel as 100 ns ticks, so the extremes are tick-aligned.
    let datetime_min = i64::MIN / 100 * 100;
    let datetime_max = i64::MAX / 100 * 100;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7]))),
        (
            "b",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(false),
                Some(true),
                None,
            ])),
        ),
        (
            "i",
            Arc::new(Int32Array::from(vec![
                Some(i32::MIN),
                Some(i32::MAX),
                None,
                Some(0),
                Some(-1),
                Some(7),
                Some(1),
            ])),
        ),
        (
            "l",
            Arc::new(Int64Array::from(vec![
                Some(i64::MIN),
                Some(i64::MAX),
                None,
                Some(0),
                Some(-1),
                Some(1 << 53 | 1),
                Some(42),
            ])),
        ),
        (
            "r",
            Arc::new(Float64Array::from(vec![
                Some(f64::NAN),
                Some(f64::NEG_INFINITY),
                Some(-f64::MAX),
                Some(-0.0),
                Some(5e-324),
                Some(f64::INFINITY),
                None,
            ])),
        ),
        (
            "d",
            Arc::new(
                Decimal128Array::from(vec![
                    Some(decimal_max),
                    Some(-decimal_max),
                    Some(1),
                    None,
                    Some(0),
                    Some(one + one / 2),
                    Some(-one / 4),
                ])
                .with_precision_and_scale(38, 18)
                .expect("decimal(38,18)"),
            ),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![
                "",
                "é\"\n\t\\",
                "plain",
                "[1]",
                "🦀",
                "x,y",
                "null",
            ])),
        ),
        (
            "t",
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(datetime_min),
                    Some(datetime_max),
                    None,
                    Some(0),
                    Some(-100),
                    Some(1_388_538_061_123_456_700),
                    Some(100),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "span",
            Arc::new(DurationNanosecondArray::from(vec![
                Some(i64::MIN / 100 * 100),
                Some(i64::MAX / 100 * 100),
                None,
                Some(0),
                Some(-100),
                Some(93_784_500_000_000),
                Some(100),
            ])),
        ),
        (
            "g",
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                    vec![
                        Some(guid.to_vec()),
                        None,
                        Some(vec![0u8; 16]),
                        Some(vec![0xff; 16]),
                        None,
                        Some(guid.to_vec()),
                        None,
                    ]
                    .into_iter(),
                    16,
                )
                .expect("guids"),
            ),
        ),
        (
            "dyn",
            Arc::new(LargeStringArray::from(vec![
                Some(r#"{"a":[1,2,{"b":null}]}"#),
                Some("[]"),
                None,
                Some(r#""x\ny""#),
                Some("12.5"),
                Some("true"),
                Some(r#"{"deep":{"er":[[["é"]]]}}"#),
            ])),
        ),
    ];
    RecordBatch::try_from_iter(columns).expect("the all-types batch")
}

/// Proves the decoded-column cache through a real `tarnd`: the second run of a query is
/// answered from cached columns (hits rise, misses do not) with the same answer, the cache's
/// bytes show on `/metrics`, and `--column-cache-mb 0` turns it off (no hits, misses every run).
#[test]
fn hot_queries_read_cached_columns() {
    let runtime = runtime();
    for (args, cached) in [(&[][..], true), (&["--column-cache-mb", "0"][..], false)] {
        let data = tempfile::tempdir().expect("a data directory");
        let node = TarndProcess::start_with_args(data.path(), free_port(), args);
        let client = client_for(&node);
        let batch = RecordBatch::try_from_iter([
            ("k", Arc::new(Int64Array::from_iter_values(0..10_000)) as ArrayRef),
            ("v", Arc::new(Float64Array::from_iter_values((0..10_000).map(|x| f64::from(x) / 4.0))) as ArrayRef),
        ])
        .expect("a batch");
        let query = "T | where k % 3 == 0 | summarize s = sum(v), n = count()";
        let mut answers = Vec::new();
        let mut counters = Vec::new();
        runtime.block_on(async {
            client.execute_mgmt(DB, ".create table T (k:long, v:real)").await.expect("create");
            client.ingest_batches(DB, "T", vec![batch], IngestOptions::new(DataFormat::Parquet)).await.expect("ingest");
            for _ in 0..2 {
                let rows: Vec<(f64, i64)> = client.query(DB, query).await.expect("query").rows().await.expect("rows");
                answers.push(rows);
                counters.push((metric(&node, "tarn_column_cache_hits_total"), metric(&node, "tarn_column_cache_misses_total")));
            }
        });
        assert_eq!(answers[0], answers[1]);
        assert_eq!(answers[0], vec![((0..10_000).filter(|x| x % 3 == 0).map(|x| f64::from(x) / 4.0).sum(), 3_334)]);
        let [(hits_first, misses_first), (hits_second, misses_second)] = [counters[0], counters[1]];
        if cached {
            assert_eq!(misses_first, 2, "the first run decodes k and v");
            assert_eq!((hits_second - hits_first, misses_second), (2, 2), "the second run reads both from the cache");
            assert!(metric(&node, "tarn_column_cache_bytes") >= 10_000 * 16);
        } else {
            assert_eq!((hits_second, misses_second - misses_first), (0, 2), "a disabled cache decodes every time");
            assert_eq!(metric(&node, "tarn_column_cache_capacity_bytes"), 0);
        }
    }
}

/// Proves every KQL type survives ingest (Arrow → Parquet → tarnd) and query (v2 frames →
/// Arrow) exactly: nulls, NaN, ±infinity, -0.0, the smallest subnormal, full-width longs and
/// ints, the extreme nanosecond datetimes and timespans, 38-digit decimals, guids, dynamic JSON
/// text; and that the decoded Arrow types are Tarn's types for each KQL type.
#[test]
fn every_kql_type_round_trips_exactly() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let runtime = runtime();
    let client = client_for(&node);
    let original = all_types_batch();
    let decoded = runtime.block_on(async {
        client
            .execute_mgmt(DB, ".create table AllTypes (id:long, b:bool, i:int, l:long, r:real, d:decimal, s:string, t:datetime, span:timespan, g:guid, dyn:dynamic)")
            .await?;
        client
            .ingest_batches(DB, "AllTypes", vec![original.clone()], IngestOptions::new(DataFormat::Parquet))
            .await?;
        let tables = client.query(DB, "AllTypes | order by id asc").await?.collect_tables().await?;
        assert_eq!(tables.len(), 1);
        tables[0].concat()
    });
    let decoded = decoded.expect("round trip");
    assert_eq!(decoded.num_rows(), original.num_rows());
    for (index, field) in original.schema().fields().iter().enumerate() {
        let kusto_type = KustoType::from_arrow(field.data_type()).expect("a Kusto type");
        let decoded_column = decoded.column(index);
        assert_eq!(
            decoded_column.data_type(),
            &kusto_type.arrow_type(),
            "column {}",
            field.name()
        );
        if field.name() == "r" {
            // NaN != NaN, so reals compare by bit pattern (this also tells -0.0 from 0.0).
            let bits = |array: &ArrayRef| -> Vec<Option<u64>> {
                array
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|value| value.map(f64::to_bits))
                    .collect()
            };
            assert_eq!(
                bits(decoded_column),
                bits(original.column(index)),
                "column r"
            );
        } else {
            assert_eq!(
                decoded_column.as_ref(),
                original.column(index).as_ref(),
                "column {}",
                field.name()
            );
        }
    }

    // The same values written as KQL literals come back as the same Arrow values.
    let printed = runtime.block_on(async {
        let query = r#"print b=true, i=int(-2147483648), l=-9223372036854775807-1, r=real(-inf), d=decimal(-99999999999999999999.999999999999999999), s="é\"", t=datetime(2262-04-11 23:47:16.8547758), span=timespan(-1.02:03:04.5), g=guid(123e27de-1e4e-49d9-b579-fe0b331415ab), dyn=dynamic({"a":[1,2,{"b":null}]}), n=long(null), r2=real(+inf)"#;
        client.query(DB, query).await?.collect_tables().await?[0].concat()
    });
    let printed = printed.expect("print literals");
    let guid = original.column(9).as_fixed_size_binary().value(0).to_vec();
    assert!(printed.column(0).as_boolean().value(0));
    assert_eq!(
        printed
            .column(1)
            .as_primitive::<arrow::datatypes::Int32Type>()
            .value(0),
        i32::MIN
    );
    assert_eq!(
        printed
            .column(2)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        i64::MIN
    );
    assert_eq!(
        printed.column(3).as_primitive::<Float64Type>().value(0),
        f64::NEG_INFINITY
    );
    assert_eq!(
        printed.column(11).as_primitive::<Float64Type>().value(0),
        f64::INFINITY
    );
    assert_eq!(
        printed
            .column(4)
            .as_primitive::<arrow::datatypes::Decimal128Type>()
            .value(0),
        -(100_000_000_000_000_000_000 * 1_000_000_000_000_000_000i128 - 1)
    );
    assert_eq!(printed.column(5).as_string::<i32>().value(0), "é\"");
    assert_eq!(
        printed
            .column(6)
            .as_primitive::<arrow::datatypes::TimestampNanosecondType>()
            .value(0),
        i64::MAX / 100 * 100
    );
    assert_eq!(
        printed
            .column(7)
            .as_primitive::<arrow::datatypes::DurationNanosecondType>()
            .value(0),
        -93_784_500_000_000
    );
    assert_eq!(
        printed.column(8).as_fixed_size_binary().value(0),
        guid.as_slice()
    );
    assert_eq!(
        printed.column(9).as_string::<i64>().value(0),
        r#"{"a":[1,2,{"b":null}]}"#
    );
    assert!(printed.column(10).is_null(0));
}

/// Proves a result far larger than the client's buffers streams through: a million rows
/// (over 20 MB of JSON) arrive as many batches in order, while the raw bytes held at once stay
/// under 1 MiB.
#[test]
fn large_result_streams_without_holding_it_in_memory() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let runtime = runtime();
    let client = client_for(&node);
    let (rows, batches, stats) = runtime
        .block_on(async {
            let options = QueryOptions::new().no_truncation().batch_rows(10_000);
            let mut stream = client
                .query_with(
                    DB,
                    r#"range x from 1 to 1000000 step 1 | extend s = strcat("row-", tostring(x))"#,
                    &options,
                )
                .await?;
            let mut seen = vec![false; 1_000_000];
            let mut rows: i64 = 0;
            let mut batches = 0;
            while let Some(batch) = stream.next_batch().await? {
                batches += 1;
                assert!(batch.batch.num_rows() <= 10_000);
                // tarnd's range runs in parallel partitions, so rows arrive in partition order.
                let xs = batch
                    .batch
                    .column(0)
                    .as_primitive::<arrow::datatypes::Int64Type>();
                for x in xs.values().iter() {
                    let slot = usize::try_from(*x - 1)
                        .ok()
                        .and_then(|index| seen.get_mut(index));
                    let slot = slot.unwrap_or_else(|| panic!("x = {x} is out of range"));
                    assert!(!*slot, "x = {x} arrived twice");
                    *slot = true;
                    rows += 1;
                }
            }
            assert!(seen.iter().all(|seen| *seen), "every row arrived");
            Ok::<_, Error>((rows, batches, stream.stats()))
        })
        .expect("the large query");
    assert_eq!(rows, 1_000_000);
    assert!(batches >= 100, "{batches} batches");
    assert!(stats.bytes_received > 20_000_000, "{stats:?}");
    assert!(stats.buffer_bytes_peak < 1024 * 1024, "{stats:?}");
}

/// Proves retries after a node restart lose and duplicate nothing: a tagged, chunked ingestion
/// is running when the node is killed (SIGKILL) and restarted on the same data and port; the
/// client retries with backoff until it is back and finishes, and the table holds every row
/// exactly once. Also proves failover: the client's first URL is a dead port.
#[test]
fn retries_after_node_restart_lose_and_duplicate_nothing() {
    const ROWS: usize = 60_000;
    let data = tempfile::tempdir().expect("a data directory");
    let port = free_port();
    let node = TarndProcess::start(data.path(), port);
    let runtime = runtime();
    let dead_url = format!("http://127.0.0.1:{}", free_port());
    let client = Client::builder()
        .urls([dead_url, format!("http://{}", node.address)])
        .retry_policy(
            RetryPolicy::default()
                .attempts_max(60)
                .backoff(Duration::from_millis(50), Duration::from_millis(500)),
        )
        .build()
        .expect("a client");
    runtime
        .block_on(client.execute_mgmt(DB, ".create table Events (id:long, payload:string)"))
        .expect("create table");

    let body: String = (0..ROWS).map(|id| format!("{id},payload-{id}\n")).collect();
    let (progress_sender, mut progress_receiver) = tokio::sync::watch::channel(0u64);
    let options = IngestOptions::new(DataFormat::Csv)
        .chunk_bytes_max(16 * 1024)
        .uploads_in_flight(2)
        .on_progress(move |progress| {
            let _ = progress_sender.send(progress.chunks);
        });
    let ingesting = {
        let client = client.clone();
        runtime.spawn(async move {
            client
                .ingest_bytes(DB, "Events", body.into(), options)
                .await
        })
    };
    runtime
        .block_on(progress_receiver.wait_for(|chunks| *chunks >= 5))
        .expect("ingestion makes progress");
    node.kill();
    let chunks_before_kill = *progress_receiver.borrow();
    let node = TarndProcess::start(data.path(), port);
    let report = runtime
        .block_on(ingesting)
        .expect("the ingest task")
        .expect("ingestion completes after the restart");
    assert!(
        report.progress.chunks > chunks_before_kill,
        "chunks were still to go when the node died ({chunks_before_kill} of {})",
        report.progress.chunks
    );
    let (count, distinct) = runtime
        .block_on(async {
            let rows: Vec<(i64, i64)> = client
                .query(DB, "Events | summarize count(), dcount(id)")
                .await?
                .rows()
                .await?;
            Ok::<_, Error>(rows[0])
        })
        .expect("count after the restart");
    assert_eq!(count, ROWS as i64, "every row exactly once");
    assert_eq!(distinct, ROWS as i64);
    drop(node);
}

/// Proves permanent errors are not retried, against a real node: a syntax error and an ingest
/// naming a missing mapping each reach the server exactly once (by its own counters) although
/// the client allows 5 attempts, and arrive as typed Kusto errors with code, @permanent and the
/// position of the offending token.
#[test]
fn permanent_error_is_not_retried() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let runtime = runtime();
    let client = client_for(&node);
    assert_eq!(client.retry_policy().attempts(), 5);
    runtime
        .block_on(client.execute_mgmt(DB, ".create table T (a:long)"))
        .expect("create table");

    let queries_before = metric(&node, "tarn_queries_total");
    let error = runtime
        .block_on(client.query(DB, "T\n| where"))
        .err()
        .expect("a syntax error");
    match &error {
        Error::Kusto {
            http_status,
            code,
            message,
            permanent,
            position,
            ..
        } => {
            assert_eq!(*http_status, 400);
            assert_eq!(code, "General_BadRequest");
            assert!(message.contains("SYN0002"), "{message}");
            assert!(*permanent);
            assert_eq!(position.map(|p| (p.line, p.column)), Some((2, 8)));
        }
        other => panic!("expected a Kusto error, got {other:?}"),
    }
    assert_eq!(
        metric(&node, "tarn_queries_total"),
        queries_before + 1,
        "sent once"
    );

    let ingests_before = metric(&node, "tarn_ingest_requests_total");
    let error = runtime
        .block_on(client.ingest_bytes(
            DB,
            "T",
            "1\n".into(),
            IngestOptions::new(DataFormat::Json).mapping_name("missing"),
        ))
        .err()
        .expect("a missing mapping");
    assert!(
        matches!(
            error,
            Error::Kusto {
                permanent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        metric(&node, "tarn_ingest_requests_total"),
        ingests_before + 1,
        "sent once"
    );
}

/// A one-request-per-connection HTTP stub that answers from a script and counts requests.
struct Stub {
    url: String,
    requests: Arc<AtomicUsize>,
}

/// Serves `answers` in order (the last one repeats); `None` answers nothing for 5 s.
fn stub(answers: Vec<Option<(u16, &'static str)>>) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub");
    let url = format!("http://{}", listener.local_addr().expect("stub address"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            let Ok(mut connection) = connection else {
                return;
            };
            let index = counter.fetch_add(1, Ordering::SeqCst);
            let answer = answers.get(index).or(answers.last()).copied().flatten();
            let mut reader = BufReader::new(connection.try_clone().expect("clone the connection"));
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; content_length];
            let _ = reader.read_exact(&mut body);
            match answer {
                Some((status, text)) => {
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = connection.write_all(response.as_bytes());
                }
                None => std::thread::sleep(Duration::from_secs(5)),
            }
        }
    });
    Stub { url, requests }
}

/// Answers one ingest request with a reply for `rows` records and hands back its lowercased
/// header lines and its body.
fn capture_one_ingest(rows: usize) -> (String, std::sync::mpsc::Receiver<(Vec<String>, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the capture");
    let url = format!("http://{}", listener.local_addr().expect("capture address"));
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut connection, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(connection.try_clone().expect("clone the connection"));
        let mut headers = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            let line = line.trim_end().to_ascii_lowercase();
            if let Some(value) = line.strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap_or(0);
            }
            headers.push(line);
        }
        let mut body = vec![0u8; content_length];
        let _ = reader.read_exact(&mut body);
        let reply = format!(r#"{{"Tables":[{{"TableName":"Table_0","Columns":[{{"ColumnName":"ConsumedRecordsCount","DataType":"Int64"}}],"Rows":[[{rows}]]}}]}}"#);
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        let _ = connection.write_all(response.as_bytes());
        let _ = sender.send((headers, body));
    });
    (url, receiver)
}

/// Proves CSV bodies are gzipped by default (`content-encoding: gzip`, the body gunzips to the
/// source) and sent as they are with `gzip(false)` (no content-encoding, the body is the source).
#[test]
fn ingest_bodies_gzipped_unless_told_not_to() {
    let runtime = runtime();
    let csv = "2024-06-01T00:00:00Z,dev-1,20.5\n2024-06-01T00:00:01Z,dev-2,21.0\n";
    for gzip in [true, false] {
        let (url, captured) = capture_one_ingest(2);
        let client = Client::new(&url).expect("a client");
        let options = IngestOptions::new(DataFormat::Csv).gzip(gzip);
        let report = runtime
            .block_on(client.ingest_bytes(DB, "T", csv.into(), options))
            .expect("ingest");
        assert_eq!(report.progress.rows, 2);
        let (headers, body) = captured.recv_timeout(Duration::from_secs(10)).expect("a request");
        let encoded = headers.iter().any(|line| line == "content-encoding: gzip");
        assert_eq!(encoded, gzip, "headers: {headers:?}");
        let text = if gzip {
            let mut decoded = String::new();
            flate2::read::GzDecoder::new(body.as_slice()).read_to_string(&mut decoded).expect("gunzip");
            decoded
        } else {
            String::from_utf8(body).expect("utf-8")
        };
        assert_eq!(text, csv);
    }
}

const V2_ONE_ROW: &str = r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[{"ColumnName":"x","ColumnType":"long"}],"Rows":[[7]]},{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#;

/// Proves the retry table end to end on the wire: 503 and 429 are retried until success (the
/// standard, non-fragmented v2 form a foreign server sends is read), a 400 with @permanent and a
/// 500 with @permanent are sent once, and a server that does not answer is a Timeout.
#[test]
fn retryable_errors_retried_permanent_ones_not() {
    let runtime = runtime();
    let fast = RetryPolicy::default()
        .attempts_max(5)
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    let client_of = |stub: &Stub| {
        Client::builder()
            .url(stub.url.clone())
            .retry_policy(fast)
            .build()
            .expect("client")
    };

    let flaky = stub(vec![
        Some((503, "busy")),
        Some((429, r#"{"error":{"code":"Throttled","@permanent":false}}"#)),
        Some((200, V2_ONE_ROW)),
    ]);
    let rows: Vec<(i64,)> = runtime
        .block_on(async { client_of(&flaky).query(DB, "x").await?.rows().await })
        .expect("success after retries");
    assert_eq!(rows, vec![(7,)]);
    assert_eq!(flaky.requests.load(Ordering::SeqCst), 3);

    for permanent in [
        (
            400,
            r#"{"error":{"code":"General_BadRequest","@message":"no","@permanent":true}}"#,
        ),
        (
            500,
            r#"{"error":{"code":"Internal","@message":"bug","@permanent":true}}"#,
        ),
    ] {
        let refusing = stub(vec![Some(permanent)]);
        let outcome = runtime.block_on(client_of(&refusing).query(DB, "x"));
        assert!(matches!(
            outcome,
            Err(Error::Kusto {
                permanent: true,
                ..
            })
        ));
        assert_eq!(
            refusing.requests.load(Ordering::SeqCst),
            1,
            "status {}",
            permanent.0
        );
    }

    let silent = stub(vec![None]);
    let options = QueryOptions::new().client_timeout(Duration::from_millis(200));
    let outcome = runtime.block_on(
        Client::builder()
            .url(silent.url.clone())
            .retry_policy(RetryPolicy::never())
            .build()
            .expect("client")
            .query_with(DB, "x", &options),
    );
    assert!(
        matches!(outcome, Err(Error::Timeout { .. })),
        "{:?}",
        outcome.err()
    );
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct DeviceAverage {
    device: String,
    average: f64,
    readings: i64,
}

/// Proves query parameters and typed rows, and that a truncated result delivers its rows and
/// then a partial-failure error (HTTP 200, LimitsExceeded, not permanent).
#[test]
fn parameters_typed_rows_and_partial_failure() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let runtime = runtime();
    let client = client_for(&node);
    let averages = runtime
        .block_on(async {
            client.execute_mgmt(DB, ".create table R (device:string, value:real)").await?;
            let csv = "a,1\na,3\nb,10\nc,0.5\n";
            client.ingest_bytes(DB, "R", csv.into(), IngestOptions::new(DataFormat::Csv)).await?;
            let options = QueryOptions::new().parameter("minimum", 1.0).parameter("skip", "c");
            client
                .query_with(
                    DB,
                    "declare query_parameters(minimum:real, skip:string); R | where value >= minimum and device != skip | summarize average = avg(value), readings = count() by device | order by device asc",
                    &options,
                )
                .await?
                .rows::<DeviceAverage>()
                .await
        })
        .expect("typed rows");
    assert_eq!(
        averages,
        vec![
            DeviceAverage {
                device: "a".to_string(),
                average: 2.0,
                readings: 2
            },
            DeviceAverage {
                device: "b".to_string(),
                average: 10.0,
                readings: 1
            },
        ]
    );

    let (rows, error) = runtime.block_on(async {
        let options = QueryOptions::new().truncation_max_records(10);
        let mut stream = client
            .query_with(DB, "range x from 1 to 100 step 1", &options)
            .await
            .expect("the query starts");
        let mut rows = 0;
        loop {
            match stream.next_batch().await {
                Ok(Some(batch)) => rows += batch.batch.num_rows(),
                Ok(None) => return (rows, None),
                Err(error) => return (rows, Some(error)),
            }
        }
    });
    assert_eq!(rows, 10);
    match error {
        Some(error @ Error::Kusto { .. }) => {
            assert!(error.is_partial_failure());
            assert!(matches!(
                error,
                Error::Kusto {
                    permanent: false,
                    ..
                }
            ));
            assert!(error.to_string().contains("LimitsExceeded"), "{error}");
        }
        other => panic!("expected a partial failure, got {other:?}"),
    }
}
