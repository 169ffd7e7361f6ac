//! `join` and `lookup`: Kusto's nine join kinds (default `innerunique`), `$left`/`$right`
//! conditions, and Kusto's output columns (right-side names that clash get a number: `id1`).

use datafusion::common::{Column as DfColumn, JoinType};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, lit};
use tarn_kql::ast::{self, ExprKind, JoinKind, JoinOn, Span};

use crate::error::{AtSpan, PlanError, Result};
use crate::naming::unique_name;
use crate::planner::{Planner, column, field_names, project};

const LEFT: &str = "__tarn_left";
const RIGHT: &str = "__tarn_right";
const ROW_NUMBER: &str = "__tarn_row_number";

impl Planner<'_> {
    pub(crate) fn plan_join(&mut self, left: LogicalPlan, kind: Option<JoinKind>, right: &ast::Expr, on: &[JoinOn], span: Span) -> Result<LogicalPlan> {
        let right_plan = self.plan_tabular(right)?;
        let keys = join_keys(&left, &right_plan, on, span)?;
        let kind = kind.unwrap_or(JoinKind::InnerUnique);
        let left = if kind == JoinKind::InnerUnique {
            deduplicate_by_keys(left, keys.iter().map(|(left_key, _)| left_key.as_str()).collect(), span)?
        } else {
            left
        };
        let join_type = match kind {
            JoinKind::InnerUnique | JoinKind::Inner => JoinType::Inner,
            JoinKind::LeftOuter => JoinType::Left,
            JoinKind::RightOuter => JoinType::Right,
            JoinKind::FullOuter => JoinType::Full,
            JoinKind::LeftSemi => JoinType::LeftSemi,
            JoinKind::RightSemi => JoinType::RightSemi,
            JoinKind::LeftAnti => JoinType::LeftAnti,
            JoinKind::RightAnti => JoinType::RightAnti,
        };
        let left_names = field_names(&left);
        let right_names = field_names(&right_plan);
        let joined = join_plans(left, right_plan, join_type, &keys, span)?;
        let outputs: Vec<(Expr, String)> = match join_type {
            JoinType::LeftSemi | JoinType::LeftAnti => side_columns(LEFT, &left_names),
            JoinType::RightSemi | JoinType::RightAnti => side_columns(RIGHT, &right_names),
            _ => {
                let mut outputs = side_columns(LEFT, &left_names);
                let mut taken = left_names.clone();
                for name in &right_names {
                    let output_name = unique_name(name, &taken);
                    taken.push(output_name.clone());
                    outputs.push((qualified(RIGHT, name), output_name));
                }
                outputs
            }
        };
        project(joined, outputs, span)
    }

    /// `lookup`: a left-outer (default) or inner join that adds the right side's non-key columns.
    pub(crate) fn plan_lookup(&mut self, left: LogicalPlan, left_outer: bool, right: &ast::Expr, on: &[JoinOn], span: Span) -> Result<LogicalPlan> {
        let right_plan = self.plan_tabular(right)?;
        let keys = join_keys(&left, &right_plan, on, span)?;
        let left_names = field_names(&left);
        let right_names = field_names(&right_plan);
        let join_type = if left_outer { JoinType::Left } else { JoinType::Inner };
        let joined = join_plans(left, right_plan, join_type, &keys, span)?;
        let mut outputs = side_columns(LEFT, &left_names);
        let mut taken = left_names.clone();
        for name in &right_names {
            if keys.iter().any(|(_, right_key)| right_key == name) {
                continue;
            }
            let output_name = unique_name(name, &taken);
            taken.push(output_name.clone());
            outputs.push((qualified(RIGHT, name), output_name));
        }
        project(joined, outputs, span)
    }
}

fn qualified(side: &str, name: &str) -> Expr {
    Expr::Column(DfColumn::new(Some(side), name))
}

fn side_columns(side: &str, names: &[String]) -> Vec<(Expr, String)> {
    names.iter().map(|name| (qualified(side, name), name.clone())).collect()
}

fn join_plans(left: LogicalPlan, right: LogicalPlan, join_type: JoinType, keys: &[(String, String)], span: Span) -> Result<LogicalPlan> {
    let right = LogicalPlanBuilder::from(right).alias(RIGHT).at(span)?.build().at(span)?;
    let conditions: Vec<Expr> = keys
        .iter()
        .map(|(left_key, right_key)| qualified(LEFT, left_key).eq(qualified(RIGHT, right_key)))
        .collect();
    LogicalPlanBuilder::from(left)
        .alias(LEFT)
        .at(span)?
        .join_on(right, join_type, conditions)
        .at(span)?
        .build()
        .at(span)
}

/// The (left column, right column) pairs of the `on` clause.
fn join_keys(left: &LogicalPlan, right: &LogicalPlan, on: &[JoinOn], span: Span) -> Result<Vec<(String, String)>> {
    if on.is_empty() {
        return Err(PlanError::semantic("join: the 'on' clause needs at least one column", span));
    }
    let left_names = field_names(left);
    let right_names = field_names(right);
    let check = |names: &[String], name: &str, side: &str, key_span: Span| -> Result<()> {
        if names.iter().any(|existing| existing == name) {
            Ok(())
        } else {
            Err(PlanError::semantic(
                format!("join: Failed to resolve column named '{name}' on the {side} side"),
                key_span,
            ))
        }
    };
    let mut keys = Vec::with_capacity(on.len());
    for condition in on {
        match condition {
            JoinOn::Column(ident) => {
                check(&left_names, &ident.name, "left", ident.span)?;
                check(&right_names, &ident.name, "right", ident.span)?;
                keys.push((ident.name.clone(), ident.name.clone()));
            }
            JoinOn::Equal { left: first, right: second } => {
                let (first_side, first_name) = side_member(first)?;
                let (second_side, second_name) = side_member(second)?;
                let (left_key, right_key) = match (first_side.as_str(), second_side.as_str()) {
                    ("$left", "$right") => (first_name, second_name),
                    ("$right", "$left") => (second_name, first_name),
                    _ => {
                        return Err(PlanError::semantic("join: conditions compare $left.column with $right.column", first.span.to(second.span)));
                    }
                };
                check(&left_names, &left_key, "left", first.span)?;
                check(&right_names, &right_key, "right", second.span)?;
                keys.push((left_key, right_key));
            }
        }
    }
    Ok(keys)
}

/// `$left.name` → ("$left", "name").
fn side_member(expr: &ast::Expr) -> Result<(String, String)> {
    if let ExprKind::Member { base, name } = &expr.kind
        && let ExprKind::Name(side) = &base.kind
        && (side.name == "$left" || side.name == "$right")
    {
        return Ok((side.name.clone(), name.name.clone()));
    }
    Err(PlanError::semantic("join: expected $left.column or $right.column", expr.span))
}

/// Keeps one row per key (Kusto's `innerunique` deduplicates the left side before joining).
fn deduplicate_by_keys(plan: LogicalPlan, keys: Vec<&str>, span: Span) -> Result<LogicalPlan> {
    let names = field_names(&plan);
    let numbered = row_number()
        .partition_by(keys.into_iter().map(column).collect())
        .build()
        .at(span)?
        .alias(ROW_NUMBER);
    let windowed = LogicalPlanBuilder::from(plan).window(vec![numbered]).at(span)?.build().at(span)?;
    let filtered = LogicalPlanBuilder::from(windowed)
        .filter(column(ROW_NUMBER).eq(lit(1u64)))
        .at(span)?
        .build()
        .at(span)?;
    project(filtered, names.iter().map(|name| (column(name), name.clone())).collect(), span)
}
