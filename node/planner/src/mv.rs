//! `mv-expand` and `mv-apply`: one output row per element of dynamic arrays (and per key of
//! property bags), with `with_itemindex`, `limit` and `to typeof(T)`; mv-apply then runs a
//! subquery over each input row's elements on their own.
//!
//! mv-apply is planned without per-row execution: rows are numbered, the elements are expanded
//! with their row number, and each subquery operator is planned so it acts within one row number
//! (summarize groups by it, take/top number rows within it, ...). The result joins back to the
//! numbered input. Operators whose per-row form is not written here are refused by name.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column as DfColumn, JoinType, UnnestOptions};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Cast, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, SortExpr, lit};
use tarn_common::KustoType;
use tarn_functions::TypedExpr;
use tarn_kql::ast::{self, ExprKind, Ident, MvExpandItem, NamedExpr, Operator, OperatorKind, Span};

use crate::error::{AtSpan, PlanError, Result};
use crate::literal;
use crate::naming::natural_name;
use crate::planner::{Planner, column, field_names, field_types, project, unqualify};

const ROW: &str = "__tarn_mv_row";
const INDEX: &str = "__tarn_mv_index";
const WITHIN_ROW: &str = "__tarn_mv_within_row";
const LEFT: &str = "__tarn_mv_left";
const RIGHT: &str = "__tarn_mv_right";

impl Planner<'_> {
    pub(crate) fn plan_mv_expand(
        &mut self,
        input: LogicalPlan,
        items: &[MvExpandItem],
        with_itemindex: Option<&Ident>,
        limit: Option<&ast::Expr>,
        span: Span,
    ) -> Result<LogicalPlan> {
        let limit = match limit {
            Some(expr) => Some(self.row_limit(expr)?),
            None => None,
        };
        self.expand(input, items, with_itemindex.map(|index| index.name.as_str()), limit, span)
    }

    /// A constant row count (`limit`, `take`, `top`) as the i64 the plans compare with.
    fn row_limit(&mut self, expr: &ast::Expr) -> Result<i64> {
        let rows = self.row_count(expr)?;
        i64::try_from(rows).map_err(|_| PlanError::semantic("the row count is too large", expr.span))
    }

    /// Expands `items` of `input`: the expanded columns replace same-named ones in place, new ones
    /// follow the input's columns, then the index column when asked for.
    fn expand(&mut self, input: LogicalPlan, items: &[MvExpandItem], index_name: Option<&str>, limit: Option<i64>, span: Span) -> Result<LogicalPlan> {
        let existing = field_names(&input);
        let mut expanded: Vec<(String, Expr, Option<KustoType>)> = Vec::new();
        for item in items {
            let typed = self.plan_scalar(&item.expr, &input)?;
            let name = expanded_name(item, "mv-expand")?;
            let elements = tarn_functions::dynamic_elements_udf(true).call(vec![typed.expr]);
            expanded.push((name, elements, item.to_type.map(literal::kusto_type)));
        }
        let index_column = match (index_name, limit) {
            (Some(name), _) => Some(name.to_string()),
            (None, Some(_)) => Some(INDEX.to_string()),
            (None, None) => None,
        };
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        for current in &existing {
            match expanded.iter().find(|(name, _, _)| name == current) {
                Some((name, elements, _)) => outputs.push((elements.clone(), name.clone())),
                None if index_column.as_deref() == Some(current.as_str()) => {}
                None => outputs.push((column(current), current.clone())),
            }
        }
        for (name, elements, _) in &expanded {
            if !existing.contains(name) {
                outputs.push((elements.clone(), name.clone()));
            }
        }
        let mut unnested: Vec<String> = expanded.iter().map(|(name, _, _)| name.clone()).collect();
        if let Some(index) = &index_column {
            // 0, 1, ... up to the longest expanded list: unnested beside the lists, in step.
            let lengths: Vec<Expr> = expanded
                .iter()
                .map(|(_, elements, _)| {
                    let length = datafusion::functions_nested::expr_fn::cardinality(elements.clone());
                    Expr::Cast(Cast::new(Box::new(length), DataType::Int64))
                })
                .collect();
            let longest = if lengths.len() == 1 {
                lengths.into_iter().next().unwrap_or_else(|| lit(0i64))
            } else {
                datafusion::functions::expr_fn::greatest(lengths)
            };
            let longest = datafusion::functions::expr_fn::coalesce(vec![longest, lit(0i64)]);
            let positions = datafusion::functions_nested::expr_fn::range(lit(0i64), longest, lit(1i64));
            outputs.push((positions, index.clone()));
            unnested.push(index.clone());
        }
        let listed = project(input, outputs, span)?;
        let columns: Vec<DfColumn> = unnested.iter().map(DfColumn::new_unqualified).collect();
        let options = UnnestOptions::new().with_preserve_nulls(false);
        let mut plan = LogicalPlanBuilder::from(listed).unnest_columns_with_options(columns, options).at(span)?.build().at(span)?;
        plan = unqualify(plan, span)?;
        if let (Some(index), Some(limit)) = (&index_column, limit) {
            plan = LogicalPlanBuilder::from(plan).filter(column(index).lt(lit(limit))).at(span)?.build().at(span)?;
        }
        // `to typeof(T)` converts the expanded dynamic elements; a hidden index is dropped.
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        for (name, data_type) in field_types(&plan) {
            if name == INDEX {
                continue;
            }
            let target = expanded.iter().find(|(expanded_name, _, _)| *expanded_name == name).and_then(|(_, _, target)| *target);
            let expr = match target {
                Some(kusto_type) => tarn_functions::plan_convert(TypedExpr { expr: column(&name), data_type }, kusto_type).at(span)?,
                None => column(&name),
            };
            outputs.push((expr, name));
        }
        project(plan, outputs, span)
    }

    pub(crate) fn plan_mv_apply(
        &mut self,
        input: LogicalPlan,
        items: &[MvExpandItem],
        with_itemindex: Option<&Ident>,
        limit: Option<&ast::Expr>,
        subquery: &[Operator],
        span: Span,
    ) -> Result<LogicalPlan> {
        let limit = match limit {
            Some(expr) => Some(self.row_limit(expr)?),
            None => None,
        };
        let input_names = field_names(&input);
        let numbered = number_rows(input, ROW, Vec::new(), Vec::new(), span)?;

        // The subquery's input: the row number and each item, expanded.
        let mut projected: Vec<(Expr, String)> = vec![(column(ROW), ROW.to_string())];
        let mut renamed_items = Vec::with_capacity(items.len());
        for item in items {
            let typed = self.plan_scalar(&item.expr, &numbered)?;
            let name = expanded_name(item, "mv-apply")?;
            projected.push((typed.expr, name.clone()));
            let ident = Ident { name, span: item.expr.span };
            renamed_items.push(MvExpandItem {
                name: None,
                expr: ast::Expr { kind: ExprKind::Name(ident), span: item.expr.span },
                to_type: item.to_type,
            });
        }
        let sub_input = project(numbered.clone(), projected, span)?;
        let mut plan = self.expand(sub_input, &renamed_items, with_itemindex.map(|index| index.name.as_str()), limit, span)?;
        for operator in subquery {
            plan = self.plan_within_row(plan, operator)?;
        }
        if !field_names(&plan).iter().any(|name| name == ROW) {
            return Err(PlanError::unsupported("mv-apply: this subquery drops the row it applies to", span));
        }

        // Join each row's results back to it.
        let sub_names: Vec<String> = field_names(&plan).into_iter().filter(|name| name != ROW).collect();
        let right = LogicalPlanBuilder::from(plan).alias(RIGHT).at(span)?.build().at(span)?;
        let joined = LogicalPlanBuilder::from(numbered)
            .alias(LEFT)
            .at(span)?
            .join_on(right, JoinType::Inner, vec![qualified(LEFT, ROW).eq(qualified(RIGHT, ROW))])
            .at(span)?
            .build()
            .at(span)?;
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        for name in &input_names {
            if sub_names.contains(name) {
                outputs.push((qualified(RIGHT, name), name.clone()));
            } else {
                outputs.push((qualified(LEFT, name), name.clone()));
            }
        }
        for name in &sub_names {
            if !input_names.contains(name) {
                outputs.push((qualified(RIGHT, name), name.clone()));
            }
        }
        project(joined, outputs, span)
    }

    /// One subquery operator of mv-apply, acting within each value of the row-number column.
    fn plan_within_row(&mut self, input: LogicalPlan, operator: &Operator) -> Result<LogicalPlan> {
        let span = operator.span;
        let row_name = || NamedExpr {
            names: Vec::new(),
            expr: ast::Expr { kind: ExprKind::Name(Ident { name: ROW.to_string(), span }), span },
            span,
        };
        match &operator.kind {
            OperatorKind::Where(_)
            | OperatorKind::Extend(_)
            | OperatorKind::ProjectRename(_)
            | OperatorKind::ProjectReorder(_)
            | OperatorKind::Parse { .. }
            | OperatorKind::ParseKv { .. }
            | OperatorKind::MvExpand { .. }
            | OperatorKind::Serialize(_) => self.plan_operator(input, operator),
            OperatorKind::ProjectAway(_) | OperatorKind::ProjectKeep(_) | OperatorKind::ProjectByNames(_) => {
                let planned = self.plan_operator(input.clone(), operator)?;
                keep_row_column(&input, planned, span)
            }
            OperatorKind::Project(items) => {
                let mut items = items.clone();
                items.push(row_name());
                self.plan_operator(input, &Operator { kind: OperatorKind::Project(items), span })
            }
            OperatorKind::Summarize { aggregates, by } => {
                let mut by = by.clone();
                by.insert(0, row_name());
                self.plan_summarize(input, aggregates, &by, span)
            }
            OperatorKind::Count => {
                let count = NamedExpr {
                    names: vec![Ident { name: "Count".to_string(), span }],
                    expr: ast::Expr {
                        kind: ExprKind::Call { name: Ident { name: "count".to_string(), span }, args: Vec::new() },
                        span,
                    },
                    span,
                };
                self.plan_summarize(input, &[count], &[row_name()], span)
            }
            OperatorKind::Distinct(columns) => {
                let mut columns = columns.clone();
                if columns.is_empty() {
                    return self.plan_operator(input, operator);
                }
                columns.insert(0, row_name().expr);
                self.plan_distinct(input, &columns, span)
            }
            OperatorKind::Take(count) => {
                let rows = self.row_limit(count)?;
                within_row_limit(input, Vec::new(), rows, span)
            }
            OperatorKind::Top { count, by } => {
                let rows = self.row_limit(count)?;
                let sorts = self.sort_exprs(&input, by)?;
                within_row_limit(input, sorts, rows, span)
            }
            OperatorKind::Sort(keys) => {
                let mut sorts = vec![column(ROW).sort(true, false)];
                sorts.extend(self.sort_exprs(&input, keys)?);
                LogicalPlanBuilder::from(input).sort(sorts).at(span)?.build().at(span)
            }
            _ => Err(PlanError::unsupported("this operator is not supported inside mv-apply yet", span)),
        }
    }
}

/// The column an expanded item goes to: its `Name =`, or the expression's natural name.
fn expanded_name(item: &MvExpandItem, operator: &str) -> Result<String> {
    match &item.name {
        Some(ident) => Ok(ident.name.clone()),
        None => natural_name(&item.expr)
            .ok_or_else(|| PlanError::semantic(format!("{operator}: name the expanded expression (Name = expr)"), item.expr.span)),
    }
}

fn qualified(side: &str, name: &str) -> Expr {
    Expr::Column(DfColumn::new(Some(side), name))
}

/// `plan` with a `row_number()` column `name`, numbered within `partition` in `order`.
fn number_rows(plan: LogicalPlan, name: &str, partition: Vec<Expr>, order: Vec<SortExpr>, span: Span) -> Result<LogicalPlan> {
    let names = field_names(&plan);
    let mut window = row_number().partition_by(partition);
    if !order.is_empty() {
        window = window.order_by(order);
    }
    let numbered = window.build().at(span)?.alias(name);
    let windowed = LogicalPlanBuilder::from(plan).window(vec![numbered]).at(span)?.build().at(span)?;
    let mut outputs: Vec<(Expr, String)> = names.iter().map(|existing| (column(existing), existing.clone())).collect();
    outputs.push((Expr::Cast(Cast::new(Box::new(column(name)), DataType::Int64)), name.to_string()));
    project(windowed, outputs, span)
}

/// The first `rows` rows of each row number, in `order` (`take` and `top` inside mv-apply).
fn within_row_limit(input: LogicalPlan, order: Vec<SortExpr>, rows: i64, span: Span) -> Result<LogicalPlan> {
    let names = field_names(&input);
    let numbered = number_rows(input, WITHIN_ROW, vec![column(ROW)], order.clone(), span)?;
    let filtered = LogicalPlanBuilder::from(numbered).filter(column(WITHIN_ROW).lt_eq(lit(rows))).at(span)?;
    let mut sorts = vec![column(ROW).sort(true, false)];
    sorts.extend(order);
    let sorted = if sorts.len() > 1 { filtered.sort(sorts).at(span)? } else { filtered };
    project(sorted.build().at(span)?, names.iter().map(|name| (column(name), name.clone())).collect(), span)
}

/// After an operator that only chooses columns (project-away/-keep/-by-names): the columns it
/// chose, plus the row-number column.
fn keep_row_column(input: &LogicalPlan, planned: LogicalPlan, span: Span) -> Result<LogicalPlan> {
    let mut names = field_names(&planned);
    if names.iter().any(|name| name == ROW) {
        return Ok(planned);
    }
    names.push(ROW.to_string());
    project(input.clone(), names.into_iter().map(|name| (column(&name), name)).collect(), span)
}
