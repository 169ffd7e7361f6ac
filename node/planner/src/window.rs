//! Window functions (`prev`, `next`, `row_number`, `row_cumsum`, `row_rank_*`) inside `extend`,
//! `project` and `serialize`: each call becomes a column of a DataFusion `Window` node over the
//! operator's input (innermost calls first, so `row_cumsum(x, name != prev(name))` works), and
//! the expression then reads that column.

use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
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
