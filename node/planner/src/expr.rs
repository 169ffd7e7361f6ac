//! Scalar expressions: names, literals, operators, calls. Function and operator semantics come
//! from `tarn-functions`; this module resolves names and shapes.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Spans;
use datafusion::logical_expr::{Between, Expr, LogicalPlan, Subquery, lit};
use tarn_common::KustoType;
use tarn_functions::{ArithmeticOp, StringOperator, TypedExpr};
use tarn_kql::ast::{self, BinaryOp, ExprKind, InKind, ParamType, Span, Statement, StrOp, UnaryOp};

use crate::error::{AtSpan, PlanError, Result};
use crate::literal;
use crate::planner::{FUNCTION_INLINE_DEPTH_MAX, Planner, column, expr_type, typed_column};
use crate::scope::Binding;

impl Planner<'_> {
    pub(crate) fn plan_scalar(&mut self, expr: &ast::Expr, input: &LogicalPlan) -> Result<TypedExpr> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(value) => {
                let scalar = literal::scalar_value(value, span)?;
                let data_type = scalar.data_type();
                Ok(TypedExpr { expr: lit(scalar), data_type })
            }
            ExprKind::Name(ident) => self.resolve_scalar_name(ident, input),
            ExprKind::Member { base, name } => {
                let base = self.plan_scalar(base, input)?;
                self.require_dynamic(&base, span, "property access")?;
                let planned = tarn_functions::plan_member(base, &name.name).at(span)?;
                typed(planned, input, span)
            }
            ExprKind::Index { base, index } => {
                let base = self.plan_scalar(base, input)?;
                self.require_dynamic(&base, span, "indexing")?;
                let index = self.plan_scalar(index, input)?;
                let planned = tarn_functions::plan_index(base, index).at(span)?;
                typed(planned, input, span)
            }
            ExprKind::Call { name, args } => self.plan_call(expr, name, args, input),
            ExprKind::Star => Err(PlanError::semantic("'*' is only allowed as a function argument", span)),
            ExprKind::Unary { op, operand } => {
                let operand = self.plan_scalar(operand, input)?;
                match op {
                    UnaryOp::Plus => Ok(operand),
                    // DataFusion cannot negate a duration: a timespan is negated as 0 - x.
                    UnaryOp::Neg if matches!(operand.data_type, DataType::Duration(_)) => {
                        let zero = TypedExpr {
                            expr: lit(datafusion::common::ScalarValue::DurationNanosecond(Some(0))),
                            data_type: DataType::Duration(datafusion::arrow::datatypes::TimeUnit::Nanosecond),
                        };
                        let negated = tarn_functions::plan_arithmetic(ArithmeticOp::Sub, zero, operand).at(span)?;
                        typed(negated, input, span)
                    }
                    UnaryOp::Neg => typed(Expr::Negative(Box::new(operand.expr)), input, span),
                }
            }
            ExprKind::Binary { op, left, right } => self.plan_binary(*op, left, right, input, span),
            ExprKind::InList { expr: value, kind, negated, list } => self.plan_in(value, *kind, *negated, list, input, span),
            ExprKind::Between { expr: value, low, high, negated } => {
                let value = self.plan_scalar(value, input)?;
                let low = self.plan_scalar(low, input)?;
                let mut high = self.plan_scalar(high, input)?;
                // `datetime between (start .. 1h)`: the upper bound is relative to the lower one.
                if matches!(value.data_type, DataType::Timestamp(_, _)) && matches!(high.data_type, DataType::Duration(_)) {
                    let sum = tarn_functions::plan_arithmetic(ArithmeticOp::Add, low.clone(), high).at(span)?;
                    high = typed(sum, input, span)?;
                }
                let between = Expr::Between(Between::new(Box::new(value.expr), *negated, Box::new(low.expr), Box::new(high.expr)));
                Ok(TypedExpr { expr: between, data_type: DataType::Boolean })
            }
            ExprKind::Pipeline { .. } | ExprKind::Datatable { .. } | ExprKind::Range { .. } | ExprKind::Print { .. } | ExprKind::Union(_) => {
                Err(PlanError::semantic("a tabular expression cannot be used as a scalar value; use toscalar()", span))
            }
        }
    }

    fn resolve_scalar_name(&mut self, ident: &ast::Ident, input: &LogicalPlan) -> Result<TypedExpr> {
        if let Some(found) = typed_column(input, &ident.name) {
            return Ok(found);
        }
        match self.scope.lookup(&ident.name) {
            Some(Binding::Scalar(value)) => Ok(value.clone()),
            Some(Binding::Tabular(_)) => Err(PlanError::semantic(
                format!("'{}' is a table; a scalar value is expected here (use toscalar())", ident.name),
                ident.span,
            )),
            Some(Binding::Function(_)) => Err(PlanError::semantic(
                format!("'{}' is a function; call it with ()", ident.name),
                ident.span,
            )),
            None => Err(PlanError::semantic(
                format!("Failed to resolve scalar expression named '{}'", ident.name),
                ident.span,
            )),
        }
    }

    fn require_dynamic(&self, base: &TypedExpr, span: Span, what: &str) -> Result<()> {
        if KustoType::from_arrow(&base.data_type) == Some(KustoType::Dynamic) {
            return Ok(());
        }
        Err(PlanError::semantic(
            format!(
                "{what} needs a dynamic value, not {}",
                KustoType::from_arrow(&base.data_type).map(KustoType::name).unwrap_or("an unknown type")
            ),
            span,
        ))
    }

    fn plan_call(&mut self, call: &ast::Expr, name: &ast::Ident, args: &[ast::Expr], input: &LogicalPlan) -> Result<TypedExpr> {
        let span = call.span;
        if let Some(alias) = self.aggregate_columns.as_ref().and_then(|columns| columns.get(&span)).cloned() {
            return typed(column(&alias), input, span);
        }
        if let Some(alias) = self.window_columns.get(&span).cloned() {
            return typed(column(&alias), input, span);
        }
        if let Some(Binding::Function(definition)) = self.scope.lookup(&name.name).cloned() {
            return self.inline_scalar_function(&name.name, &definition, args, input, span);
        }
        if tarn_functions::is_window_function(&name.name) {
            return Err(PlanError::semantic(
                format!("Function '{}' cannot be invoked in the current context (use it in extend, project or serialize)", name.name),
                span,
            ));
        }
        match name.name.as_str() {
            // `typeof(real)`: a type as an argument (extract's fourth), passed as its name.
            "typeof" => {
                let [ast::Expr { kind: ExprKind::Name(type_name), .. }] = args else {
                    return Err(PlanError::semantic("typeof() expects a type name, e.g. typeof(long)", span));
                };
                let Some(kusto_type) = KustoType::parse(&type_name.name) else {
                    return Err(PlanError::semantic(format!("typeof(): '{}' is not a type", type_name.name), type_name.span));
                };
                return Ok(TypedExpr { expr: lit(kusto_type.name()), data_type: DataType::Utf8 });
            }
            "toscalar" => {
                let [argument] = args else {
                    return Err(PlanError::semantic("toscalar() expects one tabular argument", span));
                };
                let plan = self.plan_tabular(argument)?;
                let Some(field) = plan.schema().fields().first().cloned() else {
                    return Err(PlanError::semantic("toscalar(): the tabular expression has no columns", span));
                };
                let subquery = Subquery { subquery: Arc::new(plan), outer_ref_columns: Vec::new(), spans: Spans::new() };
                return Ok(TypedExpr { expr: Expr::ScalarSubquery(subquery), data_type: field.data_type().clone() });
            }
            "column_ifexists" => {
                let [column_name, default] = args else {
                    return Err(PlanError::semantic("column_ifexists() expects a column name and a default value", span));
                };
                let ExprKind::Literal(ast::Literal::String(column_name)) = &column_name.kind else {
                    return Err(PlanError::semantic("column_ifexists(): the column name must be a string literal", column_name.span));
                };
                if let Some(found) = typed_column(input, column_name) {
                    return Ok(found);
                }
                return self.plan_scalar(default, input);
            }
            _ => {}
        }
        if tarn_functions::is_aggregate_function(&name.name) && !tarn_functions::is_scalar_function(&name.name) {
            return Err(PlanError::semantic(
                format!("'{}' is an aggregation function: it can only be used in summarize", name.name),
                span,
            ));
        }
        let mut typed_args = Vec::with_capacity(args.len());
        for argument in args {
            if matches!(argument.kind, ExprKind::Star) {
                return Err(PlanError::unsupported(format!("'{}(*)' is not supported", name.name), argument.span));
            }
            typed_args.push(self.plan_scalar(argument, input)?);
        }
        let planned = tarn_functions::plan_scalar(&name.name, typed_args, &self.functions).at(span)?;
        typed(planned, input, span)
    }

    fn inline_scalar_function(
        &mut self,
        name: &str,
        definition: &ast::FunctionDef,
        args: &[ast::Expr],
        input: &LogicalPlan,
        span: Span,
    ) -> Result<TypedExpr> {
        if self.inline_depth >= FUNCTION_INLINE_DEPTH_MAX {
            return Err(PlanError::Limit {
                message: format!("function calls nest deeper than {FUNCTION_INLINE_DEPTH_MAX} (function_inline_depth_max)"),
                span,
            });
        }
        let required = definition.params.iter().filter(|param| param.default.is_none()).count();
        if args.len() < required || args.len() > definition.params.len() {
            return Err(PlanError::semantic(
                format!("function '{name}' expects {} argument(s), got {}", definition.params.len(), args.len()),
                span,
            ));
        }
        let mut bindings = Vec::with_capacity(definition.params.len());
        for (index, param) in definition.params.iter().enumerate() {
            let ParamType::Scalar(type_name) = param.ty else {
                return Err(PlanError::semantic(
                    format!("function '{name}' takes a table; call it as a tabular expression"),
                    span,
                ));
            };
            let value = match (args.get(index), &param.default) {
                (Some(argument), _) => self.plan_scalar(argument, input)?,
                (None, Some(default)) => self.plan_scalar(default, input)?,
                (None, None) => {
                    return Err(PlanError::semantic(format!("function '{name}': missing argument '{}'", param.name.name), span));
                }
            };
            let kusto_type = literal::kusto_type(type_name);
            let value = if KustoType::from_arrow(&value.data_type) == Some(kusto_type) || value.data_type == DataType::Null {
                value
            } else {
                TypedExpr { expr: tarn_functions::plan_convert(value, kusto_type).at(span)?, data_type: kusto_type.arrow_type() }
            };
            bindings.push((param.name.name.clone(), Binding::Scalar(value)));
        }
        self.inline_depth += 1;
        self.scope.push();
        for (param_name, binding) in bindings {
            self.scope.bind(&param_name, binding);
        }
        let result = self.plan_function_body_scalar(definition, input, span);
        self.scope.pop();
        self.inline_depth -= 1;
        result
    }

    fn plan_function_body_scalar(&mut self, definition: &ast::FunctionDef, input: &LogicalPlan, span: Span) -> Result<TypedExpr> {
        let mut result = None;
        for statement in &definition.body {
            match statement {
                Statement::Let { name, value, .. } => self.bind_let(name, value)?,
                Statement::Expr(expr) => result = Some(self.plan_scalar(expr, input)?),
                Statement::Set { span, .. } | Statement::DeclareQueryParameters { span, .. } => {
                    return Err(PlanError::semantic("this statement is not allowed in a function body", *span));
                }
            }
        }
        result.ok_or_else(|| PlanError::semantic("the function body has no value", span))
    }

    fn plan_binary(&mut self, op: BinaryOp, left: &ast::Expr, right: &ast::Expr, input: &LogicalPlan, span: Span) -> Result<TypedExpr> {
        let left_typed = self.plan_scalar(left, input)?;
        let right_typed = self.plan_scalar(right, input)?;
        let arithmetic = |op| -> Result<TypedExpr> {
            let planned = tarn_functions::plan_arithmetic(op, left_typed.clone(), right_typed.clone()).at(span)?;
            typed(planned, input, span)
        };
        match op {
            BinaryOp::Add => arithmetic(ArithmeticOp::Add),
            BinaryOp::Sub => arithmetic(ArithmeticOp::Sub),
            BinaryOp::Mul => arithmetic(ArithmeticOp::Mul),
            BinaryOp::Div => arithmetic(ArithmeticOp::Div),
            BinaryOp::Mod => arithmetic(ArithmeticOp::Mod),
            BinaryOp::And | BinaryOp::Or => {
                let left_bool = self.to_boolean(left_typed, left.span, "and/or")?;
                let right_bool = self.to_boolean(right_typed, right.span, "and/or")?;
                let combined = if op == BinaryOp::And { left_bool.and(right_bool) } else { left_bool.or(right_bool) };
                Ok(TypedExpr { expr: combined, data_type: DataType::Boolean })
            }
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let (left_expr, right_expr) = comparable(left_typed, right_typed, span)?;
                let compared = match op {
                    BinaryOp::Eq => kusto_equality(left_expr, right_expr, false).at(span)?,
                    BinaryOp::NotEq => kusto_equality(left_expr, right_expr, true).at(span)?,
                    BinaryOp::Lt => left_expr.lt(right_expr),
                    BinaryOp::Le => left_expr.lt_eq(right_expr),
                    BinaryOp::Gt => left_expr.gt(right_expr),
                    _ => left_expr.gt_eq(right_expr),
                };
                Ok(TypedExpr { expr: compared, data_type: DataType::Boolean })
            }
            BinaryOp::EqTilde | BinaryOp::NotEqTilde => {
                let planned = tarn_functions::plan_string_operator(
                    StringOperator::Equals,
                    op == BinaryOp::NotEqTilde,
                    false,
                    left_typed,
                    right_typed,
                )
                .at(span)?;
                Ok(TypedExpr { expr: planned, data_type: DataType::Boolean })
            }
            BinaryOp::Str { op: string_op, negated, case_sensitive } => {
                let operator = match string_op {
                    StrOp::Has => StringOperator::Has,
                    StrOp::HasPrefix => StringOperator::HasPrefix,
                    StrOp::HasSuffix => StringOperator::HasSuffix,
                    StrOp::Contains => StringOperator::Contains,
                    StrOp::StartsWith => StringOperator::StartsWith,
                    StrOp::EndsWith => StringOperator::EndsWith,
                    StrOp::MatchesRegex => StringOperator::MatchesRegex,
                };
                let planned =
                    tarn_functions::plan_string_operator(operator, negated, case_sensitive, left_typed, right_typed).at(span)?;
                Ok(TypedExpr { expr: planned, data_type: DataType::Boolean })
            }
        }
    }

    fn plan_in(&mut self, value: &ast::Expr, kind: InKind, negated: bool, list: &[ast::Expr], input: &LogicalPlan, span: Span) -> Result<TypedExpr> {
        let value = self.plan_scalar(value, input)?;
        if let [single] = list
            && self.is_tabular(single)
            && matches!(kind, InKind::In)
        {
            let plan = self.plan_tabular(single)?;
            let subquery = Subquery { subquery: Arc::new(plan), outer_ref_columns: Vec::new(), spans: Spans::new() };
            let in_subquery = Expr::InSubquery(datafusion::logical_expr::expr::InSubquery::new(Box::new(value.expr), subquery, negated));
            return Ok(TypedExpr { expr: in_subquery, data_type: DataType::Boolean });
        }
        let mut elements = Vec::with_capacity(list.len());
        for element in list {
            elements.push(self.plan_scalar(element, input)?);
        }
        match kind {
            InKind::HasAny | InKind::HasAll => {
                let planned = tarn_functions::plan_has_any(value, elements, kind == InKind::HasAll).at(span)?;
                let planned = if negated { Expr::Not(Box::new(planned)) } else { planned };
                Ok(TypedExpr { expr: planned, data_type: DataType::Boolean })
            }
            InKind::In | InKind::InCaseInsensitive => {
                let case_insensitive = kind == InKind::InCaseInsensitive;
                let fold = |planner: &Self, typed: TypedExpr| -> Result<Expr> {
                    if case_insensitive {
                        tarn_functions::plan_scalar("tolower", vec![typed], &planner.functions).at(span)
                    } else {
                        Ok(typed.expr)
                    }
                };
                let mut list_exprs = Vec::with_capacity(elements.len());
                for element in elements {
                    list_exprs.push(fold(self, element)?);
                }
                let value_expr = if KustoType::from_arrow(&value.data_type) == Some(KustoType::Dynamic) {
                    let converted = tarn_functions::plan_convert(value, KustoType::String).at(span)?;
                    fold(self, TypedExpr { expr: converted, data_type: DataType::Utf8 })?
                } else {
                    fold(self, value)?
                };
                Ok(TypedExpr { expr: value_expr.in_list(list_exprs, negated), data_type: DataType::Boolean })
            }
        }
    }
}

/// The planned expression with its type over `input`.
fn typed(expr: Expr, input: &LogicalPlan, span: Span) -> Result<TypedExpr> {
    let data_type = expr_type(&expr, input, span)?;
    Ok(TypedExpr { expr, data_type })
}

/// Makes two sides comparable: a dynamic side compared with a typed value converts to that type
/// (Kusto compares `d.x == 5` as numbers, `d.s == "a"` as strings).
fn comparable(left: TypedExpr, right: TypedExpr, span: Span) -> Result<(Expr, Expr)> {
    let left_type = KustoType::from_arrow(&left.data_type);
    let right_type = KustoType::from_arrow(&right.data_type);
    let null = |data_type: &DataType| *data_type == DataType::Null;
    match (left_type, right_type) {
        (Some(KustoType::Dynamic), Some(other)) if other != KustoType::Dynamic && !null(&right.data_type) => {
            Ok((tarn_functions::plan_convert(left, other).at(span)?, right.expr))
        }
        (Some(other), Some(KustoType::Dynamic)) if other != KustoType::Dynamic && !null(&left.data_type) => {
            Ok((left.expr, tarn_functions::plan_convert(right, other).at(span)?))
        }
        _ => Ok((left.expr, right.expr)),
    }
}

/// `==` / `!=` with Kusto's null rule: when exactly one side is null, `==` is false and `!=` is
/// true; only null against null is null. Against a non-null literal the plain comparison is kept
/// (it prunes extents), guarded by the other side's nullness.
fn kusto_equality(left: Expr, right: Expr, negated: bool) -> datafusion::error::Result<Expr> {
    let is_value = |expr: &Expr| matches!(expr, Expr::Literal(value, _) if !value.is_null());
    let other = if is_value(&right) {
        Some(left.clone())
    } else if is_value(&left) {
        Some(right.clone())
    } else {
        None
    };
    match (other, negated) {
        (Some(other), false) => Ok(left.eq(right).and(other.is_not_null())),
        (Some(other), true) => Ok(left.not_eq(right).or(other.is_null())),
        (None, _) => {
            let both_null = left.clone().is_null().and(right.clone().is_null());
            let operator = if negated { datafusion::logical_expr::Operator::IsDistinctFrom } else { datafusion::logical_expr::Operator::IsNotDistinctFrom };
            let compared = datafusion::logical_expr::binary_expr(left, operator, right);
            datafusion::logical_expr::when(both_null, lit(datafusion::common::ScalarValue::Boolean(None))).otherwise(compared)
        }
    }
}
