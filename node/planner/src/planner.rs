//! The planner's state, shared by the statement, source, operator and expression modules.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column as DfColumn;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder};
use tarn_functions::{FunctionContext, TypedExpr};
use tarn_kql::ast::Span;

use crate::error::{AtSpan, PlanError, Result};
use crate::scope::Scope;
use crate::{TableCatalog, Visualization};

/// How deep user functions may call each other (recursion is not KQL, but a query can try).
pub(crate) const FUNCTION_INLINE_DEPTH_MAX: usize = 64;

pub struct Planner<'a> {
    pub(crate) catalog: &'a dyn TableCatalog,
    pub(crate) functions: FunctionContext,
    pub(crate) parameters: &'a BTreeMap<String, String>,
    pub(crate) scope: Scope,
    pub(crate) inline_depth: usize,
    /// While planning `summarize` output expressions: aggregate calls (by span) already planned
    /// below, and the column that holds each one's value.
    pub(crate) aggregate_columns: Option<HashMap<Span, String>>,
    /// Window function calls (by span) already computed by a `Window` node below the expression
    /// being planned, and the column that holds each one's value.
    pub(crate) window_columns: HashMap<Span, String>,
    pub(crate) visualization: Option<Visualization>,
}

impl<'a> Planner<'a> {
    pub(crate) fn new(
        catalog: &'a dyn TableCatalog,
        now_nanos: i64,
        parameters: &'a BTreeMap<String, String>,
    ) -> Planner<'a> {
        Planner {
            catalog,
            functions: FunctionContext { now_nanos },
            parameters,
            scope: Scope::new(),
            inline_depth: 0,
            aggregate_columns: None,
            window_columns: HashMap::new(),
            visualization: None,
        }
    }
}

/// An unqualified column reference. KQL names are never qualified, and `col("a.b")` would split
/// on the dot.
pub(crate) fn column(name: &str) -> Expr {
    Expr::Column(DfColumn::new_unqualified(name))
}

pub(crate) fn field_names(plan: &LogicalPlan) -> Vec<String> {
    plan.schema().fields().iter().map(|field| field.name().clone()).collect()
}

pub(crate) fn field_types(plan: &LogicalPlan) -> Vec<(String, DataType)> {
    plan.schema().fields().iter().map(|field| (field.name().clone(), field.data_type().clone())).collect()
}

/// A column of `plan` with its type, when it exists.
pub(crate) fn typed_column(plan: &LogicalPlan, name: &str) -> Option<TypedExpr> {
    let field = plan.schema().fields().iter().find(|field| field.name() == name)?;
    Some(TypedExpr { expr: column(name), data_type: field.data_type().clone() })
}

/// The Arrow type of an expression over `plan`'s output.
pub(crate) fn expr_type(expr: &Expr, plan: &LogicalPlan, span: Span) -> Result<DataType> {
    expr.get_type(plan.schema()).at(span)
}

/// Projects `(expression, output name)` pairs. Names are made unique by the caller.
pub(crate) fn project(plan: LogicalPlan, columns: Vec<(Expr, String)>, span: Span) -> Result<LogicalPlan> {
    let exprs: Vec<Expr> = columns.into_iter().map(|(expr, name)| expr.alias(name)).collect();
    LogicalPlanBuilder::from(plan).project(exprs).at(span)?.build().at(span)
}

/// Re-projects every column under its bare name, dropping table qualifiers (after scans, joins).
pub(crate) fn unqualify(plan: LogicalPlan, span: Span) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    let needs = schema.iter().any(|(qualifier, _)| qualifier.is_some());
    if !needs {
        return Ok(plan);
    }
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(qualifier, field)| {
            Expr::Column(DfColumn::new(qualifier.cloned(), field.name())).alias(field.name())
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs).at(span)?.build().at(span)
}

pub(crate) fn unknown_column(name: &str, operator: &str, span: Span) -> PlanError {
    PlanError::semantic(
        format!("'{operator}' operator: Failed to resolve scalar expression named '{name}'"),
        span,
    )
}
