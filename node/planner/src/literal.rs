//! Literals to Arrow scalars, and the few places where text must be read as a typed value
//! (query parameters, `set` values).

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, lit};
use tarn_common::KustoType;
use tarn_common::text::parse;
use tarn_kql::ast::{self, ExprKind, Literal, Span, TypeName, UnaryOp};

use crate::error::{PlanError, Result};

pub(crate) fn kusto_type(type_name: TypeName) -> KustoType {
    match type_name {
        TypeName::Bool => KustoType::Bool,
        TypeName::Int => KustoType::Int,
        TypeName::Long => KustoType::Long,
        TypeName::Real => KustoType::Real,
        TypeName::Decimal => KustoType::Decimal,
        TypeName::String => KustoType::String,
        TypeName::DateTime => KustoType::DateTime,
        TypeName::TimeSpan => KustoType::TimeSpan,
        TypeName::Guid => KustoType::Guid,
        TypeName::Dynamic => KustoType::Dynamic,
    }
}

pub(crate) fn scalar_value(literal: &Literal, span: Span) -> Result<ScalarValue> {
    Ok(match literal {
        Literal::Bool(value) => ScalarValue::Boolean(*value),
        Literal::Int(value) => ScalarValue::Int32(*value),
        Literal::Long(value) => ScalarValue::Int64(*value),
        Literal::Real(value) => ScalarValue::Float64(*value),
        Literal::String(value) => ScalarValue::Utf8(Some(value.clone())),
        Literal::DateTime(None) => ScalarValue::TimestampNanosecond(None, Some("UTC".into())),
        Literal::DateTime(Some(raw)) => {
            // `datetime("2015-12-31")` and `datetime('...')` quote the text; Kusto accepts both.
            let trimmed = raw.trim();
            let unquoted = ['"', '\''].iter().find_map(|quote| trimmed.strip_prefix(*quote).and_then(|rest| rest.strip_suffix(*quote))).unwrap_or(trimmed);
            let nanos = parse::parse_datetime(unquoted).ok_or_else(|| {
                PlanError::semantic(format!("'{raw}' is not a valid datetime literal (the supported range is 1677-09-22 to 2262-04-11)"), span)
            })?;
            ScalarValue::TimestampNanosecond(Some(nanos), Some("UTC".into()))
        }
        Literal::TimeSpan(value) => ScalarValue::DurationNanosecond(*value),
        Literal::Decimal(None) => ScalarValue::Decimal128(None, 38, 18),
        Literal::Decimal(Some(raw)) => {
            let value = parse::parse_decimal(raw)
                .ok_or_else(|| PlanError::semantic(format!("'{raw}' is not a valid decimal literal"), span))?;
            ScalarValue::Decimal128(Some(value), 38, 18)
        }
        Literal::Guid(None) => ScalarValue::FixedSizeBinary(16, None),
        Literal::Guid(Some(raw)) => {
            let bytes = parse::parse_guid(raw)
                .ok_or_else(|| PlanError::semantic(format!("'{raw}' is not a valid guid literal"), span))?;
            ScalarValue::FixedSizeBinary(16, Some(bytes.to_vec()))
        }
        Literal::Dynamic(raw) => match dynamic_json(raw, span)? {
            None => ScalarValue::LargeUtf8(None),
            Some(json) => ScalarValue::LargeUtf8(Some(json)),
        },
    })
}

/// A `dynamic(...)` literal's text as compact JSON; `None` for `dynamic(null)`.
/// Kusto also accepts single-quoted strings inside dynamic literals.
pub(crate) fn dynamic_json(raw: &str, span: Span) -> Result<Option<String>> {
    let trimmed = raw.trim();
    let parsed: serde_json::Value = match serde_json::from_str(trimmed) {
        Ok(value) => value,
        Err(_) => serde_json::from_str(&single_to_double_quotes(trimmed))
            .map_err(|error| PlanError::semantic(format!("invalid dynamic literal: {error}"), span))?,
    };
    if parsed.is_null() {
        return Ok(None);
    }
    Ok(Some(parsed.to_string()))
}

/// Rewrites `'...'` strings as `"..."` strings, escaping any `"` inside them.
fn single_to_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_single = false;
    let mut in_double = false;
    let mut escaped = false;
    for character in text.chars() {
        if escaped {
            out.push(character);
            escaped = false;
            continue;
        }
        match character {
            '\\' => {
                out.push(character);
                escaped = true;
            }
            '\'' if !in_double => {
                in_single = !in_single;
                out.push('"');
            }
            '"' if in_single => out.push_str("\\\""),
            '"' => {
                in_double = !in_double;
                out.push('"');
            }
            _ => out.push(character),
        }
    }
    out
}

/// A literal or a negated numeric literal, as a scalar (datatable cells).
pub(crate) fn constant_value(expr: &ast::Expr) -> Result<ScalarValue> {
    match &expr.kind {
        ExprKind::Literal(literal) => scalar_value(literal, expr.span),
        ExprKind::Unary { op, operand } => {
            let value = constant_value(operand)?;
            match op {
                UnaryOp::Plus => Ok(value),
                UnaryOp::Neg => value
                    .arithmetic_negate()
                    .map_err(|_| PlanError::semantic("cannot negate this value", expr.span)),
            }
        }
        _ => Err(PlanError::semantic("expected a literal value", expr.span)),
    }
}

/// The text of an option value in `set name = value`.
pub(crate) fn option_text(expr: &ast::Expr) -> Result<String> {
    match &expr.kind {
        ExprKind::Literal(literal) => crate::statement::literal_text(literal)
            .ok_or_else(|| PlanError::semantic("expected a non-null literal value", expr.span)),
        ExprKind::Name(ident) => Ok(ident.name.clone()),
        ExprKind::Unary { op: UnaryOp::Neg, operand } => Ok(format!("-{}", option_text(operand)?)),
        _ => Err(PlanError::semantic("expected a literal value", expr.span)),
    }
}

/// A query parameter's value as sent by a client, read as `kusto_type`. Clients differ: Python and
/// Node send raw text (`dev-1`, `2024-01-01`), Go sends KQL literals (`'dev-1'`, `datetime(2024-01-01)`).
pub(crate) fn parameter_value(raw: &str, kusto_type: KustoType, span: Span) -> Result<Expr> {
    let text = raw.trim();
    let literal_inner = |prefixes: &[&str]| -> Option<&str> {
        prefixes.iter().find_map(|prefix| {
            text.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('(')).and_then(|rest| rest.strip_suffix(')'))
        })
    };
    let invalid = || PlanError::semantic(format!("query parameter value '{raw}' is not a valid {}", kusto_type.name()), span);
    let value = match kusto_type {
        KustoType::String => {
            let unquoted = ['\'', '"'].iter().find_map(|quote| {
                text.strip_prefix(*quote).and_then(|rest| rest.strip_suffix(*quote)).filter(|_| text.len() >= 2)
            });
            ScalarValue::Utf8(Some(unquoted.unwrap_or(raw).to_string()))
        }
        KustoType::Long => ScalarValue::Int64(Some(
            literal_inner(&["long"]).unwrap_or(text).trim().parse().map_err(|_| invalid())?,
        )),
        KustoType::Int => ScalarValue::Int32(Some(
            literal_inner(&["int"]).unwrap_or(text).trim().parse().map_err(|_| invalid())?,
        )),
        KustoType::Real => ScalarValue::Float64(Some(
            parse::parse_real(literal_inner(&["real", "double"]).unwrap_or(text)).ok_or_else(invalid)?,
        )),
        KustoType::Bool => ScalarValue::Boolean(Some(
            parse::parse_bool(literal_inner(&["bool", "boolean"]).unwrap_or(text)).ok_or_else(invalid)?,
        )),
        KustoType::DateTime => ScalarValue::TimestampNanosecond(
            Some(parse::parse_datetime(literal_inner(&["datetime", "date"]).unwrap_or(text)).ok_or_else(invalid)?),
            Some("UTC".into()),
        ),
        KustoType::TimeSpan => ScalarValue::DurationNanosecond(Some(
            parse::parse_timespan(literal_inner(&["timespan", "time"]).unwrap_or(text)).ok_or_else(invalid)?,
        )),
        KustoType::Decimal => ScalarValue::Decimal128(
            Some(parse::parse_decimal(literal_inner(&["decimal"]).unwrap_or(text)).ok_or_else(invalid)?),
            38,
            18,
        ),
        KustoType::Guid => ScalarValue::FixedSizeBinary(
            16,
            Some(parse::parse_guid(literal_inner(&["guid", "uuid"]).unwrap_or(text)).ok_or_else(invalid)?.to_vec()),
        ),
        KustoType::Dynamic => match dynamic_json(literal_inner(&["dynamic"]).unwrap_or(text), span)? {
            Some(json) => ScalarValue::LargeUtf8(Some(json)),
            None => ScalarValue::LargeUtf8(None),
        },
    };
    Ok(lit(value))
}
