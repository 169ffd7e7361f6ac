//! Kusto's rules for naming output columns that the query does not name.

use tarn_kql::ast::{Expr, ExprKind};

/// The name Kusto gives `expr` when it stands alone in `project`/`extend`/`summarize by`: a column
/// keeps its name, `d.a.b` becomes `d_a_b`, `bin(x, ...)`-like roundings keep `x`; anything else has
/// no natural name (`None`, and the caller numbers it `Column1`, `print_0`, ...).
pub(crate) fn natural_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(ident) => Some(ident.name.clone()),
        ExprKind::Member { base, name } => natural_name(base).map(|base| format!("{base}_{}", name.name)),
        ExprKind::Index { base, index } => match (&index.kind, natural_name(base)) {
            (ExprKind::Literal(tarn_kql::ast::Literal::String(key)), Some(base)) => Some(format!("{base}_{key}")),
            (ExprKind::Literal(tarn_kql::ast::Literal::Long(Some(i))), Some(base)) => Some(format!("{base}_{i}")),
            _ => None,
        },
        ExprKind::Call { name, args } if is_rounding(&name.name) => args.first().and_then(natural_name),
        _ => None,
    }
}

fn is_rounding(function: &str) -> bool {
    matches!(function, "bin" | "floor" | "bin_at" | "bin_auto")
}

/// Kusto's default name for an aggregate: `count_`, `sum_x`, `dcount_x`, `percentile_x_95`...
pub(crate) fn aggregate_name(function: &str, args: &[Expr]) -> String {
    let prefix = match function {
        "make_list" | "makelist" | "make_list_if" | "make_list_with_nulls" => "list",
        "make_set" | "makeset" | "make_set_if" => "set",
        "make_bag" | "make_bag_if" => "bag",
        "take_any" | "any" | "take_anyif" | "anyif" => "any",
        "count" if args.is_empty() => return "count_".to_string(),
        other => other,
    };
    let column = args.first().and_then(natural_name).unwrap_or_default();
    format!("{prefix}_{column}")
}

/// Makes `name` unique among `taken` the way Kusto does: `x`, `x1`, `x2`, ...
pub(crate) fn unique_name(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|existing| existing == name) {
        return name.to_string();
    }
    let mut suffix = 1;
    loop {
        let candidate = format!("{name}{suffix}");
        if !taken.iter().any(|existing| *existing == candidate) {
            return candidate;
        }
        suffix += 1;
    }
}
