//! [`ExtentTable`]: a table as of one catalog snapshot, read by DataFusion.
//!
//! `scan` keeps the extents whose metadata could match the pushed-down filters, spreads them over
//! the session's partitions, and each partition reads its extents one at a time on the blocking
//! pool, projected to the columns the query uses, yielding batches of the session's batch size.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatchOptions;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use futures::StreamExt;
use tarn_common::ExtentMeta;
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
        let kept: Vec<ExtentMeta> =
            self.extents().iter().filter(|extent| pruning::may_match(extent, filters)).cloned().collect();
        let partition_count = state.config().target_partitions().clamp(1, kept.len().max(1));
        let mut assignments: Vec<Vec<ExtentMeta>> = vec![Vec::new(); partition_count];
        for (index, extent) in kept.into_iter().enumerate() {
            assignments[index % partition_count].push(extent);
        }
        let batch_rows = state.config().batch_size().max(1);
        let partitions: Vec<Arc<dyn PartitionStream>> = assignments
            .into_iter()
            .map(|extents| {
                Arc::new(ExtentPartition {
                    schema: Arc::clone(&projected),
                    extents: Arc::new(extents),
                    store: Arc::clone(&self.store),
                    pin: Arc::clone(&self.pin),
                    batch_rows,
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        let exec = StreamingTableExec::try_new(projected, partitions, None, Vec::new(), false, limit)?;
        Ok(Arc::new(exec))
    }
}

struct ExtentPartition {
    schema: SchemaRef,
    extents: Arc<Vec<ExtentMeta>>,
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
        let extents: Vec<ExtentMeta> = self.extents.as_ref().clone();
        let reads = futures::stream::iter(extents).then(move |extent| {
            let schema = Arc::clone(&schema);
            let store = Arc::clone(&store);
            let _pin = Arc::clone(&pin);
            async move { read_extent(store, extent, schema).await }
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

async fn read_extent(store: Arc<ExtentStore>, extent: ExtentMeta, schema: SchemaRef) -> DfResult<RecordBatch> {
    if schema.fields().is_empty() {
        // `count()` and friends need rows, not columns: no bytes to read.
        let rows = usize::try_from(extent.row_count).map_err(|error| DataFusionError::External(Box::new(error)))?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        return Ok(RecordBatch::try_new_with_options(schema, Vec::new(), &options)?);
    }
    tokio::task::spawn_blocking(move || store.read_extent(&extent, &schema))
        .await
        .map_err(|error| DataFusionError::External(Box::new(error)))?
        .map_err(|error| DataFusionError::External(Box::new(error)))
}

/// Zero-copy slices of at most `rows` rows.
fn slice(batch: RecordBatch, rows: usize) -> Vec<RecordBatch> {
    if batch.num_rows() <= rows {
        return vec![batch];
    }
    (0..batch.num_rows()).step_by(rows).map(|offset| batch.slice(offset, rows.min(batch.num_rows() - offset))).collect()
}
