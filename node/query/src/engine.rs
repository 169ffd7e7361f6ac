//! DataFusion session settings for KQL queries, and plan execution.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::ScalarValue;
use datafusion::error::Result as DfResult;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::logical_expr::{Expr, LogicalPlan, Subquery};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};

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
        let plan = evaluate_scalar_subqueries(&context, plan).await?;
        let frame = context.execute_logical_plan(plan).await?;
        frame.execute_stream().await
    }
}

/// Runs every `toscalar()` of the plan first and puts its value in as a literal, as Kusto does.
///
/// Left to DataFusion, an uncorrelated scalar subquery becomes a cross join that is evaluated
/// alongside the outer query, so a filter such as `ts > toscalar(T | summarize max(ts)) - 1h`
/// reaches the table scan as a join, not as a bound, and prunes no extents: TSBS's
/// stationary-trucks query took 231 ms that way and 7.5 ms with the bound written as a literal.
/// Subqueries inside a subquery are evaluated when that subquery is; one used twice (a `let`
/// bound to `toscalar()` and referenced twice) runs once.
fn evaluate_scalar_subqueries<'a>(context: &'a SessionContext, plan: LogicalPlan) -> BoxFuture<'a, DfResult<LogicalPlan>> {
    async move {
        let mut subqueries: Vec<Subquery> = Vec::new();
        plan.apply(|node| {
            node.apply_expressions(|expr| {
                expr.apply(|inner| {
                    if let Expr::ScalarSubquery(subquery) = inner {
                        if subquery.outer_ref_columns.is_empty() && !subqueries.contains(subquery) {
                            subqueries.push(subquery.clone());
                        }
                        return Ok(TreeNodeRecursion::Jump);
                    }
                    Ok(TreeNodeRecursion::Continue)
                })
            })
        })?;
        if subqueries.is_empty() {
            return Ok(plan);
        }
        let mut values: HashMap<Subquery, ScalarValue> = HashMap::with_capacity(subqueries.len());
        for subquery in subqueries {
            let inner = evaluate_scalar_subqueries(context, subquery.subquery.as_ref().clone()).await?;
            let value = first_value(context, inner).await?;
            values.insert(subquery, value);
        }
        let rewritten = plan.transform_up(|node| {
            node.map_expressions(|expr| {
                expr.transform_up(|inner| match inner {
                    Expr::ScalarSubquery(subquery) => match values.get(&subquery) {
                        Some(value) => Ok(Transformed::yes(Expr::Literal(value.clone(), None))),
                        None => Ok(Transformed::no(Expr::ScalarSubquery(subquery))),
                    },
                    other => Ok(Transformed::no(other)),
                })
            })
        })?;
        Ok(rewritten.data)
    }
    .boxed()
}

/// The first column of the first row, or a null of that column's type when there are no rows
/// (Kusto's `toscalar()` on an empty table).
async fn first_value(context: &SessionContext, plan: LogicalPlan) -> DfResult<ScalarValue> {
    let data_type = match plan.schema().fields().first() {
        Some(field) => field.data_type().clone(),
        None => return Ok(ScalarValue::Null),
    };
    let mut stream = context.execute_logical_plan(plan).await?.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if batch.num_rows() > 0 && batch.num_columns() > 0 {
            return ScalarValue::try_from_array(batch.column(0), 0);
        }
    }
    ScalarValue::try_from(&data_type)
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{LogicalPlanBuilder, Subquery, lit};
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::col;

    use super::*;
    use crate::test_support::Fixture;

    /// `SELECT bound` as a scalar subquery over an in-memory row (or no row).
    fn scalar(bound: Option<i64>) -> DfResult<Expr> {
        let values = LogicalPlanBuilder::values(vec![vec![lit(bound.unwrap_or(0)).alias("bound")]])?;
        let values = match bound {
            Some(_) => values,
            None => values.filter(lit(false))?,
        };
        let plan = values.build()?;
        Ok(Expr::ScalarSubquery(Subquery { subquery: Arc::new(plan), outer_ref_columns: Vec::new(), spans: Default::default() }))
    }

    async fn physical_text(context: &SessionContext, plan: LogicalPlan) -> DfResult<String> {
        let plan = context.state().create_physical_plan(&plan).await?;
        Ok(displayable(plan.as_ref()).indent(false).to_string())
    }

    /// Proves a `toscalar()` bound prunes extents once it is evaluated first: of two extents with
    /// keys 0..=99 and 100..=199, `key > toscalar(150)` keeps only the second. Left to DataFusion
    /// the bound is a join and both extents are read.
    #[tokio::test]
    async fn a_scalar_subquery_bound_prunes_extents() -> DfResult<()> {
        let mut fixture = Fixture::new();
        fixture.append("T", 1, 100, Some((0, 99)));
        fixture.append("T", 2, 100, Some((100, 199)));
        let table = fixture.tables();
        let context = SessionContext::new();
        let plan = context.read_table(table("T"))?.filter(col("key").gt(scalar(Some(150))?))?.into_unoptimized_plan();

        let unevaluated = physical_text(&context, plan.clone()).await?;
        assert!(unevaluated.contains("rows=200,"), "without evaluation both extents are scanned:\n{unevaluated}");
        let evaluated = evaluate_scalar_subqueries(&context, plan).await?;
        let text = physical_text(&context, evaluated).await?;
        assert!(text.contains("rows=100,"), "only the extent with keys above 150 should be scanned:\n{text}");
        assert!(!text.contains("rows=200,"), "{text}");
        Ok(())
    }

    /// Kusto's `toscalar()` of an empty table is null; of several rows, the first; a subquery
    /// inside a subquery is evaluated too.
    #[tokio::test]
    async fn scalar_subqueries_take_the_first_value_or_null() -> DfResult<()> {
        let context = SessionContext::new();
        let empty = LogicalPlanBuilder::empty(true).project(vec![scalar(None)?.alias("value")])?.build()?;
        let evaluated = evaluate_scalar_subqueries(&context, empty).await?;
        let batches = context.execute_logical_plan(evaluated).await?.collect().await?;
        assert_eq!(ScalarValue::try_from_array(batches[0].column(0), 0)?, ScalarValue::Int64(None));

        let rows = LogicalPlanBuilder::values(vec![vec![lit(7_i64)], vec![lit(8_i64)]])?.build()?;
        let several = Expr::ScalarSubquery(Subquery { subquery: Arc::new(rows), outer_ref_columns: Vec::new(), spans: Default::default() });
        let nested = LogicalPlanBuilder::empty(true).project(vec![(several + lit(1_i64)).alias("value")])?.build()?;
        let outer_subquery = Expr::ScalarSubquery(Subquery { subquery: Arc::new(nested), outer_ref_columns: Vec::new(), spans: Default::default() });
        let outer = LogicalPlanBuilder::empty(true).project(vec![outer_subquery.alias("value")])?.build()?;
        let evaluated = evaluate_scalar_subqueries(&context, outer).await?;
        let mut subqueries_left = 0;
        evaluated.apply_expressions(|expr| {
            expr.apply(|inner| {
                subqueries_left += usize::from(matches!(inner, Expr::ScalarSubquery(_)));
                Ok(TreeNodeRecursion::Continue)
            })
        })?;
        assert_eq!(subqueries_left, 0, "{evaluated}");
        let batches = context.execute_logical_plan(evaluated).await?.collect().await?;
        assert_eq!(ScalarValue::try_from_array(batches[0].column(0), 0)?, ScalarValue::Int64(Some(8)));
        Ok(())
    }
}
