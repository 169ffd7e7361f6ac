//! Micro-benchmarks of Tarn's hot kernels, each through the public API the node itself calls:
//!
//! - `ingest_parse`: a request body → Arrow (`tarn_ingest::format::parse_body`), CSV and JSON lines;
//!   throughput in body bytes.
//! - `extent`: one extent's columns encoded and decoded (`tarn_storage::column_codec`), and the
//!   whole extent written (synced `WriteBatch`) and read back through `ExtentStore`; rows.
//! - `extent_scan`: `velocity > 50` over one extent, as a bare Arrow kernel after `read_extent` and
//!   as a planned KQL query executed by `QueryEngine` over `ExtentTable`; rows.
//! - `kql`: parsing (`tarn_kql::parse_query`) and planning (`tarn_planner::plan_query` against a
//!   `DatabaseView`) of three realistic queries, and the parser thread's own cost as a baseline.
//!
//! `cargo bench -p tarn-microbench` measures on `telemetry::ROWS_DEFAULT` rows; `cargo test
//! -p tarn-microbench --benches` runs each benchmark once on `TEST_MODE_ROWS` rows, to keep the
//! benchmarks compiling and working in CI without spending minutes in a debug build.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::cmp::gt;
use arrow::datatypes::SchemaRef;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::logical_expr::LogicalPlan;
use futures::TryStreamExt;
use tarn_common::types::arrow_schema;
use tarn_ingest::format::{DataFormat, ParseOptions, parse_body};
use tarn_microbench::TelemetryStore;
use tarn_microbench::fixture::CREATED_AT_NANOS;
use tarn_microbench::telemetry::{self, SEED_DEFAULT};
use tarn_planner::{PlanContext, plan_query};
use tarn_query::{QueryEngine, QueryEngineOptions};
use tarn_storage::column_codec::{decode_column, encode_column};
use tarn_storage::new_extent_id;

/// Rows when criterion runs in test mode (`cargo test --benches`, no `--bench` argument).
const TEST_MODE_ROWS: usize = 2_000;
/// Samples per benchmark of the row-scale groups; each iteration takes milliseconds, so
/// criterion's default of 100 would stretch every benchmark well past its measurement time.
const SAMPLES_ROW_SCALE: usize = 20;
const MEASUREMENT_TIME_ROW_SCALE: Duration = Duration::from_secs(6);

/// `tarn_kql`'s private `PARSER_STACK_BYTES_MAX`, for the parse baseline.
const PARSER_STACK_BYTES: usize = 16 << 20;

/// The filter every scan benchmark evaluates; `velocity` is uniform in [0, 100).
const VELOCITY_THRESHOLD: f64 = 50.0;

/// The KQL the `kql` group parses and plans, and the scan queries.
const QUERY_SUMMARIZE_BY_BIN: &str = r#"Telemetry
| where timestamp between (datetime(2024-01-01) .. datetime(2024-01-02)) and status != "offline"
| summarize readings = count(), avg_velocity = avg(velocity), max_temperature = max(temperature)
    by region, bin(timestamp, 5m)
| order by timestamp asc"#;
const QUERY_FILTER_CHAIN: &str = r#"Telemetry
| where velocity > 50 and region in ("eu-west", "us-east", "ap-south")
| extend speed_kmh = velocity * 3.6, hour = datetime_part("hour", timestamp)
| project timestamp, device_id, sensor, speed_kmh, hour, status
| where speed_kmh > 200 and isnotempty(device_id)
| take 1000"#;
const QUERY_JOIN: &str = r#"Telemetry
| where status == "error"
| join kind=inner (Devices | project device_id, model, site) on device_id
| summarize errors = count() by model, site
| top 10 by errors desc"#;
const SCAN_QUERY_COUNT: &str = "Telemetry | where velocity > 50 | count";
const SCAN_QUERY_PROJECT: &str =
    "Telemetry | where velocity > 50 | project timestamp, device_id, velocity";

fn input_rows() -> usize {
    if std::env::args().any(|argument| argument == "--bench") {
        telemetry::ROWS_DEFAULT
    } else {
        TEST_MODE_ROWS
    }
}

/// Body bytes → Arrow batches in the table's schema, as the ingest endpoint does after un-gzip.
fn ingest_parse(c: &mut Criterion) {
    let rows = input_rows();
    let schema = telemetry::schema();
    let options = ParseOptions::default();
    let bodies = [
        (
            "csv",
            DataFormat::Csv,
            telemetry::csv_body(rows, SEED_DEFAULT),
        ),
        (
            "json_lines",
            DataFormat::Json,
            telemetry::json_lines_body(rows, SEED_DEFAULT),
        ),
    ];
    let mut group = c.benchmark_group("ingest_parse");
    group
        .sample_size(SAMPLES_ROW_SCALE)
        .measurement_time(MEASUREMENT_TIME_ROW_SCALE);
    for (name, format, body) in &bodies {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(*name, |bencher| {
            bencher.iter(|| {
                let parsed = parse_body(black_box(body), *format, &schema, None, &options)
                    .expect("generated telemetry parses (proved by the telemetry module's test)");
                assert_eq!(
                    parsed.rows, rows as u64,
                    "every generated reading is one row"
                );
                parsed
            });
        });
    }
    group.finish();
}

/// One extent: the column codec alone, then the store's write (stats, codec, checksums, header,
/// one synced RocksDB `WriteBatch`) and read (multi-get, checksum checks, codec).
fn extent(c: &mut Criterion) {
    let rows = input_rows();
    let batch = telemetry::record_batch(rows, SEED_DEFAULT).expect("generated telemetry parses");
    let columns = telemetry::schema();
    let fixture =
        TelemetryStore::open(&batch).expect("extent store opens in a temporary directory");
    let encoded: Vec<Vec<u8>> = columns
        .iter()
        .zip(batch.columns())
        .map(|(column, array)| encode_column(column, array))
        .collect::<Result<_, _>>()
        .expect("the batch matches the schema it was parsed into");

    let mut group = c.benchmark_group("extent");
    group
        .sample_size(SAMPLES_ROW_SCALE)
        .measurement_time(MEASUREMENT_TIME_ROW_SCALE);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("encode_columns", |bencher| {
        bencher.iter(|| {
            let mut values = Vec::with_capacity(columns.len());
            for (column, array) in columns.iter().zip(black_box(&batch).columns()) {
                values.push(encode_column(column, array).expect("the batch matches its schema"));
            }
            values
        });
    });
    group.bench_function("decode_columns", |bencher| {
        // The copy of the encoded values stands in for RocksDB's read and is not timed.
        bencher.iter_batched(
            || encoded.clone(),
            |values| {
                let mut arrays: Vec<ArrayRef> = Vec::with_capacity(values.len());
                for value in values {
                    arrays
                        .push(decode_column(value).expect("values were encoded by encode_column"));
                }
                arrays
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("write_extent_synced", |bencher| {
        // Extents are immutable and ids never reused: each iteration writes a fresh extent and
        // deletes it afterwards, outside the timed span, so the database does not grow.
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let id = new_extent_id();
                let start = Instant::now();
                let meta = fixture
                    .store()
                    .write_extent(
                        id,
                        &columns,
                        black_box(&batch),
                        CREATED_AT_NANOS,
                        Vec::new(),
                    )
                    .expect("a fresh id and a matching batch write");
                elapsed += start.elapsed();
                black_box(meta);
                fixture
                    .store()
                    .delete_extents(&[id])
                    .expect("a written extent deletes");
            }
            elapsed
        });
    });
    let all_columns = batch.schema();
    group.bench_function("read_extent_all_columns", |bencher| {
        bencher.iter(|| {
            fixture
                .store()
                .read_extent(black_box(fixture.extent()), &all_columns)
                .expect("the fixture extent reads")
        });
    });
    group.finish();
}

/// `velocity > 50` over one extent: the bare Arrow kernels after a projected read, then the same
/// predicate as planned KQL run by DataFusion over `ExtentTable` (pruning, projection, the
/// blocking-pool read, the filter and the operators above it).
fn extent_scan(c: &mut Criterion) {
    let rows = input_rows();
    let batch = telemetry::record_batch(rows, SEED_DEFAULT).expect("generated telemetry parses");
    let fixture =
        TelemetryStore::open(&batch).expect("extent store opens in a temporary directory");
    let projected: SchemaRef = arrow_schema(
        &telemetry::schema()
            .into_iter()
            .filter(|column| ["timestamp", "device_id", "velocity"].contains(&column.name.as_str()))
            .collect::<Vec<_>>(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let engine =
        QueryEngine::new(&QueryEngineOptions::default()).expect("default engine options are valid");
    let count_plan = plan_one(&fixture, SCAN_QUERY_COUNT);
    let project_plan = plan_one(&fixture, SCAN_QUERY_PROJECT);

    // Both paths must agree before either is timed.
    let kernel_rows = filter_velocity(&fixture, &projected).num_rows();
    let query_rows = runtime
        .block_on(collect_rows(&engine, project_plan.clone()))
        .expect("the scan query runs");
    assert_eq!(
        kernel_rows, query_rows,
        "the Arrow kernel and the KQL query keep the same rows"
    );
    assert!(
        kernel_rows > 0 && kernel_rows < rows,
        "the filter keeps some rows and drops others"
    );

    let mut group = c.benchmark_group("extent_scan");
    group
        .sample_size(SAMPLES_ROW_SCALE)
        .measurement_time(MEASUREMENT_TIME_ROW_SCALE);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("read_filter_arrow", |bencher| {
        bencher.iter(|| filter_velocity(&fixture, black_box(&projected)));
    });
    group.bench_function("kql_where_project", |bencher| {
        bencher.iter(|| {
            runtime
                .block_on(collect_rows(&engine, project_plan.clone()))
                .expect("the scan query runs")
        });
    });
    group.bench_function("kql_where_count", |bencher| {
        bencher.iter(|| {
            runtime
                .block_on(collect_rows(&engine, count_plan.clone()))
                .expect("the count query runs")
        });
    });
    group.finish();
}

/// Reads the projected columns of the fixture extent and keeps the rows with `velocity > 50`.
fn filter_velocity(fixture: &TelemetryStore, projected: &SchemaRef) -> RecordBatch {
    let batch = fixture
        .store()
        .read_extent(fixture.extent(), projected)
        .expect("the fixture extent reads");
    let velocity = batch
        .column_by_name("velocity")
        .and_then(|array| array.as_any().downcast_ref::<Float64Array>())
        .expect("the projection holds velocity as a real column");
    let keep =
        gt(velocity, &Float64Array::new_scalar(VELOCITY_THRESHOLD)).expect("real > real compares");
    filter_record_batch(&batch, &keep).expect("the mask has one entry per row")
}

fn plan_one(fixture: &TelemetryStore, text: &str) -> LogicalPlan {
    let query = tarn_kql::parse_query(text).expect("benchmark queries are valid KQL");
    let view = fixture.view();
    let parameters = BTreeMap::new();
    let context = PlanContext {
        catalog: &view,
        now_nanos: CREATED_AT_NANOS,
        parameters: &parameters,
    };
    let planned = plan_query(&query, context).expect("benchmark queries plan against the fixture");
    let result = planned
        .results
        .into_iter()
        .next()
        .expect("each benchmark query has a result");
    result.plan
}

/// Query text → syntax tree, and syntax tree → DataFusion logical plan against the catalog.
fn kql(c: &mut Criterion) {
    let batch =
        telemetry::record_batch(TEST_MODE_ROWS, SEED_DEFAULT).expect("generated telemetry parses");
    let fixture =
        TelemetryStore::open(&batch).expect("extent store opens in a temporary directory");
    let view = fixture.view();
    let parameters = BTreeMap::new();
    let queries = [
        ("summarize_by_bin", QUERY_SUMMARIZE_BY_BIN),
        ("where_extend_project", QUERY_FILTER_CHAIN),
        ("join_summarize_top", QUERY_JOIN),
    ];

    let mut group = c.benchmark_group("kql");
    // `parse_query` runs the parser on a fresh thread with a large stack; this is that thread's
    // cost alone, so the parse figures can be read net of it.
    group.bench_function("parse_thread_baseline", |bencher| {
        bencher.iter(|| {
            std::thread::scope(|scope| {
                let spawned = std::thread::Builder::new()
                    .stack_size(PARSER_STACK_BYTES)
                    .spawn_scoped(scope, || black_box(0u8))
                    .expect("a thread starts");
                spawned.join().expect("an empty thread does not panic")
            })
        });
    });
    for (name, text) in queries {
        group.bench_function(format!("parse/{name}"), |bencher| {
            bencher.iter(|| {
                tarn_kql::parse_query(black_box(text)).expect("benchmark queries are valid KQL")
            });
        });
        let query = tarn_kql::parse_query(text).expect("benchmark queries are valid KQL");
        group.bench_function(format!("plan/{name}"), |bencher| {
            bencher.iter(|| {
                let context = PlanContext {
                    catalog: &view,
                    now_nanos: CREATED_AT_NANOS,
                    parameters: &parameters,
                };
                plan_query(black_box(&query), context)
                    .expect("benchmark queries plan against the fixture")
            });
        });
    }
    group.finish();
}

/// Executes a plan the way `tarnd` does and returns the result's row count.
async fn collect_rows(engine: &QueryEngine, plan: LogicalPlan) -> datafusion::error::Result<usize> {
    let stream = engine.execute(plan).await?;
    let batches: Vec<RecordBatch> = stream.try_collect().await?;
    Ok(batches.iter().map(RecordBatch::num_rows).sum())
}

criterion_group!(kernels, ingest_parse, extent, extent_scan, kql);
criterion_main!(kernels);
