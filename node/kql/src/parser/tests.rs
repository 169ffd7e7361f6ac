//! Parser tests. Trees are compared through a compact, span-free rendering (`(a + 1)`,
//! `where((x > 1))`) so each test states the whole shape it expects; spans have their own tests.

// Tests panic to fail; that is their job.
#![allow(clippy::panic, clippy::unwrap_used)]

use crate::ast::*;
use crate::command::{CommandKind, RetentionOrMerge};
use crate::{Diagnostic, parse_command, parse_query};

fn literal(literal: &Literal) -> String {
    fn or_null<T: std::fmt::Display>(value: &Option<T>) -> String {
        value
            .as_ref()
            .map_or("null".to_string(), |value| value.to_string())
    }
    match literal {
        Literal::Bool(value) => or_null(value),
        Literal::Int(value) => format!("int({})", or_null(value)),
        Literal::Long(value) => or_null(value),
        Literal::Real(value) => format!("real({})", or_null(value)),
        Literal::Decimal(value) => format!("decimal({})", or_null(value)),
        Literal::String(value) => format!("{value:?}"),
        Literal::DateTime(value) => format!("datetime({})", or_null(value)),
        Literal::TimeSpan(value) => format!("timespan({})", or_null(value)),
        Literal::Guid(value) => format!("guid({})", or_null(value)),
        Literal::Dynamic(value) => format!("dynamic({value})"),
    }
}

fn binary_op(op: &BinaryOp) -> String {
    let symbol = match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Eq => "==",
        BinaryOp::NotEq => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::EqTilde => "=~",
        BinaryOp::NotEqTilde => "!~",
        BinaryOp::And => "and",
        BinaryOp::Or => "or",
        BinaryOp::Str {
            op,
            negated,
            case_sensitive,
        } => {
            let name = match op {
                StrOp::Has => "has",
                StrOp::HasPrefix => "hasprefix",
                StrOp::HasSuffix => "hassuffix",
                StrOp::Contains => "contains",
                StrOp::StartsWith => "startswith",
                StrOp::EndsWith => "endswith",
                StrOp::MatchesRegex => "matches_regex",
            };
            let bang = if *negated { "!" } else { "" };
            let cs = if *case_sensitive && *op != StrOp::MatchesRegex {
                "_cs"
            } else {
                ""
            };
            return format!("{bang}{name}{cs}");
        }
    };
    symbol.to_string()
}

fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(render).collect::<Vec<_>>().join(", ")
}

fn named(named: &NamedExpr) -> String {
    match named.names.len() {
        0 => render(&named.expr),
        1 => format!("{} = {}", named.names[0].name, render(&named.expr)),
        _ => {
            let names: Vec<&str> = named.names.iter().map(|name| name.name.as_str()).collect();
            format!("({}) = {}", names.join(", "), render(&named.expr))
        }
    }
}

fn named_list(list: &[NamedExpr]) -> String {
    list.iter().map(named).collect::<Vec<_>>().join(", ")
}

fn columns(columns: &[ColumnDecl]) -> String {
    columns
        .iter()
        .map(|column| format!("{}:{}", column.name.name, column.ty.kusto_name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sort_keys(keys: &[SortKey]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|key| {
            let order = if key.descending { "desc" } else { "asc" };
            let nulls = match key.nulls_first {
                None => "",
                Some(true) => " nulls first",
                Some(false) => " nulls last",
            };
            format!("{} {order}{nulls}", render(&key.expr))
        })
        .collect();
    keys.join(", ")
}

fn join_on(on: &[JoinOn]) -> String {
    let conditions: Vec<String> = on
        .iter()
        .map(|condition| match condition {
            JoinOn::Column(name) => name.name.clone(),
            JoinOn::Equal { left, right } => format!("{} == {}", render(left), render(right)),
        })
        .collect();
    conditions.join(", ")
}

fn union(spec: &UnionSpec) -> String {
    let source = spec
        .with_source
        .as_ref()
        .map_or(String::new(), |name| format!("withsource={} ", name.name));
    let kind = if spec.inner { "inner " } else { "" };
    format!("union({source}{kind}{})", list(&spec.tables))
}

fn operator(operator: &Operator) -> String {
    let patterns = |patterns: &[ColumnPattern]| {
        patterns
            .iter()
            .map(|p| p.pattern.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &operator.kind {
        OperatorKind::Where(expr) => format!("where({})", render(expr)),
        OperatorKind::Project(list) => format!("project({})", named_list(list)),
        OperatorKind::ProjectAway(list) => format!("project-away({})", patterns(list)),
        OperatorKind::ProjectKeep(list) => format!("project-keep({})", patterns(list)),
        OperatorKind::ProjectRename(pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(new, old)| format!("{} = {}", new.name, old.name))
                .collect();
            format!("project-rename({})", pairs.join(", "))
        }
        OperatorKind::ProjectReorder(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|(pattern, order)| match order {
                    None => pattern.pattern.clone(),
                    Some(true) => format!("{} asc", pattern.pattern),
                    Some(false) => format!("{} desc", pattern.pattern),
                })
                .collect();
            format!("project-reorder({})", items.join(", "))
        }
        OperatorKind::Extend(list) => format!("extend({})", named_list(list)),
        OperatorKind::Summarize { aggregates, by } => {
            format!(
                "summarize({} by {})",
                named_list(aggregates),
                named_list(by)
            )
        }
        OperatorKind::Take(expr) => format!("take({})", render(expr)),
        OperatorKind::Top { count, by } => format!("top({} by {})", render(count), sort_keys(by)),
        OperatorKind::Sort(keys) => format!("sort({})", sort_keys(keys)),
        OperatorKind::Distinct(exprs) => format!("distinct({})", list(exprs)),
        OperatorKind::Count => "count".to_string(),
        OperatorKind::Join { kind, right, on } => {
            let kind = kind.map_or("default".to_string(), |kind| format!("{kind:?}"));
            format!("join({kind} {} on {})", render(right), join_on(on))
        }
        OperatorKind::Lookup {
            kind_left_outer,
            right,
            on,
        } => {
            format!(
                "lookup(leftouter={kind_left_outer} {} on {})",
                render(right),
                join_on(on)
            )
        }
        OperatorKind::Union(spec) => union(spec),
        OperatorKind::MvExpand {
            items,
            with_itemindex,
            limit,
        } => {
            let items: Vec<String> = items
                .iter()
                .map(|item| {
                    let name = item
                        .name
                        .as_ref()
                        .map_or(String::new(), |name| format!("{} = ", name.name));
                    let to = item
                        .to_type
                        .map_or(String::new(), |ty| format!(" to {}", ty.kusto_name()));
                    format!("{name}{}{to}", render(&item.expr))
                })
                .collect();
            let index = with_itemindex
                .as_ref()
                .map_or(String::new(), |name| format!("index={} ", name.name));
            let limit = limit
                .as_ref()
                .map_or(String::new(), |limit| format!(" limit {}", render(limit)));
            format!("mv-expand({index}{}{limit})", items.join(", "))
        }
        OperatorKind::MvApply { items, subquery, .. } => {
            let items: Vec<String> = items.iter().map(|item| render(&item.expr)).collect();
            let ops: Vec<String> = subquery.iter().map(|inner| self::operator(inner)).collect();
            format!("mv-apply({} on {})", items.join(", "), ops.join(" | "))
        }
        OperatorKind::As(name) => format!("as({})", name.name),
        OperatorKind::GetSchema => "getschema".to_string(),
        OperatorKind::Serialize(list) => format!("serialize({})", named_list(list)),
        OperatorKind::ParseKv { expr, keys, options } => {
            let keys: Vec<String> = keys.iter().map(|(name, ty)| format!("{}:{}", name.name, ty.kusto_name())).collect();
            let options: Vec<String> = options.iter().map(|(name, value)| format!("{}={}", name.name, render(value))).collect();
            format!("parse-kv({} as {} with {})", render(expr), keys.join(", "), options.join(", "))
        }
        OperatorKind::ProjectByNames(args) => format!("project-by-names({})", list(args)),
        OperatorKind::Parse { kind, expr, parts, filter, .. } => {
            let parts: Vec<String> = parts
                .iter()
                .map(|part| match part {
                    ParsePart::Literal(text) => format!("{text:?}"),
                    ParsePart::Star => "*".to_string(),
                    ParsePart::Column { name, ty: None } => name.name.clone(),
                    ParsePart::Column { name, ty: Some(ty) } => {
                        format!("{}:{}", name.name, ty.kusto_name())
                    }
                })
                .collect();
            let name = if *filter { "parse-where" } else { "parse" };
            format!("{name}({kind:?} {} with {})", render(expr), parts.join(" "))
        }
        OperatorKind::Render { chart, properties } => {
            let properties: Vec<String> = properties
                .iter()
                .map(|(name, value)| format!("{}={}", name.name, render(value)))
                .collect();
            format!("render({} {})", chart.name, properties.join(", "))
        }
        OperatorKind::Invoke { name, args } => format!("invoke({}({}))", name.name, list(args)),
    }
}

fn render(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Literal(value) => literal(value),
        ExprKind::Name(name) => name.name.clone(),
        ExprKind::Member { base, name } => format!("{}.{}", render(base), name.name),
        ExprKind::Index { base, index } => format!("{}[{}]", render(base), render(index)),
        ExprKind::Call { name, args } => format!("{}({})", name.name, list(args)),
        ExprKind::Star => "*".to_string(),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => format!("(-{})", render(operand)),
        ExprKind::Unary {
            op: UnaryOp::Plus,
            operand,
        } => format!("(+{})", render(operand)),
        ExprKind::Binary { op, left, right } => {
            format!("({} {} {})", render(left), binary_op(op), render(right))
        }
        ExprKind::InList {
            expr,
            kind,
            negated,
            list: items,
        } => {
            let bang = if *negated { "!" } else { "" };
            let name = match kind {
                InKind::In => "in",
                InKind::InCaseInsensitive => "in~",
                InKind::HasAny => "has_any",
                InKind::HasAll => "has_all",
            };
            format!("({} {bang}{name} ({}))", render(expr), list(items))
        }
        ExprKind::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let bang = if *negated { "!" } else { "" };
            format!(
                "({} {bang}between {}..{})",
                render(expr),
                render(low),
                render(high)
            )
        }
        ExprKind::Pipeline { source, operators } => {
            let operators: Vec<String> = operators.iter().map(operator).collect();
            format!("{{{} | {}}}", render(source), operators.join(" | "))
        }
        ExprKind::Datatable {
            columns: decls,
            values,
        } => format!("datatable({})[{}]", columns(decls), list(values)),
        ExprKind::Range {
            column,
            from,
            to,
            step,
        } => {
            format!(
                "range {} from {} to {} step {}",
                column.name,
                render(from),
                render(to),
                render(step)
            )
        }
        ExprKind::Print { columns } => format!("print({})", named_list(columns)),
        ExprKind::Union(spec) => union(spec),
    }
}

fn query(text: &str) -> Query {
    parse_query(text).unwrap_or_else(|diagnostic| panic!("{text:?} failed to parse: {diagnostic}"))
}

/// The rendering of a one-statement query.
fn shape(text: &str) -> String {
    let parsed = query(text);
    match parsed.statements.as_slice() {
        [Statement::Expr(expr)] => render(expr),
        other => panic!("expected one expression statement, got {other:?}"),
    }
}

fn error(text: &str) -> Diagnostic {
    match parse_query(text) {
        Ok(parsed) => panic!("{text:?} parsed but should not have: {parsed:?}"),
        Err(diagnostic) => diagnostic,
    }
}

fn command(text: &str) -> CommandKind {
    parse_command(text)
        .unwrap_or_else(|diagnostic| panic!("{text:?} failed to parse: {diagnostic}"))
        .kind
}

fn command_error(text: &str) -> Diagnostic {
    match parse_command(text) {
        Ok(parsed) => panic!("{text:?} parsed but should not have: {parsed:?}"),
        Err(diagnostic) => diagnostic,
    }
}

// ---- expressions -------------------------------------------------------------------------------

// Proves the precedence ladder: or < and < comparison < additive < multiplicative < unary.
#[test]
fn precedence_and_associativity() {
    assert_eq!(
        shape("a or b and c == 1 + 2 * -3"),
        "(a or (b and (c == (1 + (2 * (-3))))))"
    );
    assert_eq!(shape("a - b - c"), "((a - b) - c)");
    assert_eq!(shape("a / b % c * d"), "(((a / b) % c) * d)");
    assert_eq!(shape("(a + b) * c"), "((a + b) * c)");
    assert_eq!(shape("a < b == c"), "((a < b) == c)");
    assert_eq!(shape("- + x"), "(-(+x))");
}

// Proves every comparison operator, including the two spellings of not-equal.
#[test]
fn comparison_operators() {
    assert_eq!(
        shape(
            "a == 1 and b != 2 and c <> 3 and d < 4 and e <= 5 and f > 6 and g >= 7 and h =~ 'x' and i !~ 'y'"
        ),
        "(((((((((a == 1) and (b != 2)) and (c != 3)) and (d < 4)) and (e <= 5)) and (f > 6)) and (g >= 7)) and (h =~ \"x\")) and (i !~ \"y\"))"
    );
}

// Proves the string operators, their negated (`!`) and case-sensitive (`_cs`) forms, and `matches regex`.
#[test]
fn string_operators() {
    let cases = [
        "has",
        "!has",
        "has_cs",
        "!has_cs",
        "hasprefix",
        "!hasprefix",
        "hasprefix_cs",
        "!hasprefix_cs",
        "hassuffix",
        "!hassuffix",
        "hassuffix_cs",
        "!hassuffix_cs",
        "contains",
        "!contains",
        "contains_cs",
        "!contains_cs",
        "startswith",
        "!startswith",
        "startswith_cs",
        "!startswith_cs",
        "endswith",
        "!endswith",
        "endswith_cs",
        "!endswith_cs",
    ];
    for op in cases {
        assert_eq!(
            shape(&format!("s {op} 'x'")),
            format!("(s {op} \"x\")"),
            "operator {op}"
        );
    }
    assert_eq!(shape("s matches regex '^a+'"), "(s matches_regex \"^a+\")");
}

// Proves string operator keywords are case-sensitive: `HAS` is not `has`, so `s HAS 'x'` is not a query.
#[test]
fn string_operators_are_case_sensitive() {
    let diagnostic = error("s HAS 'x'");
    assert_eq!(
        diagnostic.message,
        "expected ';' or the end of the query, found 'HAS'"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 3));
}

// Proves set membership: in, !in, in~, !in~, has_any, has_all, with a pipeline as an element.
#[test]
fn in_lists() {
    assert_eq!(shape("x in (1, 2)"), "(x in (1, 2))");
    assert_eq!(shape("x !in ('a')"), "(x !in (\"a\"))");
    assert_eq!(shape("x in~ ('a', 'B')"), "(x in~ (\"a\", \"B\"))");
    assert_eq!(shape("x !in~ ('a')"), "(x !in~ (\"a\"))");
    assert_eq!(shape("x has_any ('a', 'b')"), "(x has_any (\"a\", \"b\"))");
    assert_eq!(shape("x has_all ('a')"), "(x has_all (\"a\"))");
    assert_eq!(shape("x in (T | project y)"), "(x in ({T | project(y)}))");
}

// Proves `between` and `!between` take a `low .. high` range.
#[test]
fn between() {
    assert_eq!(shape("x between (1 .. 10)"), "(x between 1..10)");
    assert_eq!(shape("x !between (1..10)"), "(x !between 1..10)");
    assert_eq!(
        shape("t between (ago(1d) .. now())"),
        "(t between ago(timespan(86400000000000))..now())"
    );
}

// Proves postfix forms: member access, indexing, calls, `*` arguments, $left/$right.
#[test]
fn postfix_and_calls() {
    assert_eq!(shape("d.a.b[0]['k']"), "d.a.b[0][\"k\"]");
    assert_eq!(shape("count(*)"), "count(*)");
    assert_eq!(shape("f()"), "f()");
    assert_eq!(shape("not(isempty(x))"), "not(isempty(x))");
    assert_eq!(shape("toscalar(T | count)"), "toscalar({T | count})");
    assert_eq!(shape("$left.x == $right.y"), "($left.x == $right.y)");
    assert_eq!(shape("['a b'] + [\"c\"]"), "(a b + c)");
}

// Proves the literal forms: numbers, timespans, strings (with concatenation), booleans.
#[test]
fn plain_literals() {
    assert_eq!(
        shape("print 1, 1.5, .5, 1e3, 0x1F"),
        "print(1, real(1.5), real(0.5), real(1000), 31)"
    );
    assert_eq!(
        shape("print 1h, 1.5d, 30m, 100ms, 10s, 2microseconds, 5ticks"),
        "print(timespan(3600000000000), timespan(129600000000000), timespan(1800000000000), timespan(100000000), timespan(10000000000), timespan(2000), timespan(500))"
    );
    assert_eq!(
        shape(r#"print 'a' "b" @'c\d' ```e```"#),
        r#"print("abc\\de")"#
    );
    assert_eq!(shape("print true, false"), "print(true, false)");
}

// Proves typed literals read their raw contents: datetime/guid/dynamic keep text; numbers and
// timespans are interpreted; each accepts null.
#[test]
fn typed_literals() {
    assert_eq!(
        shape("print datetime(2024-01-01 10:00), date( 2024-01-02 ), datetime(null)"),
        "print(datetime(2024-01-01 10:00), datetime(2024-01-02), datetime(null))"
    );
    assert_eq!(
        shape(
            "print timespan(1.02:03:04.5), time(02:03:04), timespan(2d), timespan(15 seconds), timespan(3), timespan(null)"
        ),
        "print(timespan(93784500000000), timespan(7384000000000), timespan(172800000000000), timespan(15000000000), timespan(259200000000000), timespan(null))"
    );
    assert_eq!(
        shape("print guid(74be27de-1e4e-49d9-b579-fe0b331d3642), uuid(null), uniqueid(x)"),
        "print(guid(74be27de-1e4e-49d9-b579-fe0b331d3642), guid(null), guid(x))"
    );
    assert_eq!(
        shape(r#"print dynamic({"a": "(", "b": [1, 2]}), dynamic(null), dynamic([])"#),
        r#"print(dynamic({"a": "(", "b": [1, 2]}), dynamic(null), dynamic([]))"#
    );
    assert_eq!(
        shape(
            "print long(5), int(-1), int64(null), real(1.5), real(nan), real(+inf), real(-inf), double(null)"
        ),
        "print(5, int(-1), null, real(1.5), real(NaN), real(inf), real(-inf), real(null))"
    );
    assert_eq!(
        shape("print decimal(1.5), decimal(null), bool(true), boolean(false), bool(null)"),
        "print(decimal(1.5), decimal(null), true, false, null)"
    );
}

// Proves type names followed by `,` or `)` are plain names, not typed literals.
#[test]
fn type_names_are_names_outside_literals() {
    assert_eq!(shape("typeof(long)"), "typeof(long)");
    assert_eq!(shape("f(datetime, int)"), "f(datetime, int)");
}

// Proves typed literals with non-literal contents are diagnostics naming the contents.
#[test]
fn typed_literal_with_expression_is_an_error() {
    let diagnostic = error("print int(x)");
    assert_eq!(
        diagnostic.message,
        "expected an int literal inside 'int(...)', found 'x'"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 11));
    assert_eq!(
        error("print timespan(abc)").message,
        "expected a timespan literal inside 'timespan(...)', found 'abc'"
    );
    assert_eq!(
        error("print int(3000000000)").message,
        "expected an int literal inside 'int(...)', found '3000000000'"
    );
    assert_eq!(
        error("print dynamic([1, 2]").message,
        "expected ')' to close 'dynamic(', found end of input"
    );
}

// ---- sources -----------------------------------------------------------------------------------

// Proves datatable: typed columns, literal values incl. negatives and typed literals, trailing comma.
#[test]
fn datatable_source() {
    assert_eq!(
        shape(
            "datatable (a:int, ['b c']:string, d:datetime) [1, 'x', datetime(2024-01-01), -2, \"y\", datetime(null),]"
        ),
        "datatable(a:int, b c:string, d:datetime)[1, \"x\", datetime(2024-01-01), (-2), \"y\", datetime(null)]"
    );
    assert_eq!(
        shape("datatable(x:long, y:int64, z:bool)[]"),
        "datatable(x:long, y:long, z:bool)[]"
    );
}

// Proves `range x from a to b step c` is a source while `range(1, 5, 1)` stays a call.
#[test]
fn range_source_and_range_call() {
    assert_eq!(
        shape("range x from 1 to 10 step 2"),
        "range x from 1 to 10 step 2"
    );
    assert_eq!(
        shape("range t from ago(1h) to now() step 5m | count"),
        "{range t from ago(timespan(3600000000000)) to now() step timespan(300000000000) | count}"
    );
    assert_eq!(shape("print range(1, 5, 1)"), "print(range(1, 5, 1))");
}

// Proves print takes named and unnamed columns and ends at `|`.
#[test]
fn print_source() {
    assert_eq!(shape("print a = 1, 2"), "print(a = 1, 2)");
    assert_eq!(
        shape("print x = 1 | extend y = x"),
        "{print(x = 1) | extend(y = x)}"
    );
}

// Proves union as a source: withsource, kind, isfuzzy, names and parenthesised pipelines.
#[test]
fn union_source() {
    assert_eq!(
        shape("union withsource=Src kind=inner isfuzzy=true T1, (T2 | where x > 1)"),
        "union(withsource=Src inner T1, {T2 | where((x > 1))})"
    );
    assert_eq!(shape("union T1, T2 | count"), "{union(T1, T2) | count}");
}

// ---- operators ---------------------------------------------------------------------------------

// Proves where/filter take one expression and do not swallow the next `|`.
#[test]
fn where_operator() {
    assert_eq!(
        shape("T | where x > 1 | filter y"),
        "{T | where((x > 1)) | where(y)}"
    );
}

// Proves project, extend with names, tuples `(a, b) = ...` and bare expressions.
#[test]
fn project_and_extend() {
    assert_eq!(
        shape("T | project a, b = x + 1, ['c d'] = 2"),
        "{T | project(a, b = (x + 1), c d = 2)}"
    );
    assert_eq!(
        shape("T | extend (lo, hi) = f(x), z = 1, y"),
        "{T | extend((lo, hi) = f(x), z = 1, y)}"
    );
}

// Proves project-away/keep patterns, project-rename pairs and project-reorder orders.
#[test]
fn project_variants() {
    assert_eq!(
        shape("T | project-away a, b*, *_x, c*d"),
        "{T | project-away(a, b*, *_x, c*d)}"
    );
    assert_eq!(
        shape("T | project-keep ['a b'], z"),
        "{T | project-keep(a b, z)}"
    );
    assert_eq!(
        shape("T | project-rename new = old, n2 = ['o 2']"),
        "{T | project-rename(new = old, n2 = o 2)}"
    );
    assert_eq!(
        shape("T | project-reorder a, b asc, c* desc"),
        "{T | project-reorder(a, b asc, c* desc)}"
    );
}

// Proves summarize with aggregates, keys, hints, only keys, only aggregates.
#[test]
fn summarize_operator() {
    assert_eq!(
        shape("T | summarize hint.strategy=shuffle n = count(), avg(x) by k, bin(ts, 1h)"),
        "{T | summarize(n = count(), avg(x) by k, bin(ts, timespan(3600000000000)))}"
    );
    assert_eq!(shape("T | summarize by x"), "{T | summarize( by x)}");
    assert_eq!(
        shape("T | summarize count()"),
        "{T | summarize(count() by )}"
    );
    assert_eq!(
        shape("T | summarize (m, t) = arg_max(ts, *) by k"),
        "{T | summarize((m, t) = arg_max(ts, *) by k)}"
    );
}

// Proves take/limit, top with order and nulls, sort/order with several keys (default desc).
#[test]
fn take_top_sort() {
    assert_eq!(shape("T | take 5 | limit 2"), "{T | take(5) | take(2)}");
    assert_eq!(
        shape("T | top 5 by x asc nulls last"),
        "{T | top(5 by x asc nulls last)}"
    );
    assert_eq!(
        shape("T | sort by a asc nulls first, b | order by c desc"),
        "{T | sort(a asc nulls first, b desc) | sort(c desc)}"
    );
}

// Proves distinct `*` (an empty list) and distinct over columns; count takes nothing.
#[test]
fn distinct_and_count() {
    assert_eq!(shape("T | distinct *"), "{T | distinct()}");
    assert_eq!(
        shape("T | distinct a, b | count"),
        "{T | distinct(a, b) | count}"
    );
}

// Proves join kinds (and aliases), hints, bare and parenthesised right sides, and conditions.
#[test]
fn join_operator() {
    assert_eq!(
        shape(
            "T | join kind=leftouter hint.strategy=broadcast (U | where y > 0) on a, $left.x == $right.y"
        ),
        "{T | join(LeftOuter {U | where((y > 0))} on a, $left.x == $right.y)}"
    );
    assert_eq!(shape("T | join U on k"), "{T | join(default U on k)}");
    let aliases = [
        ("innerunique", "InnerUnique"),
        ("inner", "Inner"),
        ("rightouter", "RightOuter"),
        ("fullouter", "FullOuter"),
        ("leftsemi", "LeftSemi"),
        ("semi", "LeftSemi"),
        ("rightsemi", "RightSemi"),
        ("leftanti", "LeftAnti"),
        ("anti", "LeftAnti"),
        ("leftantisemi", "LeftAnti"),
        ("rightanti", "RightAnti"),
        ("rightantisemi", "RightAnti"),
    ];
    for (kind, expected) in aliases {
        assert_eq!(
            shape(&format!("T | join kind={kind} U on k")),
            format!("{{T | join({expected} U on k)}}")
        );
    }
    assert_eq!(
        shape("T | join (U) on $left.a == $right.b and $left.c == $right.d"),
        "{T | join(default U on $left.a == $right.b, $left.c == $right.d)}"
    );
}

// Proves lookup defaults to leftouter and accepts kind=inner.
#[test]
fn lookup_operator() {
    assert_eq!(
        shape("T | lookup (U) on k"),
        "{T | lookup(leftouter=true U on k)}"
    );
    assert_eq!(
        shape("T | lookup kind=inner U on k"),
        "{T | lookup(leftouter=false U on k)}"
    );
}

// Proves union after a pipe lists only the additional tables.
#[test]
fn union_operator() {
    assert_eq!(
        shape("T | union kind=outer U, (V | take 1)"),
        "{T | union(U, {V | take(1)})}"
    );
}

// Proves mv-expand / mvexpand: options, named items, `to typeof`, limit.
#[test]
fn mv_expand_operator() {
    assert_eq!(
        shape(
            "T | mv-expand bagexpansion=array with_itemindex=I v = d.items to typeof(long), w limit 10"
        ),
        "{T | mv-expand(index=I v = d.items to long, w limit 10)}"
    );
    assert_eq!(shape("T | mvexpand d"), "{T | mv-expand(d)}");
}

// Proves as (with and without hint.materialized), getschema, serialize with and without columns.
#[test]
fn as_getschema_serialize() {
    assert_eq!(shape("T | as X | getschema"), "{T | as(X) | getschema}");
    assert_eq!(shape("T | as hint.materialized=true X"), "{T | as(X)}");
    assert_eq!(
        shape("T | serialize | serialize n = row_number()"),
        "{T | serialize() | serialize(n = row_number())}"
    );
}

// Proves parse: kinds, flags, the with-pattern of literals, stars and typed columns.
#[test]
fn parse_operator() {
    assert_eq!(
        shape(r#"T | parse msg with * "id=" Id:long ", name=" Name *"#),
        r#"{T | parse(Simple msg with * "id=" Id:long ", name=" Name *)}"#
    );
    assert_eq!(
        shape(r#"T | parse kind=regex flags=Ui msg with "a" x"#),
        r#"{T | parse(Regex msg with "a" x)}"#
    );
    assert_eq!(
        shape(r#"T | parse kind=relaxed m with x:int "," y"#),
        r#"{T | parse(Relaxed m with x:int "," y)}"#
    );
}

// Proves render with and without properties, and invoke with arguments.
#[test]
fn render_and_invoke() {
    assert_eq!(shape("T | render timechart"), "{T | render(timechart )}");
    assert_eq!(
        shape("T | render barchart with (title='x', ysplit=axes)"),
        "{T | render(barchart title=\"x\", ysplit=axes)}"
    );
    assert_eq!(shape("T | invoke f(1, 'a')"), "{T | invoke(f(1, \"a\"))}");
}

// ---- statements --------------------------------------------------------------------------------

// Proves let values, set with and without values, declare query_parameters and a trailing `;`.
#[test]
fn statements() {
    let parsed = query(
        "declare query_parameters(p:string = 'd', n:long); set notruncation; set x = 5; let t = materialize(T | where a > 1); t | count;",
    );
    assert_eq!(parsed.statements.len(), 5);
    let Statement::DeclareQueryParameters { params, .. } = &parsed.statements[0] else {
        panic!("declare")
    };
    assert_eq!(params.len(), 2);
    assert_eq!(params[0].name.name, "p");
    assert_eq!(params[0].ty, ParamType::Scalar(TypeName::String));
    assert_eq!(
        params[0].default.as_ref().map(render),
        Some("\"d\"".to_string())
    );
    assert_eq!(params[1].ty, ParamType::Scalar(TypeName::Long));
    assert!(params[1].default.is_none());
    assert!(
        matches!(&parsed.statements[1], Statement::Set { name, value: None, .. } if name.name == "notruncation")
    );
    let Statement::Set {
        value: Some(value), ..
    } = &parsed.statements[2]
    else {
        panic!("set")
    };
    assert_eq!(render(value), "5");
    let Statement::Let {
        name,
        value: LetValue::Expr(value),
        ..
    } = &parsed.statements[3]
    else {
        panic!("let")
    };
    assert_eq!(name.name, "t");
    assert_eq!(render(value), "materialize({T | where((a > 1))})");
    let Statement::Expr(last) = &parsed.statements[4] else {
        panic!("expr")
    };
    assert_eq!(render(last), "{t | count}");
}

// Proves a let of a parenthesised expression is not mistaken for a function.
#[test]
fn let_parenthesised_expression() {
    let parsed = query("let x = (1 + 2); print x");
    let Statement::Let {
        value: LetValue::Expr(value),
        ..
    } = &parsed.statements[0]
    else {
        panic!("let")
    };
    assert_eq!(render(value), "(1 + 2)");
}

// Proves function definitions: scalar params with defaults, a body of lets and a final expression.
#[test]
fn let_function() {
    let parsed = query("let f = (a:long, b:string = 'x') { let y = 1; a + y }; print f(1)");
    let Statement::Let {
        value: LetValue::Function(function),
        ..
    } = &parsed.statements[0]
    else {
        panic!("fn")
    };
    assert!(!function.is_view);
    assert_eq!(function.params.len(), 2);
    assert_eq!(function.params[1].ty, ParamType::Scalar(TypeName::String));
    assert_eq!(
        function.params[1].default.as_ref().map(render),
        Some("\"x\"".to_string())
    );
    assert_eq!(function.body.len(), 2);
    assert!(matches!(&function.body[0], Statement::Let { name, .. } if name.name == "y"));
    let Statement::Expr(value) = &function.body[1] else {
        panic!("body value")
    };
    assert_eq!(render(value), "(a + y)");
}

// Proves tabular parameters `(*)` and `(x:long, y:string)`, and views.
#[test]
fn let_tabular_function_and_view() {
    let parsed = query(
        "let f = (T:(*)) { T | count }; let g = (T:(x:long, y:string), n:int) { T | take n }; let v = view () { T }; v",
    );
    let Statement::Let {
        value: LetValue::Function(f),
        ..
    } = &parsed.statements[0]
    else {
        panic!("f")
    };
    assert_eq!(f.params[0].ty, ParamType::Tabular(None));
    let Statement::Let {
        value: LetValue::Function(g),
        ..
    } = &parsed.statements[1]
    else {
        panic!("g")
    };
    let ParamType::Tabular(Some(required)) = &g.params[0].ty else {
        panic!("tabular g")
    };
    assert_eq!(columns(required), "x:long, y:string");
    assert_eq!(g.params[1].ty, ParamType::Scalar(TypeName::Int));
    let Statement::Let {
        value: LetValue::Function(v),
        ..
    } = &parsed.statements[2]
    else {
        panic!("v")
    };
    assert!(v.is_view);
    assert!(v.params.is_empty());
}

// Proves a function body must end with an expression.
#[test]
fn function_body_needs_a_value() {
    let diagnostic = error("let f = () { let y = 1; }; f()");
    assert_eq!(
        diagnostic.message,
        "expected the function body to end with an expression (its value)"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 12));
}

// Proves a realistic multi-line query with comments parses into the expected pipeline.
#[test]
fn realistic_query() {
    let text = "// errors per hour\nStormEvents\n| where StartTime between (datetime(2007-01-01) .. 30d) and State has_any ('TEXAS', 'IOWA')\n| summarize Events = count(), Damage = sum(DamageProperty) by bin(StartTime, 1h), State\n| top 3 by Events desc\n| render columnchart";
    assert_eq!(
        shape(text),
        "{StormEvents | where(((StartTime between datetime(2007-01-01)..timespan(2592000000000000)) and (State has_any (\"TEXAS\", \"IOWA\")))) | summarize(Events = count(), Damage = sum(DamageProperty) by bin(StartTime, timespan(3600000000000)), State) | top(3 by Events desc) | render(columnchart )}"
    );
}

// ---- spans -------------------------------------------------------------------------------------

// Proves spans are byte offsets of the source text for names, operators and whole pipelines.
#[test]
fn spans_point_at_the_source() {
    let text = "T | where x > 1";
    let parsed = query(text);
    let Statement::Expr(expr) = &parsed.statements[0] else {
        panic!("expr")
    };
    assert_eq!(expr.span, Span::new(0, 15));
    let ExprKind::Pipeline { source, operators } = &expr.kind else {
        panic!("pipeline")
    };
    assert_eq!(source.span, Span::new(0, 1));
    assert_eq!(operators[0].span, Span::new(4, 15));
    let OperatorKind::Where(condition) = &operators[0].kind else {
        panic!("where")
    };
    assert_eq!(
        &text[condition.span.start as usize..condition.span.end as usize],
        "x > 1"
    );
}

// ---- errors ------------------------------------------------------------------------------------

// Proves a missing operand names the operator before it and points at what was found.
#[test]
fn error_missing_where_expression() {
    let diagnostic = error("T | where");
    assert_eq!(
        diagnostic.message,
        "expected an expression after 'where', found end of input"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 10));
    let diagnostic = error("T | where | take 1");
    assert_eq!(
        diagnostic.to_string(),
        "Syntax error: SYN0002: expected an expression after 'where', found '|' [line:position=1:11]"
    );
}

// Proves an unknown operator is named, and a known-but-unsupported one says so.
#[test]
fn error_unknown_operator() {
    let diagnostic = error("T\n| bogus x");
    assert_eq!(diagnostic.message, "unknown query operator 'bogus'");
    assert_eq!((diagnostic.line, diagnostic.column), (2, 3));
    assert_eq!(
        error("T | make-series x").message,
        "the query operator 'make-series' is not supported"
    );
    assert_eq!(
        error("T |").message,
        "expected a query operator after '|', found end of input"
    );
}

// Proves a dangling comma in a project list is reported after the comma.
#[test]
fn error_trailing_comma() {
    let diagnostic = error("T | project a,");
    assert_eq!(
        diagnostic.message,
        "expected an expression after ',', found end of input"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 15));
}

// Proves an unterminated string is reported at the string's start.
#[test]
fn error_unclosed_string() {
    let diagnostic = error("T | where s == 'abc");
    assert_eq!(diagnostic.message, "unterminated string literal");
    assert_eq!((diagnostic.line, diagnostic.column), (1, 16));
}

// Proves an unclosed datatable after a comma names the missing value at the end of input.
#[test]
fn error_unclosed_datatable() {
    let diagnostic = error("datatable(a:int)[1,");
    assert_eq!(
        diagnostic.message,
        "expected an expression after ',', found end of input"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 20));
}

// Proves nesting past the limit is a diagnostic, not a stack overflow; and the limit itself parses.
#[test]
fn error_deep_nesting() {
    let deep = format!("print {}1{}", "(".repeat(1000), ")".repeat(1000));
    let diagnostic = error(&deep);
    assert!(
        diagnostic.message.contains("nests more than 128 levels"),
        "{}",
        diagnostic.message
    );
    let unary = format!("print {}1", "-".repeat(1000));
    assert!(error(&unary).message.contains("nests more than"));
    let chain = format!("print 1{}", " + 1".repeat(1000));
    assert!(error(&chain).message.contains("nests more than"));
    let members = format!("print a{}", ".b[0]".repeat(100_000));
    assert!(error(&members).message.contains("nests more than"));
    // The statement's pipeline is one level, so 126 more parentheses still fit.
    let at_limit = format!("print {}1{}", "(".repeat(126), ")".repeat(126));
    assert_eq!(shape(&at_limit), "print(1)");
}

// Proves multi-line positions: the column restarts on each line.
#[test]
fn error_position_on_later_line() {
    let diagnostic = error("let x = 1;\nT\n| where x >");
    assert_eq!(
        diagnostic.message,
        "expected an expression after '>', found end of input"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (3, 12));
}

// Proves stray tokens after a complete statement are reported, and an empty query is an error.
#[test]
fn error_stray_and_empty() {
    assert_eq!(
        error("T | project a b").message,
        "expected ';' or the end of the query, found 'b'"
    );
    assert_eq!(
        error("  // nothing\n").message,
        "expected a query, found end of input"
    );
}

// ---- commands ----------------------------------------------------------------------------------

// Proves .create table with columns (bracket-quoted names too) and with-properties.
#[test]
fn create_table_command() {
    let CommandKind::CreateTable {
        table,
        columns: decls,
        properties,
    } = command(
        ".create table ['my table'] (a:int, ['b c']:string) with (docstring=\"x\", folder='y')",
    )
    else {
        panic!("create table")
    };
    assert_eq!(table.name, "my table");
    assert_eq!(columns(&decls), "a:int, b c:string");
    assert_eq!(properties.get("docstring"), Some("x"));
    assert_eq!(properties.get("FOLDER"), Some("y"));
    let CommandKind::CreateMergeTable {
        table,
        columns: decls,
    } = command(".create-merge table T (x:long)")
    else {
        panic!("create-merge")
    };
    assert_eq!(
        (table.name.as_str(), columns(&decls).as_str()),
        ("T", "x:long")
    );
    let CommandKind::AlterTable { columns: decls, .. } = command(".ALTER TABLE T (x:real)") else {
        panic!("alter")
    };
    assert_eq!(columns(&decls), "x:real");
}

// Proves .drop table / database with and without ifexists, and .create database options.
#[test]
fn drop_and_database_commands() {
    assert!(
        matches!(command(".drop table T ifexists"), CommandKind::DropTable { table, if_exists: true } if table.name == "T")
    );
    assert!(matches!(
        command(".drop table T"),
        CommandKind::DropTable {
            if_exists: false,
            ..
        }
    ));
    assert!(matches!(
        command(".create database D persist (@\"/a\", @\"/b(1)\") ifnotexists"),
        CommandKind::CreateDatabase { database, if_not_exists: true } if database.name == "D"
    ));
    assert!(matches!(
        command(".create database D volatile"),
        CommandKind::CreateDatabase {
            if_not_exists: false,
            ..
        }
    ));
    assert!(matches!(
        command(".drop database D ifexists"),
        CommandKind::DropDatabase {
            if_exists: true,
            ..
        }
    ));
}

// Proves the .show family.
#[test]
fn show_commands() {
    assert_eq!(command(".show tables"), CommandKind::ShowTables);
    assert!(
        matches!(command(".show table T"), CommandKind::ShowTable { table } if table.name == "T")
    );
    assert!(matches!(
        command(".show table T schema as json"),
        CommandKind::ShowTableSchemaAsJson { .. }
    ));
    assert!(matches!(
        command(".show table T details"),
        CommandKind::ShowTableDetails { .. }
    ));
    assert!(matches!(
        command(".show table T extents"),
        CommandKind::ShowExtents { table: Some(_) }
    ));
    assert!(matches!(
        command(".show extents"),
        CommandKind::ShowExtents { table: None }
    ));
    assert!(matches!(
        command(".show table T ingestion mappings"),
        CommandKind::ShowIngestionMappings { format: None, .. }
    ));
    assert!(matches!(
        command(".show table T ingestion json mappings"),
        CommandKind::ShowIngestionMappings { format: Some(format), .. } if format.name == "json"
    ));
    assert_eq!(command(".show databases"), CommandKind::ShowDatabases);
    assert!(matches!(
        command(".show databases schema"),
        CommandKind::ShowDatabaseSchema {
            database: None,
            as_json: false
        }
    ));
    assert!(matches!(
        command(".show database D schema as json"),
        CommandKind::ShowDatabaseSchema { database: Some(database), as_json: true } if database.name == "D"
    ));
    assert!(matches!(
        command(".show database schema"),
        CommandKind::ShowDatabaseSchema { database: None, .. }
    ));
    assert!(matches!(
        command(".show table T policy merge"),
        CommandKind::ShowTablePolicy {
            policy: RetentionOrMerge::Merge,
            ..
        }
    ));
    assert_eq!(command(".show cluster"), CommandKind::ShowCluster);
    assert_eq!(command(".Show Version"), CommandKind::ShowVersion);
    assert_eq!(command(".show commands"), CommandKind::ShowCommands);
    assert_eq!(command(".show queries"), CommandKind::ShowQueries);
    assert_eq!(
        command(".show commands-and-queries"),
        CommandKind::ShowCommandsAndQueries
    );
}

// Proves ingestion mapping commands keep the mapping text as given, from any string form.
#[test]
fn ingestion_mapping_commands() {
    let CommandKind::CreateIngestionMapping {
        table,
        format,
        name,
        mapping,
    } = command(
        r#".create table T ingestion json mapping "M1" '[{"column":"a","path":"$.a","datatype":"long"}]'"#,
    )
    else {
        panic!("create mapping")
    };
    assert_eq!(
        (table.name.as_str(), format.name.as_str(), name.as_str()),
        ("T", "json", "M1")
    );
    assert_eq!(
        mapping,
        r#"[{"column":"a","path":"$.a","datatype":"long"}]"#
    );
    let CommandKind::CreateIngestionMapping {
        format, mapping, ..
    } = command(
        ".create-or-alter table T ingestion csv mapping 'C' ```\n[{\"column\":\"a\",\"Ordinal\":\"0\"}]\n```",
    )
    else {
        panic!("create-or-alter mapping")
    };
    assert_eq!(format.name, "csv");
    assert_eq!(mapping, "\n[{\"column\":\"a\",\"Ordinal\":\"0\"}]\n");
    assert!(matches!(
        command(r#".drop table T ingestion json mapping "M1""#),
        CommandKind::DropIngestionMapping { name, .. } if name == "M1"
    ));
}

// Proves policy commands take JSON in a plain or multi-line string.
#[test]
fn policy_commands() {
    let CommandKind::AlterTablePolicy { policy, json, .. } =
        command(".alter table T policy retention ```{\"SoftDeletePeriod\": \"10.00:00:00\"}```")
    else {
        panic!("alter policy")
    };
    assert_eq!(policy, RetentionOrMerge::Retention);
    assert_eq!(json, "{\"SoftDeletePeriod\": \"10.00:00:00\"}");
    assert!(matches!(
        command(".alter table T policy merge '{}'"),
        CommandKind::AlterTablePolicy { policy: RetentionOrMerge::Merge, json, .. } if json == "{}"
    ));
}

// Proves .ingest inline keeps the data raw after `<|` and one separator, and reads with-properties.
#[test]
fn ingest_inline_command() {
    let CommandKind::IngestInline {
        table,
        properties,
        data,
    } = command(
        ".ingest inline into table T with (format='csv', ignoreFirstRecord=true, tags='[\"ingest-by:x\"]') <|\na,b\n1,\"x | y\"\n",
    )
    else {
        panic!("ingest")
    };
    assert_eq!(table.name, "T");
    assert_eq!(properties.get("format"), Some("csv"));
    assert_eq!(properties.get("ignorefirstrecord"), Some("true"));
    assert_eq!(properties.get("tags"), Some("[\"ingest-by:x\"]"));
    assert_eq!(data, "a,b\n1,\"x | y\"\n");
    let CommandKind::IngestInline { data, .. } =
        command(".ingest inline into table T <| 1,'unclosed")
    else {
        panic!("ingest raw")
    };
    assert_eq!(data, "1,'unclosed");
}

// Proves the query commands parse their query with spans into the whole command text.
#[test]
fn set_or_append_family() {
    let text = ".set-or-append T with (tags='[\"a\"]') <| U | where x > 1";
    let CommandKind::SetOrAppend {
        table,
        properties,
        query,
    } = command(text)
    else {
        panic!("set-or-append")
    };
    assert_eq!(table.name, "T");
    assert_eq!(properties.get("tags"), Some("[\"a\"]"));
    let Statement::Expr(expr) = &query.statements[0] else {
        panic!("query")
    };
    assert_eq!(render(expr), "{U | where((x > 1))}");
    assert_eq!(
        &text[expr.span.start as usize..expr.span.end as usize],
        "U | where x > 1"
    );
    assert!(matches!(
        command(".append T <| U"),
        CommandKind::Append { .. }
    ));
    assert!(matches!(command(".set T <| U"), CommandKind::Set { .. }));
    assert!(matches!(
        command(".set-or-replace T <| U"),
        CommandKind::SetOrReplace { .. }
    ));
    let diagnostic = command_error(".append T <|\nU | where");
    assert_eq!(
        diagnostic.message,
        "expected an expression after 'where', found end of input"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (2, 10));
}

// Proves .clear table data and Tarn's .merge.
#[test]
fn clear_and_merge_commands() {
    assert!(
        matches!(command(".clear table T data"), CommandKind::ClearTableData { table } if table.name == "T")
    );
    assert!(
        matches!(command("  // c\n.merge ['T x']"), CommandKind::MergeTable { table } if table.name == "T x")
    );
}

// Proves command errors: unknown verbs are named, and trailing text is reported.
#[test]
fn command_errors() {
    let diagnostic = command_error(".frobnicate table T");
    assert_eq!(
        diagnostic.message,
        "unknown or unsupported management command '.frobnicate'"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (1, 2));
    assert_eq!(
        command_error(".show tables now").message,
        "expected the end of the command, found 'now'"
    );
    assert_eq!(
        command_error(".create table T (a:integer)").message,
        "expected a type name (bool, int, long, real, decimal, string, datetime, timespan, guid, dynamic), found 'integer'"
    );
}

// Proves is_command looks past whitespace and comments.
#[test]
fn is_command_detection() {
    assert!(crate::is_command("  // hi\n  .show tables"));
    assert!(!crate::is_command("T | count // .x"));
    assert!(!crate::is_command("// only a comment"));
}

// Proves every recursive form of the grammar (parentheses, calls, indexing, unary signs, nested
// pipelines, lists, function bodies, join right sides) gives the nesting diagnostic past the limit
// instead of overflowing the stack, even when the caller's own stack is only 256 KiB.
#[test]
fn every_recursive_form_hits_the_nesting_limit() {
    type Shape = (&'static str, fn(usize) -> String);
    let shapes: [Shape; 10] = [
        ("parentheses", |n| {
            format!("print {}1{}", "(".repeat(n), ")".repeat(n))
        }),
        ("calls", |n| {
            format!("print {}1{}", "f(".repeat(n), ")".repeat(n))
        }),
        ("index", |n| {
            format!("print {}0{}", "a[".repeat(n), "]".repeat(n))
        }),
        ("unary", |n| format!("print {}1", "-".repeat(n))),
        ("pipelines", |n| {
            format!("T{}{}", "| where (T ".repeat(n), ")".repeat(n))
        }),
        ("in lists", |n| {
            format!("print {}1{}", "x in (".repeat(n), ")".repeat(n))
        }),
        ("between", |n| {
            format!("print {}1{}", "x between (".repeat(n), " .. 2)".repeat(n))
        }),
        ("function bodies", |n| {
            format!("{}1{}", "let f = () { ".repeat(n), " }; f()".repeat(n))
        }),
        ("datatables", |n| {
            format!("print {}1{}", "datatable(a:int)[".repeat(n), "]".repeat(n))
        }),
        ("joins", |n| {
            format!("T{}{}", " | join (T".repeat(n), ") on x".repeat(n))
        }),
    ];
    for (name, make) in shapes {
        let worker = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let shallow = parse_query(&make(20))
                    .map(|_| ())
                    .map_err(|diagnostic| diagnostic.message);
                let deep = parse_query(&make(1000))
                    .map(|_| ())
                    .map_err(|diagnostic| diagnostic.message);
                (shallow, deep)
            });
        let (shallow, deep) = worker
            .map(|handle| handle.join())
            .ok()
            .and_then(Result::ok)
            .expect("parser thread ran");
        assert_eq!(shallow, Ok(()), "{name} at depth 20");
        let message = deep.expect_err(name);
        assert!(
            message.contains("nests more than 128 levels"),
            "{name}: {message}"
        );
    }
}

// Proves parse-kv with keys (bracketed names included) and options, parse-where, and
// project-by-names with its argument forms.
#[test]
fn parse_kv_parse_where_project_by_names() {
    assert_eq!(
        shape("T | parse-kv s as (['event time']:datetime, n:long) with (pair_delimiter=' ', kv_delimiter='=', greedy=true)"),
        "{T | parse-kv(s as event time:datetime, n:long with pair_delimiter=\" \", kv_delimiter=\"=\", greedy=true)}"
    );
    assert_eq!(shape("T | parse-kv s as (a:string)"), "{T | parse-kv(s as a:string with )}");
    assert_eq!(shape("T | parse-where s with \"x=\" x:long *"), "{T | parse-where(Simple s with \"x=\" x:long *)}");
    assert_eq!(
        shape("T | project-by-names \"a\", dynamic([\"b\"]), column_names_of(U)"),
        "{T | project-by-names(\"a\", dynamic([\"b\"]), column_names_of(U))}"
    );
    assert_eq!(
        shape("T | mv-apply x = a to typeof(long) on (where x > 1 | summarize sum(x))"),
        "{T | mv-apply(a on where((x > 1)) | summarize(sum(x) by ))}"
    );
    assert!(parse_query("T | mv-apply a on where x").is_err());
    assert!(parse_query("T | parse-kv s as ()").is_err());
    assert!(parse_query("T | parse-kv s").is_err());
}
