//! DataFusion session settings for KQL queries, and plan execution.

use std::sync::Arc;

use datafusion::error::Result as DfResult;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::prelude::{SessionConfig, SessionContext};

#[derive(Debug, Clone)]
pub struct QueryEngineOptions {
    /// Partitions (threads of work) per query; defaults to the machine's cores.
    pub target_partitions: usize,
    pub batch_rows: usize,
    /// Memory one node's queries may hold in DataFusion's pool before failing.
    pub memory_bytes_max: usize,
}

impl Default for QueryEngineOptions {
    fn default() -> QueryEngineOptions {
        QueryEngineOptions {
            target_partitions: std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(2),
            batch_rows: 8192,
            memory_bytes_max: tarn_common::limits::QUERY_MEMORY_BYTES_MAX,
        }
    }
}

pub struct QueryEngine {
    config: SessionConfig,
    runtime: Arc<RuntimeEnv>,
}

impl QueryEngine {
    pub fn new(options: &QueryEngineOptions) -> DfResult<QueryEngine> {
        let config = SessionConfig::new()
            .with_target_partitions(options.target_partitions.max(1))
            .with_batch_size(options.batch_rows.max(1))
            .with_information_schema(false)
            // `range`, `datatable` and `print` are in-memory sources whose row order is part of
            // the answer (`serialize`, `row_number()`); DataFusion would otherwise split them
            // into partitions by batch size. Extent scans partition themselves (table.rs).
            .with_repartition_file_scans(false);
        let runtime = RuntimeEnvBuilder::new().with_memory_limit(options.memory_bytes_max, 1.0).build_arc()?;
        Ok(QueryEngine { config, runtime })
    }

    /// Optimizes and starts executing a plan; the stream yields the result batches.
    pub async fn execute(&self, plan: LogicalPlan) -> DfResult<SendableRecordBatchStream> {
        let context = SessionContext::new_with_config_rt(self.config.clone(), Arc::clone(&self.runtime));
        let frame = context.execute_logical_plan(plan).await?;
        frame.execute_stream().await
    }
}
