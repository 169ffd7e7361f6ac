//! Tabular operators: everything that follows a `|`.

use super::Parser;
use crate::Result;
use crate::ast::{
    ColumnPattern, Expr, ExprKind, Ident, JoinKind, JoinOn, MvExpandItem, Operator, OperatorKind,
    ParseKind, ParsePart, SortKey, Span,
};
use crate::lexer::TokenKind;

/// Real Kusto operators Tarn does not parse yet; named so the message does not call them unknown.
const UNSUPPORTED_OPERATORS: [&str; 17] = [
    "evaluate",
    "make-series",
    "top-nested",
    "top-hitters",
    "sample",
    "sample-distinct",
    "fork",
    "facet",
    "partition",
    "scan",
    "find",
    "search",
    "reduce",
    "consume",
    "project-smart",
    "externaldata",
    "lookup-",
];

type OperatorParser<'text> = fn(&mut Parser<'text>) -> Result<OperatorKind>;

/// The parser for each operator name. Dispatching through a function pointer keeps the big
/// `match` out of the recursive path, so each nesting level costs less stack.
fn operator_parser<'text>(name: &str) -> Option<OperatorParser<'text>> {
    Some(match name {
        "where" | "filter" => Parser::parse_where,
        "project" => Parser::parse_project,
        "project-away" => Parser::parse_project_away,
        "project-keep" => Parser::parse_project_keep,
        "project-rename" => Parser::parse_project_rename,
        "project-reorder" => Parser::parse_project_reorder,
        "extend" => Parser::parse_extend,
        "summarize" => Parser::parse_summarize,
        "take" | "limit" => Parser::parse_take,
        "top" => Parser::parse_top,
        "sort" | "order" => Parser::parse_sort,
        "distinct" => Parser::parse_distinct,
        "count" => Parser::parse_count,
        "join" => Parser::parse_join,
        "lookup" => Parser::parse_lookup,
        "union" => Parser::parse_union_operator,
        "mv-expand" | "mvexpand" => Parser::parse_mv_expand,
        "mv-apply" | "mvapply" => Parser::parse_mv_apply,
        "as" => Parser::parse_as,
        "getschema" => Parser::parse_getschema,
        "serialize" => Parser::parse_serialize,
        "parse" => Parser::parse_parse,
        "parse-where" => Parser::parse_parse_where,
        "parse-kv" => Parser::parse_parse_kv,
        "project-by-names" => Parser::parse_project_by_names,
        "render" => Parser::parse_render,
        "invoke" => Parser::parse_invoke,
        _ => return None,
    })
}

fn join_kind(word: &str) -> Option<JoinKind> {
    Some(match word {
        "innerunique" => JoinKind::InnerUnique,
        "inner" => JoinKind::Inner,
        "leftouter" => JoinKind::LeftOuter,
        "rightouter" => JoinKind::RightOuter,
        "fullouter" => JoinKind::FullOuter,
        "leftsemi" | "semi" => JoinKind::LeftSemi,
        "rightsemi" => JoinKind::RightSemi,
        "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
        "rightanti" | "rightantisemi" => JoinKind::RightAnti,
        _ => return None,
    })
}

impl Parser<'_> {
    /// After `|`: one operator.
    pub(crate) fn parse_operator(&mut self) -> Result<Operator> {
        let Some((name, count)) = self.peek_hyphenated_name(0) else {
            return Err(self.error_expected("a query operator after '|'"));
        };
        let start = self.peek().span;
        let Some(parse) = operator_parser(&name) else {
            if UNSUPPORTED_OPERATORS.contains(&name.as_str()) {
                return Err(self.error_at(
                    start,
                    format!("the query operator '{name}' is not supported"),
                ));
            }
            return Err(self.error_at(start, format!("unknown query operator '{name}'")));
        };
        self.bump_n(count);
        let kind = parse(self)?;
        Ok(Operator {
            kind,
            span: start.to(self.previous),
        })
    }

    fn parse_where(&mut self) -> Result<OperatorKind> {
        self.require_operand()?;
        Ok(OperatorKind::Where(self.parse_expr()?))
    }

    fn parse_project(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::Project(self.parse_named_expr_list()?))
    }

    fn parse_project_away(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::ProjectAway(self.parse_column_patterns()?))
    }

    fn parse_project_keep(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::ProjectKeep(self.parse_column_patterns()?))
    }

    fn parse_project_rename(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::ProjectRename(self.parse_renames()?))
    }

    fn parse_project_reorder(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::ProjectReorder(self.parse_reorder()?))
    }

    fn parse_extend(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::Extend(self.parse_named_expr_list()?))
    }

    fn parse_take(&mut self) -> Result<OperatorKind> {
        self.require_operand()?;
        Ok(OperatorKind::Take(self.parse_expr()?))
    }

    fn parse_top(&mut self) -> Result<OperatorKind> {
        self.require_operand()?;
        let count = self.parse_expr()?;
        self.expect_keyword("by")?;
        Ok(OperatorKind::Top {
            count,
            by: self.parse_sort_keys()?,
        })
    }

    fn parse_sort(&mut self) -> Result<OperatorKind> {
        self.expect_keyword("by")?;
        Ok(OperatorKind::Sort(self.parse_sort_keys()?))
    }

    fn parse_count(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::Count)
    }

    fn parse_union_operator(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::Union(self.parse_union_spec()?))
    }

    fn parse_as(&mut self) -> Result<OperatorKind> {
        while self.eat_hint()? {}
        Ok(OperatorKind::As(self.expect_name("a name after 'as'")?))
    }

    fn parse_getschema(&mut self) -> Result<OperatorKind> {
        Ok(OperatorKind::GetSchema)
    }

    fn parse_serialize(&mut self) -> Result<OperatorKind> {
        if self.at_operator_end() {
            return Ok(OperatorKind::Serialize(Vec::new()));
        }
        Ok(OperatorKind::Serialize(self.parse_named_expr_list()?))
    }

    fn parse_invoke(&mut self) -> Result<OperatorKind> {
        let name = self.expect_name("a function name after 'invoke'")?;
        self.expect_punct("(")?;
        let args = self.parse_comma_list(")", "an argument")?;
        self.expect_punct(")")?;
        Ok(OperatorKind::Invoke { name, args })
    }

    /// True at the end of an operator: `|`, `;`, `)`, `}` or end of input.
    fn at_operator_end(&mut self) -> bool {
        self.at_eof()
            || self.at_punct("|")
            || self.at_punct(";")
            || self.at_punct(")")
            || self.at_punct("}")
    }

    /// Consumes one `hint.name = value` if present (hints steer Kusto's physical plan; Tarn's
    /// planner chooses its own, so they are parsed and dropped).
    pub(crate) fn eat_hint(&mut self) -> Result<bool> {
        if !(self.at_keyword("hint") && self.is_punct_at(1, ".")) {
            return Ok(false);
        }
        self.bump_n(2);
        self.expect_name("a hint name after 'hint.'")?;
        self.expect_punct("=")?;
        match self.peek().kind {
            TokenKind::Ident(_)
            | TokenKind::Long(_)
            | TokenKind::String(_)
            | TokenKind::Real(_) => {
                self.bump();
                Ok(true)
            }
            _ => Err(self.error_expected_after("a hint value")),
        }
    }

    /// `a, b*, *_x`: names and wildcard patterns; a pattern is identifiers and `*` touching each other.
    fn parse_column_patterns(&mut self) -> Result<Vec<ColumnPattern>> {
        let mut patterns = vec![self.parse_column_pattern()?];
        while self.eat_punct(",") {
            patterns.push(self.parse_column_pattern()?);
        }
        Ok(patterns)
    }

    fn parse_column_pattern(&mut self) -> Result<ColumnPattern> {
        if let Some((name, count)) = self.peek_name_at(0)
            && count == 3
        {
            self.bump_n(count);
            return Ok(ColumnPattern {
                pattern: name.name,
                span: name.span,
            });
        }
        let mut pattern = String::new();
        let mut span: Option<Span> = None;
        loop {
            let token = self.peek().clone();
            let touches = span.is_none_or(|previous| previous.end == token.span.start);
            match &token.kind {
                TokenKind::Ident(name) if touches => pattern.push_str(name),
                TokenKind::Punct("*") if touches => pattern.push('*'),
                _ => break,
            }
            span = Some(span.map_or(token.span, |previous| previous.to(token.span)));
            self.bump();
        }
        match span {
            Some(span) => Ok(ColumnPattern { pattern, span }),
            None => Err(self.error_expected_after("a column name or pattern")),
        }
    }

    /// `new = old, ...`
    fn parse_renames(&mut self) -> Result<Vec<(Ident, Ident)>> {
        let mut renames = Vec::new();
        loop {
            let new_name = self.expect_name_after("a new column name")?;
            self.expect_punct("=")?;
            let old_name = self.expect_name_after("the existing column name")?;
            renames.push((new_name, old_name));
            if !self.eat_punct(",") {
                return Ok(renames);
            }
        }
    }

    fn expect_name_after(&mut self, what: &str) -> Result<Ident> {
        if self.at_name() {
            return self.expect_name(what);
        }
        Err(self.error_expected_after(what))
    }

    /// `a, b asc, c* desc`
    fn parse_reorder(&mut self) -> Result<Vec<(ColumnPattern, Option<bool>)>> {
        let mut items = Vec::new();
        loop {
            let pattern = self.parse_column_pattern()?;
            let order = if self.eat_keyword("asc") {
                Some(true)
            } else if self.eat_keyword("desc") {
                Some(false)
            } else {
                None
            };
            items.push((pattern, order));
            if !self.eat_punct(",") {
                return Ok(items);
            }
        }
    }

    /// `summarize [hints] [aggregates] [by keys]`, not both empty.
    fn parse_summarize(&mut self) -> Result<OperatorKind> {
        while self.eat_hint()? {}
        let aggregates = if self.at_keyword("by") || self.at_operator_end() {
            Vec::new()
        } else {
            self.parse_named_expr_list()?
        };
        let by = if self.eat_keyword("by") {
            self.parse_named_expr_list()?
        } else {
            Vec::new()
        };
        if aggregates.is_empty() && by.is_empty() {
            return Err(self.error_expected_after("an aggregate or 'by'"));
        }
        Ok(OperatorKind::Summarize { aggregates, by })
    }

    /// `expr [asc|desc] [nulls first|last], ...`
    fn parse_sort_keys(&mut self) -> Result<Vec<SortKey>> {
        let mut keys = Vec::new();
        loop {
            self.require_operand()?;
            let expr = self.parse_expr()?;
            let descending = if self.eat_keyword("asc") {
                false
            } else {
                self.eat_keyword("desc");
                true
            };
            let nulls_first = if self.eat_keyword("nulls") {
                if self.eat_keyword("first") {
                    Some(true)
                } else if self.eat_keyword("last") {
                    Some(false)
                } else {
                    return Err(self.error_expected("'first' or 'last' after 'nulls'"));
                }
            } else {
                None
            };
            keys.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
            if !self.eat_punct(",") {
                return Ok(keys);
            }
        }
    }

    fn parse_distinct(&mut self) -> Result<OperatorKind> {
        let star_alone = ["|", ";", ")", "}"].iter().any(|p| self.is_punct_at(1, p))
            || self.peek_nth(1).kind == TokenKind::Eof;
        if self.at_punct("*") && star_alone {
            self.bump();
            return Ok(OperatorKind::Distinct(Vec::new()));
        }
        let mut columns = Vec::new();
        loop {
            self.require_operand()?;
            columns.push(self.parse_expr()?);
            if !self.eat_punct(",") {
                return Ok(OperatorKind::Distinct(columns));
            }
        }
    }

    /// `join [kind=...] [hint.x=y ...] (right) on conditions`
    fn parse_join(&mut self) -> Result<OperatorKind> {
        let mut kind = None;
        loop {
            if self.eat_hint()? {
                continue;
            }
            if self.at_keyword("kind") && self.is_punct_at(1, "=") {
                self.bump_n(2);
                let word = match &self.peek().kind {
                    TokenKind::Ident(word) => join_kind(word),
                    _ => None,
                };
                let Some(word) = word else {
                    return Err(self.error_expected(
                        "a join kind (innerunique, inner, leftouter, rightouter, fullouter, leftsemi, rightsemi, leftanti, rightanti)",
                    ));
                };
                self.bump();
                kind = Some(word);
                continue;
            }
            break;
        }
        let right = self.parse_join_right("join")?;
        let on = self.parse_join_on()?;
        Ok(OperatorKind::Join { kind, right, on })
    }

    /// `lookup [kind=leftouter|inner] (right) on conditions`
    fn parse_lookup(&mut self) -> Result<OperatorKind> {
        let mut kind_left_outer = true;
        loop {
            if self.eat_hint()? {
                continue;
            }
            if self.at_keyword("kind") && self.is_punct_at(1, "=") {
                self.bump_n(2);
                if self.eat_keyword("leftouter") {
                    kind_left_outer = true;
                } else if self.eat_keyword("inner") {
                    kind_left_outer = false;
                } else {
                    return Err(self.error_expected("'leftouter' or 'inner' after 'kind='"));
                }
                continue;
            }
            break;
        }
        let right = self.parse_join_right("lookup")?;
        let on = self.parse_join_on()?;
        Ok(OperatorKind::Lookup {
            kind_left_outer,
            right,
            on,
        })
    }

    fn parse_join_right(&mut self, operator: &str) -> Result<Expr> {
        if !self.at_punct("(") && !self.at_name() {
            return Err(self.error_expected(&format!("a table or '(' after '{operator}'")));
        }
        self.parse_postfix_expr()
    }

    /// `on a, $left.x == $right.y and $left.z == $right.w`
    fn parse_join_on(&mut self) -> Result<Vec<JoinOn>> {
        self.expect_keyword("on")?;
        let mut conditions = Vec::new();
        loop {
            self.require_operand()?;
            let condition = self.parse_expr()?;
            collect_join_conditions(self, condition, &mut conditions)?;
            if !self.eat_punct(",") {
                return Ok(conditions);
            }
        }
    }

    /// `mv-expand [bagexpansion=bag|array] [with_itemindex=I] [Name =] expr [to typeof(T)], ... [limit N]`
    /// The part `mv-expand` and `mv-apply` share: options, items, `limit`.
    fn parse_mv_items(&mut self) -> Result<(Vec<MvExpandItem>, Option<Ident>, Option<Expr>)> {
        let mut with_itemindex = None;
        loop {
            if self.at_keyword("bagexpansion") && self.is_punct_at(1, "=") {
                self.bump_n(2);
                if !self.eat_keyword("bag") && !self.eat_keyword("array") {
                    return Err(self.error_expected("'bag' or 'array' after 'bagexpansion='"));
                }
            } else if self.at_keyword("with_itemindex") && self.is_punct_at(1, "=") {
                self.bump_n(2);
                with_itemindex = Some(self.expect_name("a column name after 'with_itemindex='")?);
            } else if !self.eat_hint()? {
                break;
            }
        }
        let mut items = Vec::new();
        loop {
            let named = self.parse_named_expr()?;
            if named.names.len() > 1 {
                return Err(self.error_at(
                    named.span,
                    "expected one column name before '=' in 'mv-expand'",
                ));
            }
            let to_type = if self.eat_keyword("to") {
                self.expect_keyword("typeof")?;
                self.expect_punct("(")?;
                let (type_name, _) = self.parse_type_name()?;
                self.expect_punct(")")?;
                Some(type_name)
            } else {
                None
            };
            items.push(MvExpandItem {
                name: named.names.into_iter().next(),
                expr: named.expr,
                to_type,
            });
            if !self.eat_punct(",") {
                break;
            }
        }
        let limit = if self.eat_keyword("limit") {
            self.require_operand()?;
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok((items, with_itemindex, limit))
    }

    fn parse_mv_expand(&mut self) -> Result<OperatorKind> {
        let (items, with_itemindex, limit) = self.parse_mv_items()?;
        Ok(OperatorKind::MvExpand { items, with_itemindex, limit })
    }

    /// `mv-apply items [limit n] on ( operators )`: the subquery is a pipeline without a source.
    fn parse_mv_apply(&mut self) -> Result<OperatorKind> {
        let (items, with_itemindex, limit) = self.parse_mv_items()?;
        self.expect_keyword("on")?;
        self.expect_punct("(")?;
        // Subqueries nest (mv-apply inside mv-apply): count them against the nesting limit.
        self.enter()?;
        let subquery = self.parse_subquery_operators();
        self.leave();
        let subquery = subquery?;
        self.expect_punct(")")?;
        Ok(OperatorKind::MvApply { items, with_itemindex, limit, subquery })
    }

    fn parse_subquery_operators(&mut self) -> Result<Vec<Operator>> {
        let mut subquery = vec![self.parse_operator()?];
        while self.eat_punct("|") {
            subquery.push(self.parse_operator()?);
        }
        Ok(subquery)
    }

    /// `parse [kind=simple|regex|relaxed] [flags=...] expr with * "lit" Name:type ...`
    fn parse_parse(&mut self) -> Result<OperatorKind> {
        let mut kind = ParseKind::Simple;
        let mut flags = String::new();
        loop {
            if self.at_keyword("kind") && self.is_punct_at(1, "=") {
                self.bump_n(2);
                kind = if self.eat_keyword("simple") {
                    ParseKind::Simple
                } else if self.eat_keyword("regex") {
                    ParseKind::Regex
                } else if self.eat_keyword("relaxed") {
                    ParseKind::Relaxed
                } else {
                    return Err(self.error_expected("'simple', 'regex' or 'relaxed' after 'kind='"));
                };
            } else if self.at_keyword("flags") && self.is_punct_at(1, "=") {
                // Regex flags (`flags=Ui`): U ungreedy, i case-insensitive, m multi-line, s dot-all.
                self.bump_n(2);
                let TokenKind::Ident(text) = self.peek().kind.clone() else {
                    return Err(self.error_expected("regex flags after 'flags='"));
                };
                if let Some(bad) = text.chars().find(|flag| !"Uims".contains(*flag)) {
                    return Err(self.error_expected(&format!("regex flags U, i, m or s after 'flags=', not '{bad}'")));
                }
                flags = text;
                self.bump();
            } else {
                break;
            }
        }
        self.require_operand()?;
        let expr = self.parse_expr()?;
        self.expect_keyword("with")?;
        let mut parts = Vec::new();
        while !self.at_operator_end() {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Punct("*") => {
                    self.bump();
                    parts.push(ParsePart::Star);
                }
                TokenKind::String(value) => {
                    self.bump();
                    parts.push(ParsePart::Literal(value));
                }
                _ => {
                    let name =
                        self.expect_name("a column name, a string or '*' in the 'parse' pattern")?;
                    let ty = if self.eat_punct(":") {
                        Some(self.parse_type_name()?.0)
                    } else {
                        None
                    };
                    parts.push(ParsePart::Column { name, ty });
                }
            }
        }
        if parts.is_empty() {
            return Err(self.error_expected_after("a pattern"));
        }
        Ok(OperatorKind::Parse { kind, flags, expr, parts, filter: false })
    }

    /// `parse-where`: `parse`'s syntax; rows whose text does not match are dropped.
    fn parse_parse_where(&mut self) -> Result<OperatorKind> {
        match self.parse_parse()? {
            OperatorKind::Parse { kind, flags, expr, parts, .. } => Ok(OperatorKind::Parse { kind, flags, expr, parts, filter: true }),
            other => Ok(other),
        }
    }

    /// `parse-kv expr as (key:type, ...) [with (name = value, ...)]`
    fn parse_parse_kv(&mut self) -> Result<OperatorKind> {
        self.require_operand()?;
        let expr = self.parse_expr()?;
        self.expect_keyword("as")?;
        let (columns, span) = self.parse_column_decls()?;
        if columns.is_empty() {
            return Err(self.error_at(span, "expected at least one key in 'parse-kv'"));
        }
        let keys = columns.into_iter().map(|column| (column.name, column.ty)).collect();
        let mut options = Vec::new();
        if self.eat_keyword("with") {
            self.expect_punct("(")?;
            while !self.at_punct(")") {
                let name = self.expect_name("an option name (pair_delimiter, kv_delimiter, quote, escape, greedy, regex)")?;
                self.expect_punct("=")?;
                self.require_operand()?;
                options.push((name, self.parse_expr()?));
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
        }
        Ok(OperatorKind::ParseKv { expr, keys, options })
    }

    /// `project-by-names arg, ...`: each a name or wildcard string, a dynamic array of names, or
    /// an expression the planner folds to one of those.
    fn parse_project_by_names(&mut self) -> Result<OperatorKind> {
        let mut args = Vec::new();
        loop {
            self.require_operand()?;
            args.push(self.parse_expr()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(OperatorKind::ProjectByNames(args))
    }

    /// `render chart [with (k=v, ...)]`
    fn parse_render(&mut self) -> Result<OperatorKind> {
        let chart = self.expect_name("a chart type after 'render'")?;
        let mut properties = Vec::new();
        if self.eat_keyword("with") {
            self.expect_punct("(")?;
            while !self.at_punct(")") {
                let name = self.expect_name("a property name")?;
                self.expect_punct("=")?;
                self.require_operand()?;
                properties.push((name, self.parse_expr()?));
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
        }
        Ok(OperatorKind::Render { chart, properties })
    }

    /// A primary with postfix `.x` / `[i]` but no binary operators: the right side of `join`,
    /// which must stop before `on`.
    fn parse_postfix_expr(&mut self) -> Result<Expr> {
        self.enter()?;
        let result = self.parse_postfix();
        self.leave();
        result
    }
}

/// Splits `a and b` into conditions; each must be a column name or `x == y`.
fn collect_join_conditions(
    parser: &mut Parser<'_>,
    condition: Expr,
    out: &mut Vec<JoinOn>,
) -> Result<()> {
    match condition.kind {
        ExprKind::Name(name) => out.push(JoinOn::Column(name)),
        ExprKind::Binary {
            op: crate::ast::BinaryOp::And,
            left,
            right,
        } => {
            collect_join_conditions(parser, *left, out)?;
            collect_join_conditions(parser, *right, out)?;
        }
        ExprKind::Binary {
            op: crate::ast::BinaryOp::Eq,
            left,
            right,
        } => out.push(JoinOn::Equal {
            left: *left,
            right: *right,
        }),
        _ => {
            return Err(parser.error_at(
                condition.span,
                "expected a column name or '$left.x == $right.y' in the join condition",
            ));
        }
    }
    Ok(())
}
