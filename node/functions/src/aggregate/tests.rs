//! Aggregates run through a real DataFusion session, each over the same rows stored as one
//! partition and as three, so partial/final merging must agree with a single pass. Expected
//! values come from the KQL reference's examples (cited per test) or from the definition the
//! reference gives (nearest rank, Bessel's correction).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, DurationNanosecondArray, Int32Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::prelude::SessionContext;

use super::*;
use crate::{FunctionError, TypedExpr};

fn typed(name: &str, batch: &RecordBatch) -> TypedExpr {
    let data_type = batch
        .schema()
        .field_with_name(name)
        .map(|f| f.data_type().clone());
    TypedExpr::new(col(name), data_type.unwrap_or(DataType::Null))
}

fn literal_arg(value: Expr, data_type: DataType) -> TypedExpr {
    TypedExpr::new(value, data_type)
}

fn batch_of(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let arrays = columns.into_iter().map(|(_, array)| array).collect();
    RecordBatch::try_new(schema, arrays).expect("test columns have equal lengths")
}

/// Splits `batch` into `partitions` contiguous slices (some possibly empty).
fn partitioned(batch: &RecordBatch, partitions: usize) -> Vec<Vec<RecordBatch>> {
    let rows = batch.num_rows();
    let per_partition = rows.div_ceil(partitions).max(1);
    (0..partitions)
        .map(|index| {
            let start = (index * per_partition).min(rows);
            let end = ((index + 1) * per_partition).min(rows);
            vec![batch.slice(start, end - start)]
        })
        .collect()
}

/// Runs `summarize aggregates [by group]` over `batch` in `partitions` partitions.
async fn summarize(
    batch: &RecordBatch,
    partitions: usize,
    group: Option<&str>,
    aggregates: Vec<Expr>,
) -> datafusion::error::Result<RecordBatch> {
    let context = SessionContext::new();
    let table = MemTable::try_new(batch.schema(), partitioned(batch, partitions))?;
    let frame = context.read_table(Arc::new(table))?;
    let group_exprs: Vec<Expr> = group.iter().map(|name| col(*name)).collect();
    let aliased: Vec<Expr> = aggregates
        .into_iter()
        .enumerate()
        .map(|(index, aggregate)| aggregate.alias(format!("a{index}")))
        .collect();
    let mut frame = frame.aggregate(group_exprs, aliased)?;
    if let Some(name) = group {
        frame = frame.sort(vec![col(name).sort(true, false)])?;
    }
    let schema = frame.schema().as_arrow().clone();
    let batches = frame.collect().await?;
    Ok(concat_batches(&Arc::new(schema), &batches)?)
}

/// Summarizes over one and over three partitions and checks both agree; returns the result.
async fn summarize_both(
    batch: &RecordBatch,
    group: Option<&str>,
    aggregates: Vec<Expr>,
) -> RecordBatch {
    let single = summarize(batch, 1, group, aggregates.clone())
        .await
        .expect("single partition runs");
    let split = summarize(batch, 3, group, aggregates)
        .await
        .expect("three partitions run");
    assert_eq!(single, split, "one partition and three partitions disagree");
    single
}

fn range_batch(count: i64) -> RecordBatch {
    let values: Int64Array = (1..=count).map(Some).collect();
    batch_of(vec![("x", Arc::new(values))])
}

fn column(batch: &RecordBatch, index: usize) -> &ArrayRef {
    batch.column(index)
}

fn sorted_json(text: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(text).expect("aggregate returns JSON");
    let mut items: Vec<String> = value
        .as_array()
        .expect("aggregate returns a JSON array")
        .iter()
        .map(|item| item.to_string())
        .collect();
    items.sort();
    items
}

// Proves count() counts every row and countif counts rows whose predicate is true (null
// predicates are not counted), as long.
#[tokio::test]
async fn count_and_countif() {
    let values: Int64Array = vec![Some(1), Some(5), None, Some(7), Some(2)]
        .into_iter()
        .collect();
    let batch = batch_of(vec![("x", Arc::new(values))]);
    let predicate = literal_arg(col("x").gt(lit(2i64)), DataType::Boolean);
    let aggregates = vec![
        plan_aggregate("count", vec![]).expect("count plans"),
        plan_aggregate("countif", vec![predicate]).expect("countif plans"),
    ];
    let result = summarize_both(&batch, None, aggregates).await;
    assert_eq!(column(&result, 0).as_primitive::<Int64Type>().value(0), 5);
    assert_eq!(column(&result, 1).as_primitive::<Int64Type>().value(0), 2);
}

// Proves sum widens int to long, keeps timespan and decimal types, ignores nulls, and returns 0
// for no input (the summarize reference's "default values of aggregations" lists sum() as 0).
#[tokio::test]
async fn sum_types_and_empty_default() {
    let ints: Int32Array = vec![Some(1), None, Some(2_000_000_000), Some(2_000_000_000)]
        .into_iter()
        .collect();
    let spans =
        DurationNanosecondArray::from(vec![Some(1_000_000_000), None, Some(500_000_000), Some(0)]);
    let decimals = Decimal128Array::from(vec![
        Some(1_500_000_000_000_000_000),
        None,
        Some(1),
        Some(0),
    ])
    .with_precision_and_scale(38, 18)
    .expect("(38, 18) is a valid decimal type");
    let batch = batch_of(vec![
        ("i", Arc::new(ints)),
        ("d", Arc::new(spans)),
        ("m", Arc::new(decimals)),
    ]);
    let aggregates = vec![
        plan_aggregate("sum", vec![typed("i", &batch)]).expect("sum(int) plans"),
        plan_aggregate("sum", vec![typed("d", &batch)]).expect("sum(timespan) plans"),
        plan_aggregate("sum", vec![typed("m", &batch)]).expect("sum(decimal) plans"),
    ];
    let result = summarize_both(&batch, None, aggregates.clone()).await;
    assert_eq!(
        column(&result, 0).as_primitive::<Int64Type>().value(0),
        4_000_000_001
    );
    assert_eq!(
        column(&result, 1).data_type(),
        &DataType::Duration(arrow::datatypes::TimeUnit::Nanosecond)
    );
    assert_eq!(
        column(&result, 1)
            .as_any()
            .downcast_ref::<DurationNanosecondArray>()
            .map(|a| a.value(0)),
        Some(1_500_000_000)
    );
    assert_eq!(
        column(&result, 2).data_type(),
        &DataType::Decimal128(38, 18)
    );
    assert_eq!(
        column(&result, 2)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .map(|a| a.value(0)),
        Some(1_500_000_000_000_000_001)
    );

    let empty = batch.slice(0, 0);
    let result = summarize_both(&empty, None, aggregates).await;
    assert_eq!(column(&result, 0).as_primitive::<Int64Type>().value(0), 0);
    assert!(
        column(&result, 1).is_valid(0),
        "sum of no timespans is 0, not null"
    );
    assert!(
        column(&result, 2).is_valid(0),
        "sum of no decimals is 0, not null"
    );
}

// Proves avg of ints is real, avg of timespans is a timespan, sumif/avgif filter rows, and avg of
// no input is null (not in the reference's list of aggregates that default to 0).
#[tokio::test]
async fn avg_and_if_forms() {
    let ints: Int32Array = vec![Some(1), Some(2), None, Some(4)].into_iter().collect();
    let spans = DurationNanosecondArray::from(vec![Some(1_000), Some(2_000), None, Some(4_000)]);
    let batch = batch_of(vec![("i", Arc::new(ints)), ("d", Arc::new(spans))]);
    let small = literal_arg(col("i").lt(lit(3i32)), DataType::Boolean);
    let aggregates = vec![
        plan_aggregate("avg", vec![typed("i", &batch)]).expect("avg(int) plans"),
        plan_aggregate("avg", vec![typed("d", &batch)]).expect("avg(timespan) plans"),
        plan_aggregate("sumif", vec![typed("i", &batch), small.clone()]).expect("sumif plans"),
        plan_aggregate("avgif", vec![typed("i", &batch), small]).expect("avgif plans"),
    ];
    let result = summarize_both(&batch, None, aggregates.clone()).await;
    assert_eq!(
        column(&result, 0).as_primitive::<Float64Type>().value(0),
        7.0 / 3.0
    );
    let mean_span = column(&result, 1)
        .as_any()
        .downcast_ref::<DurationNanosecondArray>()
        .map(|a| a.value(0));
    assert_eq!(mean_span, Some(2_333));
    assert_eq!(column(&result, 2).as_primitive::<Int64Type>().value(0), 3);
    assert_eq!(
        column(&result, 3).as_primitive::<Float64Type>().value(0),
        1.5
    );

    let result = summarize_both(&batch.slice(0, 0), None, aggregates).await;
    assert!(column(&result, 0).is_null(0), "avg of nothing is null");
}

// Proves min/max work on strings and datetimes, ignore nulls, and minif filters, per group
// (exercising DataFusion's grouped path across partitions).
#[tokio::test]
async fn min_max_strings_and_datetimes() {
    let keys = StringArray::from(vec!["a", "b", "a", "b", "a"]);
    let names = StringArray::from(vec![
        Some("pear"),
        Some("fig"),
        None,
        Some("kiwi"),
        Some("apple"),
    ]);
    let times = TimestampNanosecondArray::from(vec![Some(5), Some(1), Some(9), None, Some(3)])
        .with_timezone("UTC");
    let batch = batch_of(vec![
        ("k", Arc::new(keys)),
        ("s", Arc::new(names)),
        ("t", Arc::new(times)),
    ]);
    let not_apple = literal_arg(col("s").not_eq(lit("apple")), DataType::Boolean);
    let aggregates = vec![
        plan_aggregate("min", vec![typed("s", &batch)]).expect("min(string) plans"),
        plan_aggregate("max", vec![typed("t", &batch)]).expect("max(datetime) plans"),
        plan_aggregate("minif", vec![typed("s", &batch), not_apple]).expect("minif plans"),
    ];
    let result = summarize_both(&batch, Some("k"), aggregates).await;
    let mins = column(&result, 1).as_string::<i32>();
    assert_eq!((mins.value(0), mins.value(1)), ("apple", "fig"));
    let maxes = column(&result, 2).as_primitive::<arrow::datatypes::TimestampNanosecondType>();
    assert_eq!((maxes.value(0), maxes.value(1)), (9, 1));
    assert_eq!(column(&result, 3).as_string::<i32>().value(0), "pear");
}

// Proves dcount ignores nulls of non-string types, counts a null string as "" (KQL strings are
// never null), and dcountif filters; checks the accuracy argument's range.
#[tokio::test]
async fn dcount_counts_distinct_values() {
    let longs: Int64Array = vec![Some(1), Some(1), None, Some(2), Some(3), Some(3)]
        .into_iter()
        .collect();
    let strings = StringArray::from(vec![
        Some("x"),
        Some(""),
        None,
        Some("x"),
        Some("y"),
        Some("y"),
    ]);
    let batch = batch_of(vec![("l", Arc::new(longs)), ("s", Arc::new(strings))]);
    let positive = literal_arg(col("l").gt(lit(1i64)), DataType::Boolean);
    let accuracy = literal_arg(lit(2i32), DataType::Int32);
    let aggregates = vec![
        plan_aggregate("dcount", vec![typed("l", &batch), accuracy]).expect("dcount plans"),
        plan_aggregate("dcount", vec![typed("s", &batch)]).expect("dcount(string) plans"),
        plan_aggregate("dcountif", vec![typed("l", &batch), positive]).expect("dcountif plans"),
    ];
    let result = summarize_both(&batch, None, aggregates).await;
    assert_eq!(column(&result, 0).as_primitive::<Int64Type>().value(0), 3);
    assert_eq!(column(&result, 1).as_primitive::<Int64Type>().value(0), 3);
    assert_eq!(column(&result, 2).as_primitive::<Int64Type>().value(0), 2);

    let bad_accuracy = literal_arg(lit(9i32), DataType::Int32);
    let error = plan_aggregate("dcount", vec![typed("l", &batch), bad_accuracy]);
    assert!(matches!(error, Err(FunctionError::InvalidArgument { .. })));
}

// Proves percentile is the nearest rank (rank = ceil(p/100 × n), p = 0 → smallest), the
// definition the reference's "nearest-rank percentile" names: over 1..10, p50 = 5, p95 = 10,
// p0 = 1, p100 = 10, p25 = 3; and that datetimes keep their type.
#[tokio::test]
async fn percentile_is_nearest_rank() {
    let batch = range_batch(10);
    let mut aggregates = Vec::new();
    for percentile in [50.0, 95.0, 0.0, 100.0, 25.0] {
        aggregates.push(plan_percentile(typed("x", &batch), percentile).expect("percentile plans"));
    }
    let result = summarize_both(&batch, None, aggregates).await;
    let values: Vec<i64> = (0..5)
        .map(|i| column(&result, i).as_primitive::<Int64Type>().value(0))
        .collect();
    assert_eq!(values, vec![5, 10, 1, 10, 3]);

    let times = TimestampNanosecondArray::from(vec![30, 10, 20]).with_timezone("UTC");
    let batch = batch_of(vec![("t", Arc::new(times))]);
    let aggregates = vec![
        plan_aggregate(
            "percentile",
            vec![typed("t", &batch), literal_arg(lit(50i64), DataType::Int64)],
        )
        .expect("percentile(datetime) plans"),
    ];
    let result = summarize_both(&batch, None, aggregates).await;
    assert_eq!(
        column(&result, 0).data_type(),
        &KustoType::DateTime.arrow_type()
    );
    assert_eq!(
        column(&result, 0)
            .as_primitive::<arrow::datatypes::TimestampNanosecondType>()
            .value(0),
        20
    );

    let out_of_range = plan_percentile(typed("t", &batch), 150.0);
    assert!(matches!(
        out_of_range,
        Err(FunctionError::InvalidArgument { .. })
    ));
}

// Proves a group holding more values than the exact limit switches to a T-Digest estimate, over
// one partition and over three (the digest travels as partial state and merges): with a limit
// of 1,000, the percentiles of 1..=100,000 land within 0.2% of the exact nearest ranks, and a
// group under the limit stays exact.
#[tokio::test]
async fn percentiles_of_large_groups_are_estimated() {
    let batch = range_batch(100_000);
    for partitions in [1, 3] {
        let aggregates: Vec<Expr> = [1.0, 50.0, 90.0, 99.0]
            .into_iter()
            .map(|percentile| {
                PercentileUdaf::udaf(&format!("percentile_{percentile}"), percentile, 1_000).call(vec![col("x")])
            })
            .collect();
        let result = summarize(&batch, partitions, None, aggregates)
            .await
            .expect("a large group's percentiles run");
        for (index, exact) in [1_000_i64, 50_000, 90_000, 99_000].into_iter().enumerate() {
            let estimate = column(&result, index).as_primitive::<Int64Type>().value(0);
            let error = (estimate - exact).abs() as f64 / 100_000.0;
            assert!(error <= 0.002, "{partitions} partition(s): p of rank {exact} estimated as {estimate}");
        }
    }
    let small = range_batch(999);
    let exact = PercentileUdaf::udaf("percentile_50", 50.0, 1_000).call(vec![col("x")]);
    let result = summarize(&small, 3, None, vec![exact]).await.expect("a small group runs");
    assert_eq!(column(&result, 0).as_primitive::<Int64Type>().value(0), 500);
}

// Proves arg_max/arg_min return the value from the row with the max/min `by`, ignoring rows whose
// `by` is null (the reference: "finds a row in the group that maximizes ExprToMaximize").
#[tokio::test]
async fn arg_max_and_arg_min() {
    let by: Int64Array = vec![Some(3), None, Some(9), Some(1)].into_iter().collect();
    let names = StringArray::from(vec!["three", "null", "nine", "one"]);
    let batch = batch_of(vec![("by", Arc::new(by)), ("name", Arc::new(names))]);
    let aggregates = vec![
        plan_arg_extreme(true, typed("by", &batch), typed("name", &batch)).expect("arg_max plans"),
        plan_arg_extreme(false, typed("by", &batch), typed("name", &batch)).expect("arg_min plans"),
        plan_arg_extreme(true, typed("by", &batch), typed("by", &batch)).expect("arg_max by plans"),
    ];
    let result = summarize_both(&batch, None, aggregates).await;
    assert_eq!(column(&result, 0).as_string::<i32>().value(0), "nine");
    assert_eq!(column(&result, 1).as_string::<i32>().value(0), "one");
    assert_eq!(column(&result, 2).as_primitive::<Int64Type>().value(0), 9);
}

// Proves make_list follows the reference's "one column" example (shapes → the names in input
// order as a JSON array) and its `by` example (odd/even side counts); make_set de-duplicates.
#[tokio::test]
async fn make_list_and_make_set_follow_the_reference() {
    let names = StringArray::from(vec![
        "triangle",
        "square",
        "rectangle",
        "pentagon",
        "hexagon",
        "heptagon",
        "octagon",
        "nonagon",
        "decagon",
    ]);
    let sides = Int32Array::from(vec![3, 4, 4, 5, 6, 7, 8, 9, 10]);
    let even: BooleanArray = sides
        .iter()
        .map(|side| side.map(|side| side % 2 == 0))
        .collect();
    let batch = batch_of(vec![
        ("name", Arc::new(names)),
        ("sides", Arc::new(sides)),
        ("even", Arc::new(even)),
    ]);

    let list = plan_aggregate("make_list", vec![typed("name", &batch)]).expect("make_list plans");
    let single = summarize(&batch, 1, None, vec![list.clone()])
        .await
        .expect("make_list runs");
    assert_eq!(
        column(&single, 0).as_string::<i64>().value(0),
        r#"["triangle","square","rectangle","pentagon","hexagon","heptagon","octagon","nonagon","decagon"]"#
    );

    let set = plan_aggregate("make_set", vec![typed("sides", &batch)]).expect("make_set plans");
    for partitions in [1, 3] {
        let result = summarize(
            &batch,
            partitions,
            Some("even"),
            vec![list.clone(), set.clone()],
        )
        .await
        .expect("grouped make_list runs");
        let odd_names = sorted_json(column(&result, 1).as_string::<i64>().value(0));
        assert_eq!(
            odd_names,
            vec![
                "\"heptagon\"",
                "\"nonagon\"",
                "\"pentagon\"",
                "\"triangle\""
            ]
        );
        let even_sides = sorted_json(column(&result, 2).as_string::<i64>().value(1));
        assert_eq!(even_sides, vec!["10", "4", "6", "8"]);
    }
}

// Proves the size argument caps make_list, make_list_if filters, datetimes are written as Kusto
// datetime strings, nulls are skipped (reference: "Null values are ignored"), and no input gives
// `[]` (the summarize reference's default for make_list).
#[tokio::test]
async fn make_list_size_filter_datetimes_and_empty() {
    let times =
        TimestampNanosecondArray::from(vec![Some(0), None, Some(86_400_000_000_000), Some(1)])
            .with_timezone("UTC");
    let batch = batch_of(vec![("t", Arc::new(times))]);
    let two = literal_arg(lit(2i32), DataType::Int32);
    let not_first = literal_arg(
        col("t").gt(lit(ScalarValue::TimestampNanosecond(
            Some(0),
            Some("UTC".into()),
        ))),
        DataType::Boolean,
    );
    let aggregates = vec![
        plan_aggregate("make_list", vec![typed("t", &batch)]).expect("make_list plans"),
        plan_aggregate("make_list", vec![typed("t", &batch), two]).expect("make_list(x, 2) plans"),
        plan_aggregate("make_list_if", vec![typed("t", &batch), not_first])
            .expect("make_list_if plans"),
    ];
    let result = summarize_both(&batch, None, aggregates.clone()).await;
    assert_eq!(
        column(&result, 0).as_string::<i64>().value(0),
        r#"["1970-01-01T00:00:00.0000000Z","1970-01-02T00:00:00.0000000Z","1970-01-01T00:00:00.0000000Z"]"#
    );
    assert_eq!(
        sorted_json(column(&result, 1).as_string::<i64>().value(0)).len(),
        2
    );
    assert_eq!(
        sorted_json(column(&result, 2).as_string::<i64>().value(0)).len(),
        2
    );

    let result = summarize_both(&batch.slice(0, 0), None, aggregates).await;
    assert_eq!(column(&result, 0).as_string::<i64>().value(0), "[]");
}

// Proves make_bag merges property bags as in the reference's example (bag_pack rows →
// {"prop01":"val_a","prop02":"val_b","prop03":"val_c"}), skipping non-bag values and nulls.
#[tokio::test]
async fn make_bag_merges_bags() {
    let bags = LargeStringArray::from(vec![
        Some(r#"{"prop01":"val_a"}"#),
        Some("[1,2]"),
        None,
        Some(r#"{"prop02":"val_b"}"#),
        Some(r#"{"prop03":"val_c"}"#),
    ]);
    let batch = batch_of(vec![("p", Arc::new(bags))]);
    let aggregates =
        vec![plan_aggregate("make_bag", vec![typed("p", &batch)]).expect("make_bag plans")];
    let result = summarize_both(&batch, None, aggregates).await;
    let bag: serde_json::Value =
        serde_json::from_str(column(&result, 0).as_string::<i64>().value(0)).expect("bag is JSON");
    let expected = serde_json::json!({"prop01": "val_a", "prop02": "val_b", "prop03": "val_c"});
    assert_eq!(bag, expected);
}

// Proves stdev/variance use Bessel's correction and stdevp/variancep do not, matching the
// reference's example (range 1..5: stdev = 1.58113883008419), and a single value gives 0.
#[tokio::test]
async fn stdev_and_variance() {
    let batch = range_batch(5);
    let aggregates: Vec<Expr> = ["stdev", "variance", "stdevp", "variancep"]
        .iter()
        .map(|name| plan_aggregate(name, vec![typed("x", &batch)]).expect("dispersion plans"))
        .collect();
    let result = summarize_both(&batch, None, aggregates.clone()).await;
    let values: Vec<f64> = (0..4)
        .map(|i| column(&result, i).as_primitive::<Float64Type>().value(0))
        .collect();
    assert!(
        (values[0] - 1.58113883008419).abs() < 1e-12,
        "stdev was {}",
        values[0]
    );
    assert!(
        (values[1] - 2.5).abs() < 1e-12,
        "variance was {}",
        values[1]
    );
    assert!(
        (values[2] - 2f64.sqrt()).abs() < 1e-12,
        "stdevp was {}",
        values[2]
    );
    assert!(
        (values[3] - 2.0).abs() < 1e-12,
        "variancep was {}",
        values[3]
    );

    let result = summarize_both(&range_batch(1), None, aggregates).await;
    assert_eq!(
        column(&result, 0).as_primitive::<Float64Type>().value(0),
        0.0
    );
}

// Proves take_any prefers a non-null, non-empty string when one exists, as the reference says
// of the single-column form.
#[tokio::test]
async fn take_any_prefers_non_empty_values() {
    let values = StringArray::from(vec![None, Some(""), Some("only"), None]);
    let batch = batch_of(vec![("s", Arc::new(values))]);
    let aggregates =
        vec![plan_aggregate("take_any", vec![typed("s", &batch)]).expect("take_any plans")];
    let result = summarize_both(&batch, None, aggregates).await;
    assert_eq!(column(&result, 0).as_string::<i32>().value(0), "only");
}

// Proves planning errors carry Kusto's messages and never panic: wrong counts, wrong types,
// non-constant sizes, unknown names.
#[test]
fn planning_errors() {
    let text = TypedExpr::new(col("s"), DataType::Utf8);
    let long = TypedExpr::new(col("l"), DataType::Int64);

    let count_error = plan_aggregate("count", vec![long.clone(), long.clone()])
        .map(|_| ())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        count_error.as_deref(),
        Some("The function 'count' expects between 0 and 1 argument(s).")
    );

    let sum_error = plan_aggregate("sum", vec![text.clone()]);
    assert!(matches!(
        sum_error,
        Err(FunctionError::WrongArgumentType { position: 1, .. })
    ));

    let not_bool = plan_aggregate("countif", vec![long.clone()]);
    assert!(matches!(
        not_bool,
        Err(FunctionError::WrongArgumentType { .. })
    ));

    let column_size = plan_aggregate("make_list", vec![long.clone(), long.clone()]);
    assert!(matches!(
        column_size,
        Err(FunctionError::InvalidArgument { .. })
    ));

    let bag_of_long = plan_aggregate("make_bag", vec![long.clone()]);
    assert!(matches!(
        bag_of_long,
        Err(FunctionError::WrongArgumentType { .. })
    ));

    let unknown = plan_aggregate("nope", vec![]);
    assert!(matches!(
        unknown,
        Err(FunctionError::UnknownFunction { .. })
    ));
    assert!(is_aggregate_function("arg_max") && !is_aggregate_function("strlen"));
}

// Proves the grouped path (DataFusion's GroupsAccumulator under our finishing step) fills
// Kusto's 0 for a group whose values are all null and keeps per-group sums and averages apart.
#[tokio::test]
async fn grouped_sum_fills_zero_for_all_null_group() {
    let keys = StringArray::from(vec!["a", "b", "a", "b", "a", "c"]);
    let values: Int64Array = vec![Some(1), None, Some(2), None, Some(4), Some(10)]
        .into_iter()
        .collect();
    let batch = batch_of(vec![("k", Arc::new(keys)), ("x", Arc::new(values))]);
    let aggregates = vec![
        plan_aggregate("sum", vec![typed("x", &batch)]).expect("sum plans"),
        plan_aggregate("avg", vec![typed("x", &batch)]).expect("avg plans"),
    ];
    let result = summarize_both(&batch, Some("k"), aggregates).await;
    let sums = column(&result, 1).as_primitive::<Int64Type>();
    assert_eq!((sums.value(0), sums.value(1), sums.value(2)), (7, 0, 10));
    let averages = column(&result, 2).as_primitive::<Float64Type>();
    assert_eq!(averages.value(0), 7.0 / 3.0);
    assert!(averages.is_null(1), "avg of a group of nulls is null");
}
