//! Tabular sources: tables, `let`-bound tables, `datatable`, `range`, `print`, `union`, and calls of
//! tabular functions.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemTable;
use datafusion::common::ScalarValue;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit};
use tarn_common::KustoType;
use tarn_kql::ast::{self, ColumnDecl, ExprKind, NamedExpr, ParamType, Span, Statement, UnionSpec};

use crate::error::{AtSpan, PlanError, Result};
use crate::literal;
use crate::naming::{natural_name, unique_name};
use crate::planner::{FUNCTION_INLINE_DEPTH_MAX, Planner, column, field_types, project, unqualify};
use crate::scope::Binding;

/// Rows `range` may generate: it materializes them.
pub(crate) const RANGE_ROWS_MAX: u64 = 100_000_000;
const RANGE_BATCH_ROWS: usize = 64 * 1024;

impl Planner<'_> {
    pub(crate) fn plan_tabular(&mut self, expr: &ast::Expr) -> Result<LogicalPlan> {
        match &expr.kind {
            ExprKind::Pipeline { source, operators } => {
                let mut plan = self.plan_tabular(source)?;
                for operator in operators {
                    plan = self.plan_operator(plan, operator)?;
                }
                Ok(plan)
            }
            ExprKind::Name(ident) => self.resolve_tabular_name(ident),
            ExprKind::Datatable { columns, values } => self.plan_datatable(columns, values, expr.span),
            ExprKind::Range { column, from, to, step } => self.plan_range(&column.name, from, to, step, expr.span),
            ExprKind::Print { columns } => self.plan_print(columns, expr.span),
            ExprKind::Union(spec) => self.plan_union(None, spec, expr.span),
            ExprKind::Call { name, args } => self.plan_tabular_call(name, args, None, expr.span),
            _ => Err(PlanError::semantic("expected a tabular expression (a table, a pipeline or a tabular function)", expr.span)),
        }
    }

    fn resolve_tabular_name(&mut self, ident: &ast::Ident) -> Result<LogicalPlan> {
        match self.scope.lookup(&ident.name).cloned() {
            Some(Binding::Tabular(plan)) => return Ok(plan),
            Some(Binding::Function(definition)) if definition.params.is_empty() => {
                return self.inline_tabular_function(&ident.name, &definition, &[], None, ident.span);
            }
            Some(Binding::Scalar(_)) => {
                return Err(PlanError::semantic(
                    format!("'{}' is a scalar value, but a tabular expression is expected here", ident.name),
                    ident.span,
                ));
            }
            _ => {}
        }
        self.scan_table(&ident.name, ident.span)
    }

    pub(crate) fn scan_table(&mut self, name: &str, span: Span) -> Result<LogicalPlan> {
        let Some(table) = self.catalog.table(name) else {
            return Err(PlanError::semantic(
                format!("'table' operator: Failed to resolve table expression named '{name}'"),
                span,
            ));
        };
        let plan = LogicalPlanBuilder::scan(table.name.as_str(), provider_as_source(table.provider), None)
            .at(span)?
            .build()
            .at(span)?;
        unqualify(plan, span)
    }

    /// A plan over in-memory batches (datatable, range, getschema).
    pub(crate) fn plan_batches(&self, schema: Arc<Schema>, batches: Vec<RecordBatch>, span: Span) -> Result<LogicalPlan> {
        let table = MemTable::try_new(schema, vec![batches]).at(span)?;
        let plan = LogicalPlanBuilder::scan("datatable", provider_as_source(Arc::new(table)), None)
            .at(span)?
            .build()
            .at(span)?;
        unqualify(plan, span)
    }

    fn plan_datatable(&mut self, columns: &[ColumnDecl], values: &[ast::Expr], span: Span) -> Result<LogicalPlan> {
        if columns.is_empty() {
            return Err(PlanError::semantic("datatable needs at least one column", span));
        }
        if values.len() % columns.len() != 0 {
            return Err(PlanError::semantic(
                format!(
                    "datatable has {} values, which is not a multiple of its {} columns",
                    values.len(),
                    columns.len()
                ),
                span,
            ));
        }
        let mut fields = Vec::with_capacity(columns.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
        for (index, column_decl) in columns.iter().enumerate() {
            let kusto_type = literal::kusto_type(column_decl.ty);
            let data_type = kusto_type.arrow_type();
            let mut cells = Vec::with_capacity(values.len() / columns.len());
            for value in values.iter().skip(index).step_by(columns.len()) {
                let scalar = literal::constant_value(value)?;
                cells.push(cast_cell(scalar, kusto_type, &data_type, value.span)?);
            }
            let array = if cells.is_empty() {
                datafusion::arrow::array::new_empty_array(&data_type)
            } else {
                ScalarValue::iter_to_array(cells).at(span)?
            };
            fields.push(Field::new(&column_decl.name.name, data_type, true));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).at(span)?;
        self.plan_batches(schema, vec![batch], span)
    }

    fn plan_range(&mut self, name: &str, from: &ast::Expr, to: &ast::Expr, step: &ast::Expr, span: Span) -> Result<LogicalPlan> {
        let from_value = self.constant_scalar(from)?;
        let to_value = self.constant_scalar(to)?;
        let step_value = self.constant_scalar(step)?;
        let (start, stop, increment, data_type) = match (&from_value, &to_value, &step_value) {
            (ScalarValue::TimestampNanosecond(Some(a), _), ScalarValue::TimestampNanosecond(Some(b), _), ScalarValue::DurationNanosecond(Some(s))) => {
                (*a as i128, *b as i128, *s as i128, KustoType::DateTime.arrow_type())
            }
            (ScalarValue::DurationNanosecond(Some(a)), ScalarValue::DurationNanosecond(Some(b)), ScalarValue::DurationNanosecond(Some(s))) => {
                (*a as i128, *b as i128, *s as i128, KustoType::TimeSpan.arrow_type())
            }
            _ => match (integer_of(&from_value), integer_of(&to_value), integer_of(&step_value)) {
                (Some(a), Some(b), Some(s)) => (a as i128, b as i128, s as i128, DataType::Int64),
                _ => return self.plan_real_range(name, &from_value, &to_value, &step_value, span),
            },
        };
        if increment == 0 {
            return Err(PlanError::semantic("range: the step must not be zero", step.span));
        }
        let count = if (increment > 0 && stop < start) || (increment < 0 && stop > start) {
            0
        } else {
            (stop - start) / increment + 1
        };
        if count > RANGE_ROWS_MAX as i128 {
            return Err(PlanError::Limit {
                message: format!("range would produce {count} rows; the limit is {RANGE_ROWS_MAX} (range_rows_max)"),
                span,
            });
        }
        let schema = Arc::new(Schema::new(vec![Field::new(name, data_type.clone(), true)]));
        let mut batches = Vec::new();
        let mut produced: i128 = 0;
        while produced < count {
            let rows = (count - produced).min(RANGE_BATCH_ROWS as i128);
            let values: Vec<i64> = (0..rows).map(|i| (start + (produced + i) * increment) as i64).collect();
            let array: ArrayRef = match &data_type {
                DataType::Int64 => Arc::new(datafusion::arrow::array::Int64Array::from(values)),
                DataType::Duration(_) => Arc::new(datafusion::arrow::array::DurationNanosecondArray::from(values)),
                _ => Arc::new(datafusion::arrow::array::TimestampNanosecondArray::from(values).with_timezone("UTC")),
            };
            batches.push(RecordBatch::try_new(Arc::clone(&schema), vec![array]).at(span)?);
            produced += rows;
        }
        self.plan_batches(schema, batches, span)
    }

    fn plan_real_range(&mut self, name: &str, from: &ScalarValue, to: &ScalarValue, step: &ScalarValue, span: Span) -> Result<LogicalPlan> {
        let (Some(start), Some(stop), Some(increment)) = (real_of(from), real_of(to), real_of(step)) else {
            return Err(PlanError::semantic(
                "range: from, to and step must be numbers, datetimes with a timespan step, or timespans",
                span,
            ));
        };
        if increment == 0.0 || !increment.is_finite() {
            return Err(PlanError::semantic("range: the step must be a non-zero finite number", span));
        }
        let count = ((stop - start) / increment).floor() + 1.0;
        let count = if count.is_finite() && count > 0.0 { count as u64 } else { 0 };
        if count > RANGE_ROWS_MAX {
            return Err(PlanError::Limit {
                message: format!("range would produce {count} rows; the limit is {RANGE_ROWS_MAX} (range_rows_max)"),
                span,
            });
        }
        let values: Vec<f64> = (0..count).map(|i| start + i as f64 * increment).collect();
        let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Float64, true)]));
        let array: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(values));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![array]).at(span)?;
        self.plan_batches(schema, vec![batch], span)
    }

    /// Evaluates a constant expression to a scalar (range bounds, take counts).
    pub(crate) fn constant_scalar(&mut self, expr: &ast::Expr) -> Result<ScalarValue> {
        if let Ok(value) = literal::constant_value(expr) {
            return Ok(value);
        }
        let typed = self.plan_constant(expr)?;
        let simplified = simplify_constant(typed.expr, expr.span)?;
        match simplified {
            Expr::Literal(value, _) => Ok(value),
            _ => Err(PlanError::semantic("expected a constant value here", expr.span)),
        }
    }

    fn plan_print(&mut self, columns: &[NamedExpr], span: Span) -> Result<LogicalPlan> {
        let input = LogicalPlanBuilder::empty(true).build().at(span)?;
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for (index, item) in columns.iter().enumerate() {
            let typed = self.plan_scalar(&item.expr, &input)?;
            let name = match item.names.first() {
                Some(ident) => ident.name.clone(),
                None => natural_name(&item.expr).unwrap_or_else(|| format!("print_{index}")),
            };
            let name = unique_name(&name, &names);
            names.push(name.clone());
            outputs.push((typed.expr, name));
        }
        project(input, outputs, span)
    }

    /// `union` as a source (`input` is None) or as an operator (`input` is the piped table).
    pub(crate) fn plan_union(&mut self, input: Option<LogicalPlan>, spec: &UnionSpec, span: Span) -> Result<LogicalPlan> {
        let mut legs: Vec<(String, LogicalPlan)> = Vec::new();
        if let Some(plan) = input {
            legs.push(("union_arg0".to_string(), plan));
        }
        let mut missing = None;
        for table in &spec.tables {
            let source_name = match &table.kind {
                ExprKind::Name(ident) => ident.name.clone(),
                _ => format!("union_arg{}", legs.len()),
            };
            match self.plan_tabular(table) {
                Ok(plan) => legs.push((source_name, plan)),
                // isfuzzy=true: a table that does not resolve is left out.
                Err(error) if spec.fuzzy && is_unresolved_table(&error) => missing = Some(error),
                Err(error) => return Err(error),
            }
        }
        if legs.is_empty()
            && let Some(error) = missing
        {
            return Err(error);
        }
        // Output columns by first appearance of each (name, type). A name that comes with several
        // types becomes one column per type, `name_type` (Kusto's rule), made unique against the
        // other names with a numeric suffix. kind=inner keeps only columns every leg has.
        let mut pairs: Vec<(String, DataType)> = Vec::new();
        for (_, plan) in &legs {
            for (name, data_type) in field_types(plan) {
                if !pairs.iter().any(|(existing, existing_type)| *existing == name && *existing_type == data_type) {
                    pairs.push((name, data_type));
                }
            }
        }
        let conflicted = |name: &str| pairs.iter().filter(|(existing, _)| existing == name).count() > 1;
        let mut taken: Vec<String> = pairs.iter().filter(|(name, _)| !conflicted(name)).map(|(name, _)| name.clone()).collect();
        // (output name, source name, type)
        let mut columns: Vec<(String, String, DataType)> = Vec::new();
        for (name, data_type) in &pairs {
            let output = if conflicted(name) {
                let renamed = unique_name(&format!("{name}_{}", kusto_name(data_type)), &taken);
                taken.push(renamed.clone());
                renamed
            } else {
                name.clone()
            };
            columns.push((output, name.clone(), data_type.clone()));
        }
        if spec.inner {
            columns.retain(|(_, name, data_type)| {
                legs.iter().all(|(_, plan)| {
                    plan.schema().fields().iter().any(|field| field.name() == name && field.data_type() == data_type)
                })
            });
        }
        let mut combined: Option<LogicalPlanBuilder> = None;
        for (source_name, plan) in legs {
            let present = field_types(&plan);
            let mut outputs: Vec<(Expr, String)> = Vec::new();
            if let Some(with_source) = &spec.with_source {
                outputs.push((lit(source_name.clone()), with_source.name.clone()));
            }
            for (output, name, data_type) in &columns {
                let value = if present.iter().any(|(present_name, present_type)| present_name == name && present_type == data_type) {
                    column(name)
                } else {
                    Expr::Cast(datafusion::logical_expr::Cast::new(Box::new(lit(ScalarValue::Null)), data_type.clone()))
                };
                outputs.push((value, output.clone()));
            }
            let leg = project(plan, outputs, span)?;
            combined = Some(match combined {
                None => LogicalPlanBuilder::from(leg),
                Some(builder) => builder.union(leg).at(span)?,
            });
        }
        match combined {
            Some(builder) => builder.build().at(span),
            None => Err(PlanError::semantic("union needs at least one table", span)),
        }
    }

    /// `table('T')`, `materialize(x)`, `view`, and user-defined tabular functions. `piped` is the
    /// input of `invoke`, passed as the first argument.
    pub(crate) fn plan_tabular_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        piped: Option<LogicalPlan>,
        span: Span,
    ) -> Result<LogicalPlan> {
        match name.name.as_str() {
            "table" => {
                let [argument] = args else {
                    return Err(PlanError::semantic("table() expects one argument: the table's name", span));
                };
                let ExprKind::Literal(ast::Literal::String(table_name)) = &argument.kind else {
                    return Err(PlanError::semantic("table() expects a string literal", argument.span));
                };
                if let Some(Binding::Tabular(plan)) = self.scope.lookup(table_name).cloned() {
                    return Ok(plan);
                }
                self.scan_table(table_name, argument.span)
            }
            "materialize" => {
                let [argument] = args else {
                    return Err(PlanError::semantic("materialize() expects one tabular argument", span));
                };
                self.plan_tabular(argument)
            }
            _ => match self.scope.lookup(&name.name).cloned() {
                Some(Binding::Function(definition)) => {
                    self.inline_tabular_function(&name.name, &definition, args, piped, span)
                }
                _ => Err(PlanError::semantic(
                    format!("Failed to resolve tabular function named '{}'", name.name),
                    name.span,
                )),
            },
        }
    }

    fn inline_tabular_function(
        &mut self,
        name: &str,
        definition: &ast::FunctionDef,
        args: &[ast::Expr],
        piped: Option<LogicalPlan>,
        span: Span,
    ) -> Result<LogicalPlan> {
        if self.inline_depth >= FUNCTION_INLINE_DEPTH_MAX {
            return Err(PlanError::Limit {
                message: format!("function calls nest deeper than {FUNCTION_INLINE_DEPTH_MAX} (function_inline_depth_max)"),
                span,
            });
        }
        let supplied = args.len() + usize::from(piped.is_some());
        let required = definition.params.iter().filter(|param| param.default.is_none()).count();
        if supplied < required || supplied > definition.params.len() {
            return Err(PlanError::semantic(
                format!("function '{name}' expects {} argument(s), got {supplied}", definition.params.len()),
                span,
            ));
        }
        // Arguments are planned in the caller's scope, then bound in the function's.
        let mut bindings = Vec::with_capacity(definition.params.len());
        let mut remaining_args = args.iter();
        let mut piped = piped;
        for param in &definition.params {
            let binding = match &param.ty {
                ParamType::Tabular(_) => {
                    let plan = match piped.take() {
                        Some(plan) => plan,
                        None => match remaining_args.next() {
                            Some(argument) => self.plan_tabular(argument)?,
                            None => {
                                return Err(PlanError::semantic(
                                    format!("function '{name}': missing tabular argument '{}'", param.name.name),
                                    span,
                                ));
                            }
                        },
                    };
                    Binding::Tabular(plan)
                }
                ParamType::Scalar(type_name) => {
                    let value = match remaining_args.next() {
                        Some(argument) => self.plan_constant(argument)?,
                        None => match &param.default {
                            Some(default) => self.plan_constant(default)?,
                            None => {
                                return Err(PlanError::semantic(
                                    format!("function '{name}': missing argument '{}'", param.name.name),
                                    span,
                                ));
                            }
                        },
                    };
                    let kusto_type = literal::kusto_type(*type_name);
                    let converted = if KustoType::from_arrow(&value.data_type) == Some(kusto_type) {
                        value
                    } else {
                        tarn_functions::TypedExpr {
                            expr: tarn_functions::plan_convert(value, kusto_type).at(span)?,
                            data_type: kusto_type.arrow_type(),
                        }
                    };
                    Binding::Scalar(converted)
                }
            };
            bindings.push((param.name.name.clone(), binding));
        }
        self.inline_depth += 1;
        self.scope.push();
        for (param_name, binding) in bindings {
            self.scope.bind(&param_name, binding);
        }
        let result = self.plan_function_body_tabular(definition, span);
        self.scope.pop();
        self.inline_depth -= 1;
        result
    }

    fn plan_function_body_tabular(&mut self, definition: &ast::FunctionDef, span: Span) -> Result<LogicalPlan> {
        let mut result = None;
        for statement in &definition.body {
            match statement {
                Statement::Let { name, value, .. } => self.bind_let(name, value)?,
                Statement::Expr(expr) => result = Some(self.plan_tabular(expr)?),
                Statement::Set { span, .. } | Statement::DeclareQueryParameters { span, .. } => {
                    return Err(PlanError::semantic("this statement is not allowed in a function body", *span));
                }
            }
        }
        result.ok_or_else(|| PlanError::semantic("the function body has no value", span))
    }
}

/// Casts a datatable cell to its column's type (a long literal in a real column, a string in a
/// dynamic column...).
fn cast_cell(value: ScalarValue, kusto_type: KustoType, data_type: &DataType, span: Span) -> Result<ScalarValue> {
    if value.data_type() == *data_type {
        return Ok(value);
    }
    if value.is_null() {
        return ScalarValue::try_from(data_type).at(span);
    }
    if kusto_type == KustoType::Dynamic {
        let json = match &value {
            ScalarValue::Utf8(Some(text)) => serde_json::Value::String(text.clone()).to_string(),
            ScalarValue::Boolean(Some(flag)) => flag.to_string(),
            ScalarValue::Int32(Some(number)) => number.to_string(),
            ScalarValue::Int64(Some(number)) => number.to_string(),
            ScalarValue::Float64(Some(number)) => serde_json::Number::from_f64(*number)
                .map(|number| number.to_string())
                .unwrap_or_else(|| "null".to_string()),
            ScalarValue::TimestampNanosecond(Some(nanos), _) => {
                serde_json::Value::String(tarn_common::text::format::format_datetime(*nanos)).to_string()
            }
            ScalarValue::DurationNanosecond(Some(nanos)) => {
                serde_json::Value::String(tarn_common::text::format::format_timespan(*nanos)).to_string()
            }
            other => {
                return Err(PlanError::semantic(format!("cannot store {other} in a dynamic column"), span));
            }
        };
        return Ok(ScalarValue::LargeUtf8(Some(json)));
    }
    let source_type = KustoType::from_arrow(&value.data_type());
    let compatible = match (source_type, kusto_type) {
        (Some(from), to) if from == to => true,
        (Some(from), to) => from.is_numeric() && to.is_numeric(),
        _ => false,
    };
    if !compatible {
        return Err(PlanError::semantic(
            format!("datatable: a {} value in a {} column", source_type.map(|t| t.name()).unwrap_or("?"), kusto_type.name()),
            span,
        ));
    }
    value.cast_to(data_type).at(span)
}

fn integer_of(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int64(Some(number)) => Some(*number),
        ScalarValue::Int32(Some(number)) => Some(i64::from(*number)),
        _ => None,
    }
}

fn real_of(value: &ScalarValue) -> Option<f64> {
    match value {
        ScalarValue::Float64(Some(number)) => Some(*number),
        other => integer_of(other).map(|number| number as f64),
    }
}

pub(crate) fn kusto_name(data_type: &DataType) -> &'static str {
    KustoType::from_arrow(data_type).map(KustoType::name).unwrap_or("unknown")
}

/// Folds a constant expression to a literal with DataFusion's simplifier.
fn simplify_constant(expr: Expr, span: Span) -> Result<Expr> {
    use datafusion::common::DFSchema;
    use datafusion::optimizer::simplify_expressions::{ExprSimplifier, SimplifyContext};
    let schema = Arc::new(DFSchema::empty());
    let context = SimplifyContext::builder().with_schema(schema).build();
    ExprSimplifier::new(context).simplify(expr).at(span)
}

/// Whether planning a union leg failed only because its table does not exist (`isfuzzy=true`
/// leaves such legs out).
fn is_unresolved_table(error: &PlanError) -> bool {
    matches!(error, PlanError::Semantic { message, .. }
        if message.contains("Failed to resolve table expression") || message.contains("Failed to resolve tabular function"))
}
