//! Expressions, by precedence from `|` (lowest) down to primaries, and the tabular sources that
//! appear as primaries (`datatable`, `range`, `print`, `union`).

use super::Parser;
use crate::Result;
use crate::ast::{
    BinaryOp, ColumnDecl, Expr, ExprKind, Ident, InKind, Literal, NamedExpr, Span, StrOp, TypeName,
    UnaryOp, UnionSpec,
};
use crate::lexer::TokenKind;

/// What sits between two operands.
enum ComparisonOp {
    Binary(BinaryOp),
    In { kind: InKind, negated: bool },
    Between { negated: bool },
}

fn string_operator(word: &str) -> Option<(StrOp, bool)> {
    Some(match word {
        "has" => (StrOp::Has, false),
        "has_cs" => (StrOp::Has, true),
        "hasprefix" => (StrOp::HasPrefix, false),
        "hasprefix_cs" => (StrOp::HasPrefix, true),
        "hassuffix" => (StrOp::HasSuffix, false),
        "hassuffix_cs" => (StrOp::HasSuffix, true),
        "contains" => (StrOp::Contains, false),
        "contains_cs" => (StrOp::Contains, true),
        "startswith" => (StrOp::StartsWith, false),
        "startswith_cs" => (StrOp::StartsWith, true),
        "endswith" => (StrOp::EndsWith, false),
        "endswith_cs" => (StrOp::EndsWith, true),
        _ => return None,
    })
}

const PRECEDENCE_OR: u8 = 1;
const PRECEDENCE_AND: u8 = 2;
const PRECEDENCE_COMPARISON: u8 = 3;
const PRECEDENCE_ADDITIVE: u8 = 4;
const PRECEDENCE_MULTIPLICATIVE: u8 = 5;

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    }
}

impl Parser<'_> {
    /// `expr | op | op ...`: allowed at statement level, in parentheses and as call arguments.
    pub(crate) fn parse_pipeline(&mut self) -> Result<Expr> {
        self.enter()?;
        let result = self.parse_pipeline_inner();
        self.leave();
        result
    }

    fn parse_pipeline_inner(&mut self) -> Result<Expr> {
        let source = self.parse_expr()?;
        if !self.at_punct("|") {
            return Ok(source);
        }
        let mut operators = Vec::new();
        while self.eat_punct("|") {
            operators.push(self.parse_operator()?);
        }
        let end = operators
            .last()
            .map_or(source.span, |operator| operator.span);
        let span = source.span.to(end);
        Ok(Expr {
            kind: ExprKind::Pipeline {
                source: Box::new(source),
                operators,
            },
            span,
        })
    }

    /// A scalar-level expression: never swallows `|`.
    pub(crate) fn parse_expr(&mut self) -> Result<Expr> {
        self.parse_binary(PRECEDENCE_OR)
    }

    /// An expression inside brackets that do not go through [`Self::parse_pipeline`] (`a[...]`,
    /// `between (...)`, `datatable [...]`): one more nesting level.
    fn parse_nested_expr(&mut self) -> Result<Expr> {
        self.enter()?;
        let result = self.parse_expr();
        self.leave();
        result
    }

    /// Precedence climbing: one frame per operand instead of one per precedence level, which keeps
    /// the stack per nesting level small (see [`super::KQL_NESTING_DEPTH_MAX`]).
    fn parse_binary(&mut self, precedence_min: u8) -> Result<Expr> {
        let mut left = self.parse_unary()?;
        let mut chain = 0;
        while let Some((op, precedence, count)) = self.peek_binary_op() {
            if precedence < precedence_min {
                break;
            }
            self.bump_n(count);
            self.enter_chain(&mut chain)?;
            left = self.parse_binary_right(left, op, precedence)?;
        }
        self.leave_chain(chain);
        Ok(left)
    }

    fn parse_binary_right(&mut self, left: Expr, op: ComparisonOp, precedence: u8) -> Result<Expr> {
        match op {
            ComparisonOp::Binary(op) => {
                self.require_operand()?;
                let right = self.parse_binary(precedence + 1)?;
                Ok(binary(op, left, right))
            }
            ComparisonOp::In { kind, negated } => self.parse_in_list(left, kind, negated),
            ComparisonOp::Between { negated } => self.parse_between(left, negated),
        }
    }

    fn parse_in_list(&mut self, left: Expr, kind: InKind, negated: bool) -> Result<Expr> {
        let open = self.expect_punct("(")?;
        let list = self.parse_comma_list(")", "an expression")?;
        let close = self.expect_punct(")")?;
        if list.is_empty() {
            return Err(self.error_at(open.to(close), "expected at least one value in the list"));
        }
        let span = left.span.to(close);
        Ok(Expr {
            kind: ExprKind::InList {
                expr: Box::new(left),
                kind,
                negated,
                list,
            },
            span,
        })
    }

    fn parse_between(&mut self, left: Expr, negated: bool) -> Result<Expr> {
        self.expect_punct("(")?;
        self.require_operand()?;
        let low = self.parse_nested_expr()?;
        self.expect_punct("..")?;
        self.require_operand()?;
        let high = self.parse_nested_expr()?;
        let close = self.expect_punct(")")?;
        let span = left.span.to(close);
        Ok(Expr {
            kind: ExprKind::Between {
                expr: Box::new(left),
                low: Box::new(low),
                high: Box::new(high),
                negated,
            },
            span,
        })
    }

    /// Fails with "expected an expression after '<previous>'" when the next token cannot start one.
    pub(crate) fn require_operand(&mut self) -> Result<()> {
        let starts_expression = match &self.peek().kind {
            TokenKind::Ident(_)
            | TokenKind::String(_)
            | TokenKind::Long(_)
            | TokenKind::Real(_) => true,
            TokenKind::TimeSpan(_) => true,
            TokenKind::Punct(p) => matches!(*p, "(" | "[" | "-" | "+" | "*"),
            TokenKind::Eof | TokenKind::Error(_) => false,
        };
        if starts_expression {
            Ok(())
        } else {
            Err(self.error_expected_after("an expression"))
        }
    }

    /// The binary operator at the cursor: what it is, its precedence, how many tokens it spans.
    fn peek_binary_op(&mut self) -> Option<(ComparisonOp, u8, usize)> {
        let kind = self.peek().kind.clone();
        let (op, precedence) = match kind {
            TokenKind::Punct(p) => match p {
                "+" => (BinaryOp::Add, PRECEDENCE_ADDITIVE),
                "-" => (BinaryOp::Sub, PRECEDENCE_ADDITIVE),
                "*" => (BinaryOp::Mul, PRECEDENCE_MULTIPLICATIVE),
                "/" => (BinaryOp::Div, PRECEDENCE_MULTIPLICATIVE),
                "%" => (BinaryOp::Mod, PRECEDENCE_MULTIPLICATIVE),
                "==" => (BinaryOp::Eq, PRECEDENCE_COMPARISON),
                "!=" | "<>" => (BinaryOp::NotEq, PRECEDENCE_COMPARISON),
                "<" => (BinaryOp::Lt, PRECEDENCE_COMPARISON),
                "<=" => (BinaryOp::Le, PRECEDENCE_COMPARISON),
                ">" => (BinaryOp::Gt, PRECEDENCE_COMPARISON),
                ">=" => (BinaryOp::Ge, PRECEDENCE_COMPARISON),
                "=~" => (BinaryOp::EqTilde, PRECEDENCE_COMPARISON),
                "!~" => (BinaryOp::NotEqTilde, PRECEDENCE_COMPARISON),
                "!" => {
                    let (op, count) = self.peek_negated_word_op()?;
                    return Some((op, PRECEDENCE_COMPARISON, count));
                }
                _ => return None,
            },
            TokenKind::Ident(word) => match word.as_str() {
                "or" => (BinaryOp::Or, PRECEDENCE_OR),
                "and" => (BinaryOp::And, PRECEDENCE_AND),
                _ => {
                    let (op, count) = self.peek_word_op(&word, 0, false)?;
                    return Some((op, PRECEDENCE_COMPARISON, count));
                }
            },
            _ => return None,
        };
        Some((ComparisonOp::Binary(op), precedence, 1))
    }

    /// `!has`, `!in~`, `!between`: a `!` touching the word.
    fn peek_negated_word_op(&mut self) -> Option<(ComparisonOp, usize)> {
        if !self.adjacent(0) {
            return None;
        }
        let TokenKind::Ident(word) = self.peek_nth(1).kind.clone() else {
            return None;
        };
        if matches!(word.as_str(), "has_any" | "has_all") {
            return None;
        }
        let (op, count) = self.peek_word_op(&word, 1, true)?;
        Some((op, count + 1))
    }

    /// A word operator (`has`, `in`, `in~`, `matches regex`, `between`, ...) at token `index`.
    fn peek_word_op(
        &mut self,
        word: &str,
        index: usize,
        negated: bool,
    ) -> Option<(ComparisonOp, usize)> {
        if let Some((op, case_sensitive)) = string_operator(word) {
            return Some((
                ComparisonOp::Binary(BinaryOp::Str {
                    op,
                    negated,
                    case_sensitive,
                }),
                1,
            ));
        }
        match word {
            "in" if self.is_punct_at(index + 1, "~") && self.adjacent(index) => Some((
                ComparisonOp::In {
                    kind: InKind::InCaseInsensitive,
                    negated,
                },
                2,
            )),
            "in" => Some((
                ComparisonOp::In {
                    kind: InKind::In,
                    negated,
                },
                1,
            )),
            "has_any" => Some((
                ComparisonOp::In {
                    kind: InKind::HasAny,
                    negated,
                },
                1,
            )),
            "has_all" => Some((
                ComparisonOp::In {
                    kind: InKind::HasAll,
                    negated,
                },
                1,
            )),
            "between" => Some((ComparisonOp::Between { negated }, 1)),
            "matches" if !negated && self.is_keyword_at(index + 1, "regex") => {
                let op = BinaryOp::Str {
                    op: StrOp::MatchesRegex,
                    negated: false,
                    case_sensitive: true,
                };
                Some((ComparisonOp::Binary(op), 2))
            }
            _ => None,
        }
    }

    fn parse_unary(&mut self) -> Result<Expr> {
        let op = if self.at_punct("-") {
            UnaryOp::Neg
        } else if self.at_punct("+") {
            UnaryOp::Plus
        } else {
            return self.parse_postfix();
        };
        let op_span = self.bump().span;
        self.require_operand()?;
        self.enter()?;
        let operand = self.parse_unary();
        self.leave();
        let operand = operand?;
        let span = op_span.to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        })
    }

    pub(crate) fn parse_postfix(&mut self) -> Result<Expr> {
        let mut base = self.parse_primary()?;
        // `a.b.c[0]` nests one node per step, so a long chain counts against the nesting limit.
        let mut chain = 0;
        loop {
            if self.at_punct(".") {
                self.enter_chain(&mut chain)?;
                base = self.parse_member(base)?;
            } else if self.at_punct("[") {
                self.enter_chain(&mut chain)?;
                base = self.parse_index(base)?;
            } else {
                self.leave_chain(chain);
                return Ok(base);
            }
        }
    }

    fn parse_member(&mut self, base: Expr) -> Result<Expr> {
        self.bump();
        let name = self.expect_name("a property name after '.'")?;
        let span = base.span.to(name.span);
        Ok(Expr {
            kind: ExprKind::Member {
                base: Box::new(base),
                name,
            },
            span,
        })
    }

    fn parse_index(&mut self, base: Expr) -> Result<Expr> {
        self.bump();
        self.require_operand()?;
        let index = self.parse_nested_expr()?;
        let close = self.expect_punct("]")?;
        let span = base.span.to(close);
        Ok(Expr {
            kind: ExprKind::Index {
                base: Box::new(base),
                index: Box::new(index),
            },
            span,
        })
    }

    fn parse_primary(&mut self) -> Result<Expr> {
        let (is_open_parenthesis, word) = match &self.peek().kind {
            TokenKind::Punct("(") => (true, None),
            TokenKind::Ident(word) => (false, Some(word.clone())),
            _ => (false, None),
        };
        if is_open_parenthesis {
            return self.parse_parenthesized();
        }
        match word {
            Some(word) => self.parse_word_primary(word),
            None => self.parse_token_primary(),
        }
    }

    fn parse_parenthesized(&mut self) -> Result<Expr> {
        let open = self.bump().span;
        self.require_operand()?;
        let inner = self.parse_pipeline()?;
        let close = self.expect_punct(")")?;
        // Parentheses only group: the tree keeps the inner node, widened to cover them.
        Ok(Expr {
            kind: inner.kind,
            span: open.to(close),
        })
    }

    /// Literals, `*`, bracket-quoted names.
    fn parse_token_primary(&mut self) -> Result<Expr> {
        let token = self.peek().clone();
        let span = token.span;
        let literal = match token.kind {
            TokenKind::String(_) => return Ok(self.parse_string_literals()),
            TokenKind::Long(value) => Literal::Long(Some(value)),
            TokenKind::Real(value) => Literal::Real(Some(value)),
            TokenKind::TimeSpan(nanos) => Literal::TimeSpan(Some(nanos)),
            TokenKind::Punct("*") => {
                self.bump();
                return Ok(Expr {
                    kind: ExprKind::Star,
                    span,
                });
            }
            TokenKind::Punct("[") => {
                let name = self.expect_name("an expression")?;
                let span = name.span;
                return Ok(Expr {
                    kind: ExprKind::Name(name),
                    span,
                });
            }
            _ => return Err(self.error_expected_after("an expression")),
        };
        self.bump();
        Ok(Expr {
            kind: ExprKind::Literal(literal),
            span,
        })
    }

    /// Adjacent string literals concatenate: `'a' 'b'` is `'ab'`.
    fn parse_string_literals(&mut self) -> Expr {
        let mut value = String::new();
        let mut span = self.peek().span;
        while let TokenKind::String(part) = &self.peek().kind {
            value.push_str(part);
            span = span.to(self.peek().span);
            self.bump();
        }
        Expr {
            kind: ExprKind::Literal(Literal::String(value)),
            span,
        }
    }

    fn parse_word_primary(&mut self, word: String) -> Result<Expr> {
        let span = self.peek().span;
        let followed_by_parenthesis = self.is_punct_at(1, "(");
        match word.as_str() {
            "true" | "True" | "TRUE" => {
                self.bump();
                return Ok(Expr {
                    kind: ExprKind::Literal(Literal::Bool(Some(true))),
                    span,
                });
            }
            "false" | "False" | "FALSE" => {
                self.bump();
                return Ok(Expr {
                    kind: ExprKind::Literal(Literal::Bool(Some(false))),
                    span,
                });
            }
            "datatable" if followed_by_parenthesis => return self.parse_datatable(),
            "range"
                if matches!(self.peek_nth(1).kind, TokenKind::Ident(_))
                    && self.is_keyword_at(2, "from") =>
            {
                return self.parse_range();
            }
            "print" => return self.parse_print(),
            "union" => {
                self.bump();
                let spec = self.parse_union_spec()?;
                let end = spec.tables.last().map_or(span, |table| table.span);
                return Ok(Expr {
                    kind: ExprKind::Union(spec),
                    span: span.to(end),
                });
            }
            _ => {}
        }
        if followed_by_parenthesis && super::literal::is_typed_literal_name(&word) {
            return self.parse_typed_literal(word, span);
        }
        let name = Ident { name: word, span };
        self.bump();
        if followed_by_parenthesis {
            return self.parse_call(name);
        }
        Ok(Expr {
            kind: ExprKind::Name(name),
            span,
        })
    }

    fn parse_call(&mut self, name: Ident) -> Result<Expr> {
        self.bump();
        let args = self.parse_comma_list(")", "an argument")?;
        let close = self.expect_punct(")")?;
        let span = name.span.to(close);
        Ok(Expr {
            kind: ExprKind::Call { name, args },
            span,
        })
    }

    /// `first, second, ...` of pipelines up to (not consuming) `close`; may be empty. A trailing
    /// comma before `close` is an error naming the missing element.
    pub(crate) fn parse_comma_list(&mut self, close: &str, element: &str) -> Result<Vec<Expr>> {
        let mut elements = Vec::new();
        if self.at_punct(close) {
            return Ok(elements);
        }
        loop {
            if self.at_punct(close) || self.at_punct(",") || self.at_eof() {
                return Err(self.error_expected_after(element));
            }
            elements.push(self.parse_pipeline()?);
            if !self.eat_punct(",") {
                return Ok(elements);
            }
        }
    }

    /// `name = expr`, `(a, b) = expr`, or `expr`.
    pub(crate) fn parse_named_expr(&mut self) -> Result<NamedExpr> {
        let start = self.peek().span;
        let mut names = Vec::new();
        if let Some((name, count)) = self.peek_name_at(0)
            && self.is_punct_at(count, "=")
        {
            self.bump_n(count + 1);
            names.push(name);
        } else if self.at_name_tuple() {
            self.bump();
            loop {
                names.push(self.expect_name("a column name")?);
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
            self.expect_punct("=")?;
        }
        self.require_operand()?;
        let expr = self.parse_expr()?;
        let span = start.to(expr.span);
        Ok(NamedExpr { names, expr, span })
    }

    /// True when the cursor is at `(name, name, ...) =`.
    fn at_name_tuple(&mut self) -> bool {
        if !self.at_punct("(") {
            return false;
        }
        let mut index = 1;
        loop {
            let Some((_, count)) = self.peek_name_at(index) else {
                return false;
            };
            index += count;
            if self.is_punct_at(index, ",") {
                index += 1;
                continue;
            }
            return self.is_punct_at(index, ")") && self.is_punct_at(index + 1, "=");
        }
    }

    /// One or more named expressions separated by commas.
    pub(crate) fn parse_named_expr_list(&mut self) -> Result<Vec<NamedExpr>> {
        let mut list = vec![self.parse_named_expr()?];
        while self.eat_punct(",") {
            list.push(self.parse_named_expr()?);
        }
        Ok(list)
    }

    /// A type name (`long`, `int64`, `string`, ...).
    pub(crate) fn parse_type_name(&mut self) -> Result<(TypeName, Span)> {
        let token = self.peek().clone();
        if let TokenKind::Ident(word) = &token.kind
            && let Some(type_name) = TypeName::parse(word)
        {
            self.bump();
            return Ok((type_name, token.span));
        }
        Err(self.error_expected("a type name (bool, int, long, real, decimal, string, datetime, timespan, guid, dynamic)"))
    }

    /// `(name:type, ...)`, parentheses included.
    pub(crate) fn parse_column_decls(&mut self) -> Result<(Vec<ColumnDecl>, Span)> {
        let open = self.expect_punct("(")?;
        let mut columns = Vec::new();
        while !self.at_punct(")") {
            let name = self.expect_name("a column name")?;
            self.expect_punct(":")?;
            let (ty, _) = self.parse_type_name()?;
            columns.push(ColumnDecl { name, ty });
            if !self.eat_punct(",") {
                break;
            }
        }
        let close = self.expect_punct(")")?;
        Ok((columns, open.to(close)))
    }

    /// `datatable (a:int, b:string) [1, "x", 2, "y"]`; a trailing comma in the values is allowed.
    fn parse_datatable(&mut self) -> Result<Expr> {
        let start = self.bump().span;
        let (columns, _) = self.parse_column_decls()?;
        if columns.is_empty() {
            return Err(self.error_at(self.previous, "expected at least one column in 'datatable'"));
        }
        self.expect_punct("[")?;
        let mut values = Vec::new();
        while !self.at_punct("]") {
            self.require_operand()?;
            values.push(self.parse_nested_expr()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        let close = self.expect_punct("]")?;
        Ok(Expr {
            kind: ExprKind::Datatable { columns, values },
            span: start.to(close),
        })
    }

    /// `range x from 1 to 10 step 1`
    fn parse_range(&mut self) -> Result<Expr> {
        let start = self.bump().span;
        let column = self.expect_name("a column name after 'range'")?;
        self.expect_keyword("from")?;
        self.require_operand()?;
        let from = self.parse_expr()?;
        self.expect_keyword("to")?;
        self.require_operand()?;
        let to = self.parse_expr()?;
        self.expect_keyword("step")?;
        self.require_operand()?;
        let step = self.parse_expr()?;
        let span = start.to(step.span);
        Ok(Expr {
            kind: ExprKind::Range {
                column,
                from: Box::new(from),
                to: Box::new(to),
                step: Box::new(step),
            },
            span,
        })
    }

    /// `print a = 1, 2`
    fn parse_print(&mut self) -> Result<Expr> {
        let start = self.bump().span;
        let columns = self.parse_named_expr_list()?;
        let end = columns.last().map_or(start, |column| column.span);
        Ok(Expr {
            kind: ExprKind::Print { columns },
            span: start.to(end),
        })
    }

    /// After `union`: `[withsource=N] [kind=inner|outer] [isfuzzy=true] T1, (T2 | ...), ...`.
    pub(crate) fn parse_union_spec(&mut self) -> Result<UnionSpec> {
        let mut spec = UnionSpec {
            with_source: None,
            inner: false,
            fuzzy: false,
            tables: Vec::new(),
        };
        loop {
            if self.eat_hint()? {
                continue;
            }
            let Some((parameter, count)) = self.peek_hyphenated_name(0) else {
                break;
            };
            if !self.is_punct_at(count, "=") {
                break;
            }
            match parameter.as_str() {
                "withsource" => {
                    self.bump_n(count + 1);
                    spec.with_source = Some(self.expect_name("a column name after 'withsource='")?);
                }
                "kind" => {
                    self.bump_n(count + 1);
                    if self.eat_keyword("inner") {
                        spec.inner = true;
                    } else if self.eat_keyword("outer") {
                        spec.inner = false;
                    } else {
                        return Err(self.error_expected("'inner' or 'outer' after 'kind='"));
                    }
                }
                "isfuzzy" => {
                    self.bump_n(count + 1);
                    if self.eat_keyword("true") {
                        spec.fuzzy = true;
                    } else if self.eat_keyword("false") {
                        spec.fuzzy = false;
                    } else {
                        return Err(self.error_expected("'true' or 'false' after 'isfuzzy='"));
                    }
                }
                _ => break,
            }
        }
        loop {
            self.require_operand()?;
            spec.tables.push(self.parse_expr()?);
            if !self.eat_punct(",") {
                return Ok(spec);
            }
        }
    }
}
