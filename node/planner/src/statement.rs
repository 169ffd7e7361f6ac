//! Statements: `let`, `set`, `declare query_parameters`, and the tabular expressions that become
//! results.

use std::rc::Rc;

use datafusion::logical_expr::LogicalPlanBuilder;
use tarn_functions::TypedExpr;
use tarn_kql::ast::{self, ExprKind, LetValue, Literal, ParamType, Query, Span, Statement};

use crate::error::{AtSpan, PlanError, Result};
use crate::literal;
use crate::planner::Planner;
use crate::scope::Binding;
use crate::{PlanContext, PlannedQuery, PlannedResult};

/// Plans every statement of `query`; each tabular expression statement becomes one result.
pub fn plan_query(query: &Query, context: PlanContext<'_>) -> Result<PlannedQuery> {
    let mut planner = Planner::new(context.catalog, context.now_nanos, context.parameters);
    // `set` options apply to the whole request, wherever they stand, and `query_now` must be known
    // before any `now()` is planned.
    let mut options = Vec::new();
    for statement in &query.statements {
        if let Statement::Set { name, value, span } = statement {
            let text = match value {
                Some(value) => literal::option_text(value)?,
                None => "true".to_string(),
            };
            let option = name.name.to_ascii_lowercase();
            if option == "query_now" {
                planner.functions.now_nanos = tarn_common::text::parse::parse_datetime(&text)
                    .ok_or_else(|| PlanError::semantic(format!("set query_now: '{text}' is not a datetime"), *span))?;
            }
            options.push((option, text));
        }
    }
    let mut results = Vec::new();
    for statement in &query.statements {
        match statement {
            Statement::Let { name, value, .. } => planner.bind_let(name, value)?,
            Statement::Set { .. } => {}
            Statement::DeclareQueryParameters { params, span } => planner.declare_parameters(params, *span)?,
            Statement::Expr(expr) => {
                planner.visualization = None;
                let plan = planner.plan_tabular(expr)?;
                results.push(PlannedResult { plan, visualization: planner.visualization.take() });
            }
        }
    }
    if results.is_empty() {
        let span = query.statements.last().map(statement_span).unwrap_or_default();
        return Err(PlanError::semantic("The query has no tabular expression to return", span));
    }
    Ok(PlannedQuery { results, options })
}

fn statement_span(statement: &Statement) -> Span {
    match statement {
        Statement::Let { span, .. } | Statement::Set { span, .. } | Statement::DeclareQueryParameters { span, .. } => *span,
        Statement::Expr(expr) => expr.span,
    }
}

impl Planner<'_> {
    pub(crate) fn bind_let(&mut self, name: &ast::Ident, value: &LetValue) -> Result<()> {
        match value {
            LetValue::Function(definition) => {
                self.scope.bind(&name.name, Binding::Function(Rc::new(definition.clone())));
            }
            LetValue::Expr(expr) => {
                if self.is_tabular(expr) {
                    let plan = self.plan_tabular(expr)?;
                    self.scope.bind(&name.name, Binding::Tabular(plan));
                } else {
                    let value = self.plan_constant(expr)?;
                    self.scope.bind(&name.name, Binding::Scalar(value));
                }
            }
        }
        Ok(())
    }

    /// Whether an expression denotes a table (decided by its shape and by what its names resolve to).
    pub(crate) fn is_tabular(&self, expr: &ast::Expr) -> bool {
        match &expr.kind {
            ExprKind::Pipeline { .. }
            | ExprKind::Datatable { .. }
            | ExprKind::Range { .. }
            | ExprKind::Print { .. }
            | ExprKind::Union(_) => true,
            ExprKind::Name(ident) => match self.scope.lookup(&ident.name) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Scalar(_)) => false,
                Some(Binding::Function(definition)) => definition.params.is_empty() && self.function_is_tabular(definition),
                None => self.catalog.table(&ident.name).is_some(),
            },
            ExprKind::Call { name, .. } => match name.name.as_str() {
                "table" | "materialize" | "view" => true,
                other => match self.scope.lookup(other) {
                    Some(Binding::Function(definition)) => self.function_is_tabular(definition),
                    _ => false,
                },
            },
            _ => false,
        }
    }

    pub(crate) fn function_is_tabular(&self, definition: &ast::FunctionDef) -> bool {
        let tabular_params: Vec<&str> = definition
            .params
            .iter()
            .filter(|param| matches!(param.ty, ParamType::Tabular(_)))
            .map(|param| param.name.name.as_str())
            .collect();
        match definition.body.last() {
            Some(Statement::Expr(expr)) => match &expr.kind {
                ExprKind::Name(ident) if tabular_params.contains(&ident.name.as_str()) => true,
                _ => self.is_tabular(expr),
            },
            _ => false,
        }
    }

    /// Plans an expression that may not refer to any column (a `let` value, an argument of a
    /// tabular function, `take`'s count).
    pub(crate) fn plan_constant(&mut self, expr: &ast::Expr) -> Result<TypedExpr> {
        let empty = LogicalPlanBuilder::empty(true).build().at(expr.span)?;
        self.plan_scalar(expr, &empty)
    }

    fn declare_parameters(&mut self, params: &[ast::Param], span: Span) -> Result<()> {
        for param in params {
            let ParamType::Scalar(type_name) = param.ty else {
                return Err(PlanError::unsupported("tabular query parameters are not supported", param.name.span));
            };
            let kusto_type = literal::kusto_type(type_name);
            let value = match self.parameters.get(&param.name.name) {
                Some(raw) => literal::parameter_value(raw, kusto_type, param.name.span)?,
                None => match &param.default {
                    Some(default) => {
                        let planned = self.plan_constant(default)?;
                        tarn_functions::plan_convert(planned, kusto_type).at(default.span)?
                    }
                    None => {
                        return Err(PlanError::semantic(
                            format!("Query parameter '{}' is declared but the request did not provide it", param.name.name),
                            span,
                        ));
                    }
                },
            };
            let typed = TypedExpr { expr: value, data_type: kusto_type.arrow_type() };
            self.scope.bind(&param.name.name, Binding::Scalar(typed));
        }
        Ok(())
    }
}

/// The text of a literal used as an option value.
pub(crate) fn literal_text(literal: &Literal) -> Option<String> {
    Some(match literal {
        Literal::Bool(Some(value)) => value.to_string(),
        Literal::Int(Some(value)) => value.to_string(),
        Literal::Long(Some(value)) => value.to_string(),
        Literal::Real(Some(value)) => value.to_string(),
        Literal::String(value) => value.clone(),
        Literal::DateTime(Some(raw)) => raw.clone(),
        Literal::TimeSpan(Some(nanos)) => tarn_common::text::format::format_timespan(*nanos),
        Literal::Decimal(Some(raw)) | Literal::Guid(Some(raw)) => raw.clone(),
        Literal::Dynamic(raw) => raw.clone(),
        _ => return None,
    })
}

