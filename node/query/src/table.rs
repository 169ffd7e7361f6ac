//! [`ExtentTable`]: a table as of one catalog snapshot, read by DataFusion.
//!
//! `scan` keeps the extents whose metadata could match the pushed-down filters, spreads them over
//! the session's partitions, and each partition reads its extents one at a time on the blocking
//! pool, projected to the columns the query uses, yielding batches of the session's batch size.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatchOptions;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ColumnStatistics, ScalarValue, Statistics};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream};
use futures::StreamExt;
use tarn_common::{ExtentMeta, StatValue};
use tarn_meta::Catalog;
use tarn_storage::ExtentStore;

use crate::pins::PinGuard;
use crate::pruning;

pub struct ExtentTable {
    catalog: Arc<Catalog>,
    database: String,
    table: String,
    schema: SchemaRef,
    store: Arc<ExtentStore>,
    pin: Arc<PinGuard>,
}

impl ExtentTable {
    /// `None` when the table is not in the snapshot.
    pub fn new(catalog: Arc<Catalog>, database: &str, table: &str, store: Arc<ExtentStore>, pin: Arc<PinGuard>) -> Option<ExtentTable> {
        let columns = &catalog.table(database, table)?.columns;
        let schema = tarn_common::types::arrow_schema(columns);
        Some(ExtentTable { database: database.to_string(), table: table.to_string(), schema, catalog, store, pin })
    }

    fn extents(&self) -> &[ExtentMeta] {
        self.catalog.table(&self.database, &self.table).map(|table| table.extents.as_slice()).unwrap_or(&[])
    }
}

impl fmt::Debug for ExtentTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtentTable({}.{})", self.database, self.table)
    }
}

#[async_trait]
impl TableProvider for ExtentTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters prune whole extents on their statistics but never rows, so DataFusion keeps
    /// evaluating them: `Inexact`.
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let projected = match projection {
            Some(indices) => Arc::new(self.schema.project(indices)?),
            None => Arc::clone(&self.schema),
        };
        let (positions, kept): (Vec<usize>, Vec<&ExtentMeta>) =
            self.extents().iter().enumerate().filter(|(_, extent)| pruning::may_match(extent, filters)).unzip();
        let partition_count = state.config().target_partitions().clamp(1, kept.len().max(1));
        let kept_rows: u64 = kept.iter().map(|extent| extent.row_count).sum();
        let columns = column_statistics(&kept, &projected);
        let mut assignments: Vec<Vec<usize>> = vec![Vec::new(); partition_count];
        for (index, position) in positions.into_iter().enumerate() {
            assignments[index % partition_count].push(position);
        }
        let batch_rows = state.config().batch_size().max(1);
        let partitions: Vec<Arc<dyn PartitionStream>> = assignments
            .into_iter()
            .map(|positions| {
                Arc::new(ExtentPartition {
                    schema: Arc::clone(&projected),
                    extents: SnapshotExtents {
                        catalog: Arc::clone(&self.catalog),
                        database: Arc::from(self.database.as_str()),
                        table: Arc::from(self.table.as_str()),
                        positions: Arc::new(positions),
                    },
                    store: Arc::clone(&self.store),
                    pin: Arc::clone(&self.pin),
                    batch_rows,
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        let exec = StreamingTableExec::try_new(projected, partitions, None, Vec::new(), false, limit)?;
        Ok(Arc::new(ExtentScanExec { inner: Arc::new(exec), rows: kept_rows, columns }))
    }
}

/// The scan of a table's extents, which tells DataFusion how many rows it holds (the sum of the
/// kept extents' row counts) and what the extents' statistics say of its columns. Without a row
/// count the optimizer cannot tell a join's small side from its large one and builds the hash
/// table on whichever side is on the left: joining 8.5M readings with 1,000 tags took 580 ms that
/// way, 214 ms with the sides swapped by hand. With exact counts and bounds, `count()`, `min()`
/// and `max()` over a whole table are answered from metadata without reading a column (the
/// bench's `toscalar(readings | summarize max(ts))`).
///
/// The counts are exact: the scan returns every row of the extents it keeps (pruning drops whole
/// extents; the filters still run above it), and no extent changes once written.
#[derive(Debug)]
struct ExtentScanExec {
    inner: Arc<dyn ExecutionPlan>,
    rows: u64,
    columns: Vec<ColumnStatistics>,
}

impl DisplayAs for ExtentScanExec {
    fn fmt_as(&self, format: DisplayFormatType, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "ExtentScanExec: rows={}, ", self.rows)?;
        self.inner.fmt_as(format, formatter)
    }
}

impl ExecutionPlan for ExtentScanExec {
    fn name(&self) -> &'static str {
        "ExtentScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.inner.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _visit: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        self.inner.execute(partition, context)
    }

    fn fetch(&self) -> Option<usize> {
        self.inner.fetch()
    }

    fn statistics_from_inputs(&self, _inputs: &[Arc<Statistics>], args: &StatisticsArgs) -> DfResult<Arc<Statistics>> {
        let schema = self.schema();
        if args.partition().is_some() {
            return Ok(Arc::new(Statistics::new_unknown(&schema)));
        }
        let rows = usize::try_from(self.rows).unwrap_or(usize::MAX);
        let statistics = match self.inner.fetch() {
            // A limit keeps some rows, not known which: the bounds no longer hold exactly.
            Some(fetch) => Statistics::new_unknown(&schema).with_num_rows(Precision::Inexact(rows.min(fetch))),
            None => Statistics {
                num_rows: Precision::Exact(rows),
                total_byte_size: Precision::Absent,
                column_statistics: self.columns.clone(),
            },
        };
        Ok(Arc::new(statistics))
    }
}

/// Per projected column, what the kept extents' metadata says exactly: the null count, and for
/// int, long, datetime and timespan columns the min and max. A column some extent lacks or
/// stores with another type (the schema changed since) is unknown. Reals are left out: NaN has
/// no place in a min/max bound.
fn column_statistics(extents: &[&ExtentMeta], schema: &Schema) -> Vec<ColumnStatistics> {
    schema.fields().iter().map(|field| exact_column_statistics(extents, field).unwrap_or_else(ColumnStatistics::new_unknown)).collect()
}

fn exact_column_statistics(extents: &[&ExtentMeta], field: &Field) -> Option<ColumnStatistics> {
    let mut null_count: u64 = 0;
    let mut bounds: Option<(i64, i64)> = None;
    let mut bounds_known = true;
    for extent in extents {
        let index = extent.column_index(field.name())?;
        let (column, stats) = (extent.columns.get(index)?, extent.stats.get(index)?);
        if &column.kusto_type.arrow_type() != field.data_type() {
            return None;
        }
        null_count = null_count.checked_add(stats.null_count)?;
        if stats.null_count >= extent.row_count {
            continue;
        }
        match (&stats.min, &stats.max) {
            (Some(StatValue::Int(low)), Some(StatValue::Int(high))) => {
                bounds = Some(match bounds {
                    Some((min, max)) => (min.min(*low), max.max(*high)),
                    None => (*low, *high),
                });
            }
            _ => bounds_known = false,
        }
    }
    let mut statistics = ColumnStatistics::new_unknown().with_null_count(Precision::Exact(usize::try_from(null_count).ok()?));
    if bounds_known && let Some((min, max)) = bounds {
        let as_field_type = |value: i64| ScalarValue::Int64(Some(value)).cast_to(field.data_type()).ok();
        if let (Some(min), Some(max)) = (as_field_type(min), as_field_type(max)) {
            statistics = statistics.with_min_value(Precision::Exact(min)).with_max_value(Precision::Exact(max));
        }
    }
    Some(statistics)
}

/// The extents a partition reads, as positions in its table's extent list of the query's
/// catalog snapshot: planning a scan copies no extent metadata (each one's columns and
/// statistics were cloned twice per scan; over 200 small extents `T | count` took 1.69 ms that
/// way, 1.49 ms this way).
#[derive(Clone)]
struct SnapshotExtents {
    catalog: Arc<Catalog>,
    database: Arc<str>,
    table: Arc<str>,
    positions: Arc<Vec<usize>>,
}

impl SnapshotExtents {
    fn len(&self) -> usize {
        self.positions.len()
    }

    /// The `index`-th extent. The snapshot never changes, so it is always there; an error, not a
    /// panic, if that ever stops holding.
    fn get(&self, index: usize) -> DfResult<&ExtentMeta> {
        self.positions
            .get(index)
            .and_then(|&position| self.catalog.table(&self.database, &self.table)?.extents.get(position))
            .ok_or_else(|| DataFusionError::Internal(format!("extent {index} of {}.{} left the snapshot", self.database, self.table)))
    }
}

struct ExtentPartition {
    schema: SchemaRef,
    extents: SnapshotExtents,
    store: Arc<ExtentStore>,
    /// Keeps the extents' bytes alive while this partition can still read them.
    pin: Arc<PinGuard>,
    batch_rows: usize,
}

impl fmt::Debug for ExtentPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtentPartition({} extents)", self.extents.len())
    }
}

impl PartitionStream for ExtentPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let store = Arc::clone(&self.store);
        let pin = Arc::clone(&self.pin);
        let batch_rows = self.batch_rows;
        let extents = self.extents.clone();
        let reads = futures::stream::iter(0..extents.len()).then(move |index| {
            let schema = Arc::clone(&schema);
            let store = Arc::clone(&store);
            let extents = extents.clone();
            let _pin = Arc::clone(&pin);
            async move { read_extent(store, extents, index, schema).await }
        });
        let batches = reads.flat_map(move |result| {
            let slices: Vec<DfResult<RecordBatch>> = match result {
                Ok(batch) => slice(batch, batch_rows).into_iter().map(Ok).collect(),
                Err(error) => vec![Err(error)],
            };
            futures::stream::iter(slices)
        });
        Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&self.schema), batches))
    }
}

async fn read_extent(store: Arc<ExtentStore>, extents: SnapshotExtents, index: usize, schema: SchemaRef) -> DfResult<RecordBatch> {
    if schema.fields().is_empty() {
        // `count()` and friends need rows, not columns: no bytes to read.
        let row_count = extents.get(index)?.row_count;
        let rows = usize::try_from(row_count).map_err(|error| DataFusionError::External(Box::new(error)))?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        return Ok(RecordBatch::try_new_with_options(schema, Vec::new(), &options)?);
    }
    tokio::task::spawn_blocking(move || {
        let extent = extents.get(index)?;
        store.read_extent(extent, &schema).map_err(|error| DataFusionError::External(Box::new(error)))
    })
    .await
    .map_err(|error| DataFusionError::External(Box::new(error)))?
}

/// Zero-copy slices of at most `rows` rows.
fn slice(batch: RecordBatch, rows: usize) -> Vec<RecordBatch> {
    if batch.num_rows() <= rows {
        return vec![batch];
    }
    (0..batch.num_rows()).step_by(rows).map(|offset| batch.slice(offset, rows.min(batch.num_rows() - offset))).collect()
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::functions_aggregate::expr_fn::{count, max, min};
    use datafusion::prelude::{JoinType, SessionContext, col, lit};

    use super::*;
    use crate::test_support::Fixture;

    /// Proves a scan reports its row count and the optimizer uses it: joining a large table (on
    /// the left) with a small one builds the hash table on the small one.
    #[tokio::test]
    async fn joins_build_on_the_smaller_table() -> DfResult<()> {
        let mut fixture = Fixture::new();
        fixture.append("Large", 1, 1_000_000, None);
        fixture.append("Small", 2, 10, None);
        let table = fixture.tables();

        let context = SessionContext::new();
        let large = context.read_table(table("Large"))?;
        let small = context.read_table(table("Small"))?.select(vec![col("key").alias("small_key")])?;
        let joined = large.join(small, JoinType::Inner, &["key"], &["small_key"], None)?;
        let plan = joined.create_physical_plan().await?;
        let text = displayable(plan.as_ref()).indent(false).to_string();

        let build_side = text.find("rows=10,").expect("the small scan in the plan");
        let probe_side = text.find("rows=1000000,").expect("the large scan in the plan");
        assert!(build_side < probe_side, "the small table should be the build (first) side:\n{text}");
        Ok(())
    }

    /// Proves count, min and max over a whole table come from the extents' metadata: the store
    /// holds no extent bytes, so reading a column would fail. With a filter the scan is read
    /// (and fails here), so the answer cannot be a stale shortcut.
    #[tokio::test]
    async fn whole_table_count_min_max_are_answered_from_metadata() -> DfResult<()> {
        let mut fixture = Fixture::new();
        fixture.append("T", 1, 100, Some((0, 99)));
        fixture.append("T", 2, 50, Some((-7, 150)));
        let table = fixture.tables();
        let context = SessionContext::new();
        let aggregates = vec![count(lit(1_i64)).alias("n"), min(col("key")).alias("low"), max(col("key")).alias("high")];

        let whole = context.read_table(table("T"))?.aggregate(Vec::new(), aggregates.clone())?;
        let plan = whole.clone().create_physical_plan().await?;
        let text = displayable(plan.as_ref()).indent(false).to_string();
        assert!(!text.contains("ExtentScanExec"), "the scan should be answered from metadata:\n{text}");
        let batches = whole.collect().await?;
        let values: Vec<ScalarValue> =
            (0..3).map(|index| ScalarValue::try_from_array(batches[0].column(index), 0)).collect::<DfResult<_>>()?;
        assert_eq!(values, vec![ScalarValue::Int64(Some(150)), ScalarValue::Int64(Some(-7)), ScalarValue::Int64(Some(150))]);

        let filtered = context.read_table(table("T"))?.filter(col("key").gt(lit(10_i64)))?.aggregate(Vec::new(), aggregates)?;
        assert!(filtered.collect().await.is_err(), "a filtered count must read the column");
        Ok(())
    }
}
