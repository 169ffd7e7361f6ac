//! `summarize`, `count` and `distinct`: grouping and aggregation with Kusto's output shape
//! (group keys first, then aggregates, named `count_`, `sum_x`, ...).

use std::collections::HashMap;

use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use tarn_functions::TypedExpr;
use tarn_kql::ast::{self, ExprKind, NamedExpr, Span};

use crate::error::{AtSpan, PlanError, Result};
use crate::naming::{aggregate_name, natural_name, unique_name};
use crate::operator::next_column_name;
use crate::planner::{Planner, column, expr_type, field_names, project};

/// One output column of `summarize` after the aggregation: either an aggregate's value directly or
/// an expression over aggregate values.
enum Output {
    Column { alias: String, name: String },
    Expression { expr: ast::Expr, name: String },
}

impl Planner<'_> {
    pub(crate) fn plan_summarize(&mut self, input: LogicalPlan, aggregates: &[NamedExpr], by: &[NamedExpr], span: Span) -> Result<LogicalPlan> {
        let mut names: Vec<String> = Vec::new();
        let mut group_exprs: Vec<Expr> = Vec::new();
        for key in by {
            let typed = self.plan_scalar(&key.expr, &input)?;
            let name = match key.names.first() {
                Some(ident) => ident.name.clone(),
                None => natural_name(&key.expr).unwrap_or_else(|| next_column_name(&names)),
            };
            let name = unique_name(&name, &names);
            names.push(name.clone());
            group_exprs.push(typed.expr.alias(name));
        }
        let group_names = names.clone();

        let mut aggregate_exprs: Vec<Expr> = Vec::new();
        let mut outputs: Vec<Output> = Vec::new();
        let mut aggregate_columns: HashMap<Span, String> = HashMap::new();
        for item in aggregates {
            if let ExprKind::Call { name: function, args } = &item.expr.kind {
                match function.name.as_str() {
                    "arg_max" | "arg_min" => {
                        self.plan_arg_extreme(&input, function.name == "arg_max", args, item, &mut names, &mut aggregate_exprs, &mut outputs)?;
                        continue;
                    }
                    "percentiles" | "percentile" => {
                        self.plan_percentiles(&input, args, item, &mut names, &mut aggregate_exprs, &mut outputs)?;
                        continue;
                    }
                    _ => {}
                }
            }
            if let ExprKind::Call { name: function, .. } = &item.expr.kind
                && !tarn_functions::is_aggregate_function(&function.name)
                && !tarn_functions::is_scalar_function(&function.name)
                && self.scope.lookup(&function.name).is_none()
            {
                return Err(PlanError::semantic(format!("summarize: unknown aggregation function '{}'", function.name), function.span));
            }
            self.collect_aggregates(&item.expr, &input, &mut aggregate_exprs, &mut aggregate_columns)?;
            let name = match (item.names.first(), &item.expr.kind) {
                (Some(ident), _) => ident.name.clone(),
                (None, ExprKind::Call { name, args }) if aggregate_columns.contains_key(&item.expr.span) => {
                    aggregate_name(&name.name, args)
                }
                _ => next_column_name(&names),
            };
            let name = unique_name(&name, &names);
            names.push(name.clone());
            match aggregate_columns.get(&item.expr.span) {
                Some(alias) => outputs.push(Output::Column { alias: alias.clone(), name }),
                None => outputs.push(Output::Expression { expr: item.expr.clone(), name }),
            }
        }
        if group_exprs.is_empty() && aggregate_exprs.is_empty() {
            return Err(PlanError::semantic("summarize needs an aggregate or a 'by' column", span));
        }
        let aggregated = LogicalPlanBuilder::from(input)
            .aggregate(group_exprs, aggregate_exprs)
            .at(span)?
            .build()
            .at(span)?;

        let mut final_columns: Vec<(Expr, String)> = group_names.iter().map(|name| (column(name), name.clone())).collect();
        let saved = self.aggregate_columns.replace(aggregate_columns);
        let mut result = Ok(());
        for output in outputs {
            match output {
                Output::Column { alias, name } => final_columns.push((column(&alias), name)),
                Output::Expression { expr, name } => match self.plan_scalar(&expr, &aggregated) {
                    Ok(typed) => final_columns.push((typed.expr, name)),
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                },
            }
        }
        self.aggregate_columns = saved;
        result?;
        project(aggregated, final_columns, span)
    }

    /// Plans every aggregate call inside `expr` (not nested in another aggregate) against the input
    /// and remembers, by the call's span, the column that will hold its value.
    fn collect_aggregates(
        &mut self,
        expr: &ast::Expr,
        input: &LogicalPlan,
        aggregate_exprs: &mut Vec<Expr>,
        aggregate_columns: &mut HashMap<Span, String>,
    ) -> Result<()> {
        match &expr.kind {
            ExprKind::Call { name, args } if tarn_functions::is_aggregate_function(&name.name) => {
                let mut typed_args = Vec::with_capacity(args.len());
                for argument in args {
                    if matches!(argument.kind, ExprKind::Star) {
                        return Err(PlanError::unsupported(format!("'{}(*)' is not supported", name.name), argument.span));
                    }
                    typed_args.push(self.plan_scalar(argument, input)?);
                }
                let aggregate = tarn_functions::plan_aggregate(&name.name, typed_args).at(expr.span)?;
                let alias = format!("__tarn_agg_{}", aggregate_exprs.len());
                aggregate_exprs.push(aggregate.alias(alias.clone()));
                aggregate_columns.insert(expr.span, alias);
                Ok(())
            }
            ExprKind::Call { args, .. } => {
                for argument in args {
                    self.collect_aggregates(argument, input, aggregate_exprs, aggregate_columns)?;
                }
                Ok(())
            }
            ExprKind::Unary { operand, .. } => self.collect_aggregates(operand, input, aggregate_exprs, aggregate_columns),
            ExprKind::Binary { left, right, .. } => {
                self.collect_aggregates(left, input, aggregate_exprs, aggregate_columns)?;
                self.collect_aggregates(right, input, aggregate_exprs, aggregate_columns)
            }
            ExprKind::Member { base, .. } => self.collect_aggregates(base, input, aggregate_exprs, aggregate_columns),
            ExprKind::Index { base, index } => {
                self.collect_aggregates(base, input, aggregate_exprs, aggregate_columns)?;
                self.collect_aggregates(index, input, aggregate_exprs, aggregate_columns)
            }
            ExprKind::InList { expr: inner, list, .. } => {
                self.collect_aggregates(inner, input, aggregate_exprs, aggregate_columns)?;
                for element in list {
                    self.collect_aggregates(element, input, aggregate_exprs, aggregate_columns)?;
                }
                Ok(())
            }
            ExprKind::Between { expr: inner, low, high, .. } => {
                self.collect_aggregates(inner, input, aggregate_exprs, aggregate_columns)?;
                self.collect_aggregates(low, input, aggregate_exprs, aggregate_columns)?;
                self.collect_aggregates(high, input, aggregate_exprs, aggregate_columns)
            }
            _ => Ok(()),
        }
    }

    /// `arg_max(by, col1, col2 | *)`: the `by` column, then each returned column.
    #[allow(clippy::too_many_arguments)]
    fn plan_arg_extreme(
        &mut self,
        input: &LogicalPlan,
        max: bool,
        args: &[ast::Expr],
        item: &NamedExpr,
        names: &mut Vec<String>,
        aggregate_exprs: &mut Vec<Expr>,
        outputs: &mut Vec<Output>,
    ) -> Result<()> {
        let Some((by_expr, returned)) = args.split_first() else {
            return Err(PlanError::semantic("arg_max/arg_min expect the expression to maximize and the columns to return", item.span));
        };
        let by = self.plan_scalar(by_expr, input)?;
        let by_name = natural_name(by_expr).unwrap_or_else(|| next_column_name(names));
        let mut returned_values: Vec<(String, TypedExpr)> = Vec::new();
        for expr in returned {
            if matches!(expr.kind, ExprKind::Star) {
                for name in field_names(input) {
                    // `*` is every other column: not the maximized one, not the `by` keys.
                    if name == by_name || names.contains(&name) || returned_values.iter().any(|(existing, _)| *existing == name) {
                        continue;
                    }
                    let data_type = expr_type(&column(&name), input, expr.span)?;
                    returned_values.push((name.clone(), TypedExpr { expr: column(&name), data_type }));
                }
            } else {
                let typed = self.plan_scalar(expr, input)?;
                let name = natural_name(expr).unwrap_or_else(|| next_column_name(names));
                returned_values.push((name, typed));
            }
        }
        let mut all = vec![(by_name, by.clone())];
        all.extend(returned_values);
        for (index, (default_name, value)) in all.into_iter().enumerate() {
            let name = item.names.get(index).map(|ident| ident.name.clone()).unwrap_or(default_name);
            let name = unique_name(&name, names);
            names.push(name.clone());
            let aggregate = tarn_functions::plan_arg_extreme(max, by.clone(), value).at(item.span)?;
            let alias = format!("__tarn_agg_{}", aggregate_exprs.len());
            aggregate_exprs.push(aggregate.alias(alias.clone()));
            outputs.push(Output::Column { alias, name });
        }
        Ok(())
    }

    fn plan_percentiles(
        &mut self,
        input: &LogicalPlan,
        args: &[ast::Expr],
        item: &NamedExpr,
        names: &mut Vec<String>,
        aggregate_exprs: &mut Vec<Expr>,
        outputs: &mut Vec<Output>,
    ) -> Result<()> {
        let Some((value_expr, percentiles)) = args.split_first() else {
            return Err(PlanError::semantic("percentiles() expects a value and at least one percentile", item.span));
        };
        if percentiles.is_empty() {
            return Err(PlanError::semantic("percentiles() expects at least one percentile", item.span));
        }
        let value = self.plan_scalar(value_expr, input)?;
        let column_name = natural_name(value_expr).unwrap_or_default();
        for (index, percentile_expr) in percentiles.iter().enumerate() {
            let percentile = match self.constant_scalar(percentile_expr)? {
                datafusion::common::ScalarValue::Int64(Some(p)) => p as f64,
                datafusion::common::ScalarValue::Int32(Some(p)) => f64::from(p),
                datafusion::common::ScalarValue::Float64(Some(p)) => p,
                _ => return Err(PlanError::semantic("a percentile must be a constant number", percentile_expr.span)),
            };
            let shown = if percentile.fract() == 0.0 {
                format!("{}", percentile as i64)
            } else {
                percentile.to_string().replace('.', "_")
            };
            let default_name = format!("percentile_{column_name}_{shown}");
            let name = item.names.get(index).map(|ident| ident.name.clone()).unwrap_or(default_name);
            let name = unique_name(&name, names);
            names.push(name.clone());
            let aggregate = tarn_functions::plan_percentile(value.clone(), percentile).at(percentile_expr.span)?;
            let alias = format!("__tarn_agg_{}", aggregate_exprs.len());
            aggregate_exprs.push(aggregate.alias(alias.clone()));
            outputs.push(Output::Column { alias, name });
        }
        Ok(())
    }

    pub(crate) fn plan_count(&mut self, input: LogicalPlan, span: Span) -> Result<LogicalPlan> {
        let count = tarn_functions::plan_aggregate("count", Vec::new()).at(span)?;
        LogicalPlanBuilder::from(input)
            .aggregate(Vec::<Expr>::new(), vec![count.alias("Count")])
            .at(span)?
            .build()
            .at(span)
    }

    pub(crate) fn plan_distinct(&mut self, input: LogicalPlan, columns: &[ast::Expr], span: Span) -> Result<LogicalPlan> {
        if columns.is_empty() {
            return LogicalPlanBuilder::from(input).distinct().at(span)?.build().at(span);
        }
        let mut names: Vec<String> = Vec::new();
        let mut group_exprs = Vec::new();
        for expr in columns {
            let typed = self.plan_scalar(expr, &input)?;
            let name = natural_name(expr).unwrap_or_else(|| next_column_name(&names));
            let name = unique_name(&name, &names);
            names.push(name.clone());
            group_exprs.push(typed.expr.alias(name));
        }
        LogicalPlanBuilder::from(input)
            .aggregate(group_exprs, Vec::<Expr>::new())
            .at(span)?
            .build()
            .at(span)
    }
}
