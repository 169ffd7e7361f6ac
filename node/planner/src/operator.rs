//! The tabular operators after `|`, each a function of (input plan, operator) → output plan with
//! Kusto's output columns.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr, lit};
use tarn_common::KustoType;
use tarn_functions::TypedExpr;
use tarn_kql::ast::{self, ColumnPattern, NamedExpr, Operator, OperatorKind, ParseKind, ParsePart, SortKey, Span};

use crate::error::{AtSpan, PlanError, Result};
use crate::literal;
use crate::naming::{natural_name, unique_name};
use crate::planner::{Planner, column, field_names, field_types, project, unknown_column};
use crate::scope::Binding;
use crate::Visualization;

impl Planner<'_> {
    pub(crate) fn plan_operator(&mut self, input: LogicalPlan, operator: &Operator) -> Result<LogicalPlan> {
        let span = operator.span;
        match &operator.kind {
            OperatorKind::Where(predicate) => self.plan_where(input, predicate),
            OperatorKind::Project(items) => self.plan_project(input, items, span),
            OperatorKind::ProjectAway(patterns) => {
                let names = field_names(&input);
                let away = match_patterns(&names, patterns, "project-away")?;
                let kept: Vec<(Expr, String)> =
                    names.iter().filter(|name| !away.contains(name)).map(|name| (column(name), name.clone())).collect();
                project(input, kept, span)
            }
            OperatorKind::ProjectKeep(patterns) => {
                let names = field_names(&input);
                let keep = match_patterns(&names, patterns, "project-keep")?;
                let kept: Vec<(Expr, String)> =
                    names.iter().filter(|name| keep.contains(name)).map(|name| (column(name), name.clone())).collect();
                project(input, kept, span)
            }
            OperatorKind::ProjectRename(pairs) => self.plan_project_rename(input, pairs, span),
            OperatorKind::ProjectReorder(patterns) => plan_project_reorder(input, patterns, span),
            OperatorKind::Extend(items) => self.plan_extend(input, items),
            OperatorKind::Summarize { aggregates, by } => self.plan_summarize(input, aggregates, by, span),
            OperatorKind::Take(count) => {
                let rows = self.row_count(count)?;
                LogicalPlanBuilder::from(input).limit(0, Some(rows)).at(span)?.build().at(span)
            }
            OperatorKind::Top { count, by } => {
                let rows = self.row_count(count)?;
                let sorts = self.sort_exprs(&input, by)?;
                LogicalPlanBuilder::from(input).sort_with_limit(sorts, Some(rows)).at(span)?.build().at(span)
            }
            OperatorKind::Sort(keys) => {
                let sorts = self.sort_exprs(&input, keys)?;
                LogicalPlanBuilder::from(input).sort(sorts).at(span)?.build().at(span)
            }
            OperatorKind::Distinct(columns) => self.plan_distinct(input, columns, span),
            OperatorKind::Count => self.plan_count(input, span),
            OperatorKind::Join { kind, right, on } => self.plan_join(input, *kind, right, on, span),
            OperatorKind::Lookup { kind_left_outer, right, on } => self.plan_lookup(input, *kind_left_outer, right, on, span),
            OperatorKind::Union(spec) => self.plan_union(Some(input), spec, span),
            OperatorKind::MvExpand { items, with_itemindex, limit } => {
                self.plan_mv_expand(input, items, with_itemindex.as_ref(), limit.as_ref(), span)
            }
            OperatorKind::MvApply { items, with_itemindex, limit, subquery } => {
                self.plan_mv_apply(input, items, with_itemindex.as_ref(), limit.as_ref(), subquery, span)
            }
            OperatorKind::As(name) => {
                self.scope.bind(&name.name, Binding::Tabular(input.clone()));
                Ok(input)
            }
            OperatorKind::GetSchema => self.plan_getschema(&input, span),
            OperatorKind::Serialize(items) => {
                if items.is_empty() {
                    Ok(input)
                } else {
                    self.plan_extend(input, items)
                }
            }
            OperatorKind::Parse { kind, flags, expr, parts, filter } => self.plan_parse(input, *kind, flags, expr, parts, *filter, span),
            OperatorKind::ParseKv { expr, keys, options } => self.plan_parse_kv(input, expr, keys, options, span),
            OperatorKind::ProjectByNames(args) => self.plan_project_by_names(input, args, span),
            OperatorKind::Render { chart, properties } => {
                let mut rendered = Vec::with_capacity(properties.len());
                for (name, value) in properties {
                    rendered.push((name.name.clone(), literal::option_text(value)?));
                }
                self.visualization = Some(Visualization { chart: chart.name.clone(), properties: rendered });
                Ok(input)
            }
            OperatorKind::Invoke { name, args } => self.plan_tabular_call(name, args, Some(input), span),
        }
    }

    fn plan_where(&mut self, input: LogicalPlan, predicate: &ast::Expr) -> Result<LogicalPlan> {
        let typed = self.plan_scalar(predicate, &input)?;
        let condition = self.to_boolean(typed, predicate.span, "where")?;
        LogicalPlanBuilder::from(input).filter(condition).at(predicate.span)?.build().at(predicate.span)
    }

    /// A predicate as a boolean expression: dynamic values convert, other types are an error.
    pub(crate) fn to_boolean(&self, typed: TypedExpr, span: Span, operator: &str) -> Result<Expr> {
        match KustoType::from_arrow(&typed.data_type) {
            Some(KustoType::Bool) => Ok(typed.expr),
            Some(KustoType::Dynamic) => tarn_functions::plan_convert(typed, KustoType::Bool).at(span),
            _ if typed.data_type == DataType::Null => Ok(lit(ScalarValue::Boolean(None))),
            other => Err(PlanError::semantic(
                format!(
                    "'{operator}' operator: the predicate must be a bool, not {}",
                    other.map(KustoType::name).unwrap_or("an unknown type")
                ),
                span,
            )),
        }
    }

    fn plan_project(&mut self, input: LogicalPlan, items: &[NamedExpr], span: Span) -> Result<LogicalPlan> {
        let mut input = input;
        for item in items {
            if crate::window::has_window_call(&item.expr) {
                input = self.materialize_windows(input, &item.expr)?;
            }
        }
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for item in items {
            if item.names.len() > 1 {
                return Err(PlanError::unsupported("assigning one expression to several columns", item.span));
            }
            let typed = self.plan_scalar(&item.expr, &input)?;
            let name = match item.names.first() {
                Some(ident) => ident.name.clone(),
                None => natural_name(&item.expr).unwrap_or_else(|| next_column_name(&names)),
            };
            let name = unique_name(&name, &names);
            names.push(name.clone());
            outputs.push((typed.expr, name));
        }
        project(input, outputs, span)
    }

    /// `extend`: each item sees the columns the previous ones added; a name that exists replaces
    /// that column in place.
    pub(crate) fn plan_extend(&mut self, input: LogicalPlan, items: &[NamedExpr]) -> Result<LogicalPlan> {
        let mut plan = input;
        for item in items {
            if item.names.len() > 1 {
                return Err(PlanError::unsupported("assigning one expression to several columns", item.span));
            }
            if crate::window::has_window_call(&item.expr) {
                plan = self.materialize_windows(plan, &item.expr)?;
            }
            let typed = self.plan_scalar(&item.expr, &plan)?;
            let existing = field_names(&plan);
            let name = match item.names.first() {
                Some(ident) => ident.name.clone(),
                None => natural_name(&item.expr).unwrap_or_else(|| next_column_name(&existing)),
            };
            let mut outputs: Vec<(Expr, String)> = Vec::with_capacity(existing.len() + 1);
            let mut replaced = false;
            for current in &existing {
                if *current == name {
                    outputs.push((typed.expr.clone(), name.clone()));
                    replaced = true;
                } else {
                    outputs.push((column(current), current.clone()));
                }
            }
            if !replaced {
                outputs.push((typed.expr, name));
            }
            plan = project(plan, outputs, item.span)?;
        }
        match items.first() {
            Some(first) => crate::window::drop_window_columns(plan, first.span),
            None => Ok(plan),
        }
    }

    fn plan_project_rename(&mut self, input: LogicalPlan, pairs: &[(ast::Ident, ast::Ident)], span: Span) -> Result<LogicalPlan> {
        let names = field_names(&input);
        for (_, old) in pairs {
            if !names.contains(&old.name) {
                return Err(unknown_column(&old.name, "project-rename", old.span));
            }
        }
        let outputs: Vec<(Expr, String)> = names
            .iter()
            .map(|name| {
                let new_name = pairs
                    .iter()
                    .find(|(_, old)| old.name == *name)
                    .map(|(new, _)| new.name.clone())
                    .unwrap_or_else(|| name.clone());
                (column(name), new_name)
            })
            .collect();
        project(input, outputs, span)
    }

    /// A row count argument (`take`, `top`): a non-negative constant.
    pub(crate) fn row_count(&mut self, expr: &ast::Expr) -> Result<usize> {
        let value = self.constant_scalar(expr)?;
        let count = match value {
            ScalarValue::Int64(Some(count)) => count,
            ScalarValue::Int32(Some(count)) => i64::from(count),
            _ => return Err(PlanError::semantic("expected a constant row count", expr.span)),
        };
        usize::try_from(count).map_err(|_| PlanError::semantic("the row count must not be negative", expr.span))
    }

    pub(crate) fn sort_exprs(&mut self, input: &LogicalPlan, keys: &[SortKey]) -> Result<Vec<SortExpr>> {
        let mut sorts = Vec::with_capacity(keys.len());
        for key in keys {
            let typed = self.plan_scalar(&key.expr, input)?;
            let ascending = !key.descending;
            // Kusto: nulls last when descending, first when ascending, unless stated.
            let nulls_first = key.nulls_first.unwrap_or(ascending);
            sorts.push(typed.expr.sort(ascending, nulls_first));
        }
        Ok(sorts)
    }

    fn plan_getschema(&self, input: &LogicalPlan, span: Span) -> Result<LogicalPlan> {
        use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
        use datafusion::arrow::datatypes::{Field, Schema};
        use std::sync::Arc;
        let columns = field_types(input);
        let types: Vec<KustoType> = columns
            .iter()
            .map(|(_, data_type)| KustoType::from_arrow(data_type).unwrap_or(KustoType::String))
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("ColumnName", DataType::Utf8, true),
            Field::new("ColumnOrdinal", DataType::Int32, true),
            Field::new("DataType", DataType::Utf8, true),
            Field::new("ColumnType", DataType::Utf8, true),
        ]));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(columns.iter().map(|(name, _)| name.as_str()))),
            Arc::new(Int32Array::from_iter_values(0..columns.len() as i32)),
            Arc::new(StringArray::from_iter_values(types.iter().map(|t| t.clr_name()))),
            Arc::new(StringArray::from_iter_values(types.iter().map(|t| t.name()))),
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).at(span)?;
        self.plan_batches(schema, vec![batch], span)
    }

    /// `parse`: one regular expression built from the pattern, one `extract` per column.
    #[allow(clippy::too_many_arguments)]
    fn plan_parse(
        &mut self,
        input: LogicalPlan,
        kind: ParseKind,
        flags: &str,
        source: &ast::Expr,
        parts: &[ParsePart],
        filter: bool,
        span: Span,
    ) -> Result<LogicalPlan> {
        let text = self.plan_text(source, &input, span)?;
        // kind=regex flags go inline; `U` is Rust's swap-greed flag as well.
        let mut pattern = if flags.is_empty() { String::from("^") } else { format!("(?{flags})^") };
        // (name, type, capture group number): literal regex text may hold groups of its own.
        let mut columns: Vec<(String, Option<KustoType>, usize)> = Vec::new();
        let mut groups = 0usize;
        for (index, part) in parts.iter().enumerate() {
            let is_last = index + 1 == parts.len();
            match part {
                ParsePart::Literal(text) => match kind {
                    ParseKind::Regex => {
                        let compiled = regex::Regex::new(text)
                            .map_err(|error| PlanError::semantic(format!("parse: invalid regular expression '{text}': {error}"), span))?;
                        groups += compiled.captures_len() - 1;
                        pattern.push_str(text);
                    }
                    _ => pattern.push_str(&regex_escape(text)),
                },
                ParsePart::Star => pattern.push_str(if is_last { ".*" } else { ".*?" }),
                ParsePart::Column { name, ty } => {
                    let kusto_type = ty.map(literal::kusto_type);
                    // kind=relaxed: a typed value that does not convert is null, and the rest of the
                    // row still parses, so its group takes any text.
                    let typed_group = kind != ParseKind::Relaxed;
                    let group = match kusto_type {
                        Some(KustoType::Long) | Some(KustoType::Int) if typed_group => r"(-?\d+)".to_string(),
                        Some(KustoType::Real) if typed_group => r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)".to_string(),
                        _ if is_last => "(.*)".to_string(),
                        _ => "(.*?)".to_string(),
                    };
                    pattern.push_str(&group);
                    groups += 1;
                    columns.push((name.name.clone(), kusto_type, groups));
                }
            }
        }
        if matches!(kind, ParseKind::Simple) && !matches!(parts.last(), Some(ParsePart::Star) | Some(ParsePart::Column { .. })) {
            pattern.push('$');
        }
        let mut plan = input;
        if filter {
            // parse-where: only rows whose text matches the whole pattern (typed parts included).
            let args = vec![text.clone(), TypedExpr { expr: lit(pattern.clone()), data_type: DataType::Utf8 }];
            let [text_arg, pattern_arg] = <[TypedExpr; 2]>::try_from(args).map_err(|_| PlanError::semantic("parse-where", span))?;
            let matches = tarn_functions::plan_string_operator(tarn_functions::StringOperator::MatchesRegex, false, true, text_arg, pattern_arg)
                .at(span)?;
            plan = LogicalPlanBuilder::from(plan).filter(matches).at(span)?.build().at(span)?;
        }
        for (name, kusto_type, group) in &columns {
            let args = vec![
                TypedExpr { expr: lit(pattern.clone()), data_type: DataType::Utf8 },
                TypedExpr { expr: lit(*group as i64), data_type: DataType::Int64 },
                text.clone(),
            ];
            let extracted = tarn_functions::plan_scalar("extract", args, &self.functions).at(span)?;
            let value = match kusto_type {
                Some(kusto_type) if *kusto_type != KustoType::String => {
                    tarn_functions::plan_convert(TypedExpr { expr: extracted, data_type: DataType::Utf8 }, *kusto_type).at(span)?
                }
                _ => extracted,
            };
            let existing = field_names(&plan);
            let mut outputs: Vec<(Expr, String)> = existing
                .iter()
                .filter(|current| *current != name)
                .map(|current| (column(current), current.clone()))
                .collect();
            outputs.push((value, name.clone()));
            plan = project(plan, outputs, span)?;
        }
        Ok(plan)
    }
}

impl Planner<'_> {
    /// The text `parse` and `parse-kv` read: `source` as a string (other types are converted).
    fn plan_text(&mut self, source: &ast::Expr, input: &LogicalPlan, span: Span) -> Result<TypedExpr> {
        let text = self.plan_scalar(source, input)?;
        if KustoType::from_arrow(&text.data_type) == Some(KustoType::String) {
            return Ok(text);
        }
        Ok(TypedExpr { expr: tarn_functions::plan_convert(text, KustoType::String).at(span)?, data_type: DataType::Utf8 })
    }

    /// `parse-kv`: one column per key, converted to the key's type; a missing key is null (an
    /// empty string for string columns). An existing column of the same name is replaced.
    fn plan_parse_kv(
        &mut self,
        input: LogicalPlan,
        source: &ast::Expr,
        keys: &[(ast::Ident, ast::TypeName)],
        options: &[(ast::Ident, ast::Expr)],
        span: Span,
    ) -> Result<LogicalPlan> {
        let text = self.plan_text(source, &input, span)?;
        let mut pairs = Vec::with_capacity(options.len());
        for (name, value) in options {
            pairs.push((name.name.clone(), literal::option_text(value)?));
        }
        let parsed = tarn_functions::ParseKvOptions::from_pairs(&pairs).at(span)?;
        let mut outputs: Vec<(Expr, String)> = Vec::new();
        let mut added: Vec<String> = Vec::new();
        for (key, type_name) in keys {
            let value = tarn_functions::plan_parse_kv_value(text.clone(), &key.name, &parsed).at(key.span)?;
            let kusto_type = literal::kusto_type(*type_name);
            let value = match kusto_type {
                KustoType::String => datafusion::functions::expr_fn::coalesce(vec![value, lit("")]),
                other => tarn_functions::plan_convert(TypedExpr { expr: value, data_type: DataType::Utf8 }, other).at(key.span)?,
            };
            outputs.push((value, key.name.clone()));
            added.push(key.name.clone());
        }
        let mut columns: Vec<(Expr, String)> =
            field_names(&input).into_iter().filter(|name| !added.contains(name)).map(|name| (column(&name), name)).collect();
        columns.extend(outputs);
        project(input, columns, span)
    }

    /// `project-by-names`: the columns named by each argument, in argument order; names that do
    /// not exist are skipped, as are repeats.
    fn plan_project_by_names(&mut self, input: LogicalPlan, args: &[ast::Expr], span: Span) -> Result<LogicalPlan> {
        let names = field_names(&input);
        let mut selected: Vec<String> = Vec::new();
        for arg in args {
            for wanted in self.column_name_list(arg)? {
                let matched: Vec<&String> = if wanted.contains('*') {
                    names.iter().filter(|name| wildcard_match(&wanted, name)).collect()
                } else {
                    names.iter().filter(|name| **name == wanted).collect()
                };
                for name in matched {
                    if !selected.contains(name) {
                        selected.push(name.clone());
                    }
                }
            }
        }
        let outputs = selected.into_iter().map(|name| (column(&name), name)).collect();
        project(input, outputs, span)
    }

    /// A `project-by-names` argument as names: a string (possibly a wildcard), a dynamic array of
    /// strings, `column_names_of(T)`, or a `let`/parameter bound to one of those.
    fn column_name_list(&mut self, arg: &ast::Expr) -> Result<Vec<String>> {
        use tarn_kql::ast::{ExprKind, Literal};
        let not_names = || PlanError::semantic("project-by-names expects column names: a string, a dynamic array of strings or column_names_of(T)", arg.span);
        match &arg.kind {
            ExprKind::Literal(Literal::String(name)) => Ok(vec![name.clone()]),
            ExprKind::Literal(Literal::Dynamic(raw)) => {
                let json = literal::dynamic_json(raw, arg.span)?;
                json_names(json.as_deref()).ok_or_else(not_names)
            }
            ExprKind::Call { name, args } if name.name == "column_names_of" => {
                let [table] = args.as_slice() else {
                    return Err(PlanError::semantic("column_names_of expects one tabular argument", arg.span));
                };
                let plan = self.plan_tabular(table)?;
                Ok(field_names(&plan))
            }
            _ => {
                let typed = self.plan_constant(arg)?;
                match typed.expr {
                    Expr::Literal(ScalarValue::Utf8(Some(name)), _) => Ok(vec![name]),
                    Expr::Literal(ScalarValue::LargeUtf8(json), _) => json_names(json.as_deref()).ok_or_else(not_names),
                    _ => Err(not_names()),
                }
            }
        }
    }
}

/// The strings of a JSON array (null is no names); `None` when it is not an array of strings.
fn json_names(json: Option<&str>) -> Option<Vec<String>> {
    let Some(json) = json else { return Some(Vec::new()) };
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Array(items) => items.into_iter().map(|item| item.as_str().map(str::to_string)).collect(),
        serde_json::Value::String(name) => Some(vec![name]),
        _ => None,
    }
}

/// `Column1`, `Column2`, ...: the first not yet taken.
pub(crate) fn next_column_name(taken: &[String]) -> String {
    let mut number = 1;
    loop {
        let candidate = format!("Column{number}");
        if !taken.contains(&candidate) {
            return candidate;
        }
        number += 1;
    }
}

/// The columns matched by `project-away`/`project-keep` patterns; a plain name must exist.
fn match_patterns(names: &[String], patterns: &[ColumnPattern], operator: &str) -> Result<Vec<String>> {
    let mut matched = Vec::new();
    for pattern in patterns {
        if pattern.pattern.contains('*') {
            matched.extend(names.iter().filter(|name| wildcard_match(&pattern.pattern, name)).cloned());
        } else if names.contains(&pattern.pattern) {
            matched.push(pattern.pattern.clone());
        } else {
            return Err(unknown_column(&pattern.pattern, operator, pattern.span));
        }
    }
    Ok(matched)
}

fn plan_project_reorder(input: LogicalPlan, patterns: &[(ColumnPattern, Option<bool>)], span: Span) -> Result<LogicalPlan> {
    let names = field_names(&input);
    let mut ordered: Vec<String> = Vec::new();
    for (pattern, ascending) in patterns {
        let mut group: Vec<String> = if pattern.pattern.contains('*') {
            names.iter().filter(|name| wildcard_match(&pattern.pattern, name) && !ordered.contains(name)).cloned().collect()
        } else if names.contains(&pattern.pattern) {
            vec![pattern.pattern.clone()]
        } else {
            return Err(unknown_column(&pattern.pattern, "project-reorder", pattern.span));
        };
        match ascending {
            Some(true) => group.sort(),
            Some(false) => group.sort_by(|a, b| b.cmp(a)),
            None => {}
        }
        for name in group {
            if !ordered.contains(&name) {
                ordered.push(name);
            }
        }
    }
    for name in &names {
        if !ordered.contains(name) {
            ordered.push(name.clone());
        }
    }
    let outputs = ordered.into_iter().map(|name| (column(&name), name)).collect();
    project(input, outputs, span)
}

/// `*` matches any run of characters; everything else literally.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (index, piece) in pieces.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(piece) {
                Some(after) => rest = after,
                None => return false,
            }
        } else if index + 1 == pieces.len() {
            return rest.ends_with(piece);
        } else {
            match rest.find(piece) {
                Some(position) => rest = &rest[position + piece.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty() || pattern.ends_with('*')
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    /// Proves wildcard patterns of project-away/keep/reorder match as Kusto's do.
    #[test]
    fn wildcards() {
        assert!(wildcard_match("a*", "abc"));
        assert!(wildcard_match("*c", "abc"));
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("*", "x"));
        assert!(!wildcard_match("a*", "ba"));
        assert!(!wildcard_match("a*c", "abcd"));
        assert!(wildcard_match("abc", "abc"));
        assert!(!wildcard_match("ab", "abc"));
    }
}
