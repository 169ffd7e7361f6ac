//! Window functions (`prev`, `next`, `row_number`, `row_cumsum`, `row_rank_*`) inside `extend`,
//! `project` and `serialize`: each call becomes a column of a DataFusion `Window` node over the
//! operator's input (innermost calls first, so `row_cumsum(x, name != prev(name))` works), and
//! the expression then reads that column.

use datafusion::common::Column;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use tarn_kql::ast::{self, ExprKind};

use crate::error::{AtSpan, Result};
use crate::planner::{Planner, column, field_names, project};

const WINDOW_COLUMN_PREFIX: &str = "__tarn_window_";

impl Planner<'_> {
    /// Adds a `Window` node for every window call in `expr` not yet computed; returns the plan.
    pub(crate) fn materialize_windows(&mut self, plan: LogicalPlan, expr: &ast::Expr) -> Result<LogicalPlan> {
        let mut plan = plan;
        match &expr.kind {
            ExprKind::Call { name, args } => {
                for argument in args {
                    plan = self.materialize_windows(plan, argument)?;
                }
                if tarn_functions::is_window_function(&name.name)
                    && self.scope.lookup(&name.name).is_none()
                    && !self.window_columns.contains_key(&expr.span)
                {
                    let mut typed_args = Vec::with_capacity(args.len());
                    for argument in args {
                        typed_args.push(self.plan_scalar(argument, &plan)?);
                    }
                    let (window, _) = tarn_functions::plan_window(&name.name, typed_args).at(expr.span)?;
                    let window = ordered_by_input(window, &plan);
                    let alias = format!("{WINDOW_COLUMN_PREFIX}{}", self.window_columns.len());
                    plan = LogicalPlanBuilder::from(plan).window(vec![window.alias(alias.clone())]).at(expr.span)?.build().at(expr.span)?;
                    self.window_columns.insert(expr.span, alias);
                }
            }
            ExprKind::Unary { operand, .. } => plan = self.materialize_windows(plan, operand)?,
            ExprKind::Binary { left, right, .. } => {
                plan = self.materialize_windows(plan, left)?;
                plan = self.materialize_windows(plan, right)?;
            }
            ExprKind::Member { base, .. } => plan = self.materialize_windows(plan, base)?,
            ExprKind::Index { base, index } => {
                plan = self.materialize_windows(plan, base)?;
                plan = self.materialize_windows(plan, index)?;
            }
            ExprKind::InList { expr: inner, list, .. } => {
                plan = self.materialize_windows(plan, inner)?;
                for element in list {
                    plan = self.materialize_windows(plan, element)?;
                }
            }
            ExprKind::Between { expr: inner, low, high, .. } => {
                plan = self.materialize_windows(plan, inner)?;
                plan = self.materialize_windows(plan, low)?;
                plan = self.materialize_windows(plan, high)?;
            }
            _ => {}
        }
        Ok(plan)
    }
}

/// `window` ordered by the sort its input comes from, when one is still in effect.
///
/// A window function over serialized rows reads them in input order, but DataFusion does not
/// know that: with no `ORDER BY` in the window, its optimizer may drop an earlier `order by` as
/// unneeded (e.g. when a `count` follows), and `prev()` then sees the rows unordered. Naming the
/// sort keys in the window makes the order a requirement DataFusion keeps. The functions evaluate
/// over the whole partition, so the `ORDER BY` changes no frame.
fn ordered_by_input(window: Expr, input: &LogicalPlan) -> Expr {
    let Some(order_by) = input_ordering(input) else {
        return window;
    };
    match window {
        Expr::WindowFunction(mut function) => {
            let WindowFunction { params, .. } = function.as_mut();
            params.order_by = order_by;
            Expr::WindowFunction(function)
        }
        other => other,
    }
}

/// The sort `plan`'s rows come in: the nearest `Sort` below it, through operators that keep row
/// order and pass the sort columns through unchanged (by name). `None` when there is none, or a
/// projection in between rewrites a sort column.
fn input_ordering(plan: &LogicalPlan) -> Option<Vec<SortExpr>> {
    match plan {
        LogicalPlan::Sort(sort) => sort.expr.iter().map(unqualified).collect(),
        LogicalPlan::Filter(filter) => input_ordering(&filter.input),
        LogicalPlan::Window(window) => input_ordering(&window.input),
        LogicalPlan::SubqueryAlias(alias) => input_ordering(&alias.input),
        LogicalPlan::Limit(limit) => input_ordering(&limit.input),
        LogicalPlan::Projection(projection) => {
            let order = input_ordering(&projection.input)?;
            let passes_through = |name: &str| {
                projection.expr.iter().any(|expr| match expr {
                    Expr::Column(column) => column.name == name,
                    Expr::Alias(alias) => alias.name == name && matches!(alias.expr.as_ref(), Expr::Column(column) if column.name == name),
                    _ => false,
                })
            };
            let all_columns_pass = order.iter().all(|sort| {
                let mut columns = sort.expr.column_refs().into_iter();
                columns.all(|column| passes_through(&column.name))
            });
            all_columns_pass.then_some(order)
        }
        _ => None,
    }
}

/// `sort` with its columns unqualified: the window above reads them by name. `None` if it cannot
/// be rewritten.
fn unqualified(sort: &SortExpr) -> Option<SortExpr> {
    let expr = sort
        .expr
        .clone()
        .transform(|expr| match expr {
            Expr::Column(column) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(column.name)))),
            other => Ok(Transformed::no(other)),
        })
        .ok()?
        .data;
    Some(SortExpr { expr, ..sort.clone() })
}

/// Whether `expr` calls a window function anywhere.
pub(crate) fn has_window_call(expr: &ast::Expr) -> bool {
    match &expr.kind {
        ExprKind::Call { name, args } => tarn_functions::is_window_function(&name.name) || args.iter().any(has_window_call),
        ExprKind::Unary { operand, .. } => has_window_call(operand),
        ExprKind::Binary { left, right, .. } => has_window_call(left) || has_window_call(right),
        ExprKind::Member { base, .. } => has_window_call(base),
        ExprKind::Index { base, index } => has_window_call(base) || has_window_call(index),
        ExprKind::InList { expr, list, .. } => has_window_call(expr) || list.iter().any(has_window_call),
        ExprKind::Between { expr, low, high, .. } => has_window_call(expr) || has_window_call(low) || has_window_call(high),
        _ => false,
    }
}

/// `plan` without the window columns added for its expressions.
pub(crate) fn drop_window_columns(plan: LogicalPlan, span: ast::Span) -> Result<LogicalPlan> {
    let names = field_names(&plan);
    if !names.iter().any(|name| name.starts_with(WINDOW_COLUMN_PREFIX)) {
        return Ok(plan);
    }
    let kept: Vec<(Expr, String)> =
        names.into_iter().filter(|name| !name.starts_with(WINDOW_COLUMN_PREFIX)).map(|name| (column(&name), name)).collect();
    project(plan, kept, span)
}
