//! tarn-planner: KQL syntax tree → DataFusion `LogicalPlan`, with Kusto's semantics.
//!
//! Owns: name resolution (columns, `let` bindings, query parameters, tables through the
//! [`TableCatalog`] trait), the meaning of every tabular operator (what columns it outputs, in which
//! order and under which names: `count_`, `sum_x`, `Column1`, `x1` for join clashes), statement
//! handling (`let`, `set`, `declare query_parameters`), and semantic diagnostics with positions.
//!
//! Does not own: parsing (`tarn-kql`), the semantics of individual functions and operators on values
//! (`tarn-functions`, which this crate calls for every call and KQL-specific operator), or where table
//! data comes from (a `TableCatalog` hands out DataFusion `TableProvider`s; `tarn-query` implements it
//! over extents).
//!
//! Layout:
//! - `error`: [`PlanError`] and its Kusto rendering (`Semantic error: SEM0100: ... [line:position=L:C]`).
//! - `scope`: `let` bindings (scalar expressions, tabular plans, functions), lexically nested.
//! - `planner`: the [`Planner`] state shared by the modules below.
//! - `statement`: statements and results.
//! - `source`: tabular sources (tables, `datatable`, `range`, `print`, `union`, function calls).
//! - `operator`: the operators after `|`.
//! - `summarize`: `summarize`, `count`, `distinct`, `top`-related aggregation planning.
//! - `join`: `join` and `lookup` with Kusto's kinds and column naming.
//! - `expr`: scalar expressions.
//! - `literal`: literals to Arrow scalars.
//! - `naming`: Kusto's rules for naming unnamed output columns.

mod error;
mod expr;
mod join;
mod literal;
mod mv;
mod naming;
mod operator;
mod planner;
mod scope;
mod source;
mod statement;
mod summarize;
mod window;

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::logical_expr::LogicalPlan;
use tarn_common::Column;

pub use error::{PlanError, Result};
pub use planner::Planner;
pub use statement::plan_query;

/// The tables a query can see: the current database's, as of a metadata snapshot.
pub trait TableCatalog: Send + Sync {
    fn table(&self, name: &str) -> Option<ResolvedTable>;
    fn table_names(&self) -> Vec<String>;
}

pub struct ResolvedTable {
    pub name: String,
    pub columns: Vec<Column>,
    pub provider: Arc<dyn TableProvider>,
}

/// Everything a query is planned against besides its text.
pub struct PlanContext<'a> {
    pub catalog: &'a dyn TableCatalog,
    /// `now()` for this query (ns since epoch): the request's `query_now`, else the clock at start.
    pub now_nanos: i64,
    /// Request parameters (`properties.Parameters`), values as sent.
    pub parameters: &'a BTreeMap<String, String>,
}

/// What a query produces: its result tables and the options its `set` statements asked for.
pub struct PlannedQuery {
    pub results: Vec<PlannedResult>,
    /// `set name = value` statements, lowercased names, values as text (`true` when no value).
    pub options: Vec<(String, String)>,
}

pub struct PlannedResult {
    pub plan: LogicalPlan,
    /// From a final `render` operator, for clients that draw charts (Kqlmagic).
    pub visualization: Option<Visualization>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Visualization {
    pub chart: String,
    pub properties: Vec<(String, String)>,
}
