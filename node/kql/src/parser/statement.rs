//! Statements: `let` (values, functions, views), `set`, `declare query_parameters`, and query
//! expressions; the `;`-separated list that makes a query or a function body.

use super::Parser;
use crate::Result;
use crate::ast::{FunctionDef, LetValue, Param, ParamType, Query, Span, Statement};

impl Parser<'_> {
    /// A whole query: statements separated by `;` (a trailing `;` and empty statements allowed),
    /// up to the end of the text.
    pub(crate) fn parse_query(&mut self) -> Result<Query> {
        let statements = self.parse_statements(None)?;
        if statements.is_empty() {
            return Err(self.error_expected("a query"));
        }
        self.expect_eof("';' or the end of the query")?;
        Ok(Query { statements })
    }

    /// Statements up to end of input, or up to (not consuming) `close` when given.
    fn parse_statements(&mut self, close: Option<&str>) -> Result<Vec<Statement>> {
        let mut statements = Vec::new();
        loop {
            while self.eat_punct(";") {}
            let at_end = match close {
                Some(close) => self.at_punct(close) || self.at_eof(),
                None => self.at_eof(),
            };
            if at_end {
                return Ok(statements);
            }
            statements.push(self.parse_statement()?);
            if !self.at_punct(";") {
                return Ok(statements);
            }
        }
    }

    fn parse_statement(&mut self) -> Result<Statement> {
        let start = self.peek().span;
        if self.at_keyword("let") && self.at_name_after(1) {
            self.bump();
            let name = self.expect_name("a name after 'let'")?;
            self.expect_punct("=")?;
            let value = self.parse_let_value()?;
            return Ok(Statement::Let {
                name,
                value,
                span: start.to(self.previous),
            });
        }
        if self.at_keyword("set") && self.at_name_after(1) {
            self.bump();
            let name = self.expect_name("an option name after 'set'")?;
            let value = if self.eat_punct("=") {
                self.require_operand()?;
                Some(self.parse_expr()?)
            } else {
                None
            };
            return Ok(Statement::Set {
                name,
                value,
                span: start.to(self.previous),
            });
        }
        if self.at_keyword("declare") && self.is_keyword_at(1, "query_parameters") {
            self.bump_n(2);
            let params = self.parse_params()?;
            return Ok(Statement::DeclareQueryParameters {
                params,
                span: start.to(self.previous),
            });
        }
        self.require_operand()?;
        Ok(Statement::Expr(self.parse_pipeline()?))
    }

    fn at_name_after(&mut self, index: usize) -> bool {
        self.peek_name_at(index).is_some()
    }

    /// After `let name =`: a function (`(params) {...}`, `view (params) {...}`) or an expression.
    fn parse_let_value(&mut self) -> Result<LetValue> {
        let is_view = self.at_keyword("view") && self.is_punct_at(1, "(");
        if is_view || self.at_function_parameters() {
            let start = self.peek().span;
            if is_view {
                self.bump();
            }
            let params = self.parse_params()?;
            let body = self.parse_function_body()?;
            return Ok(LetValue::Function(FunctionDef {
                params,
                body,
                is_view,
                span: start.to(self.previous),
            }));
        }
        self.require_operand()?;
        Ok(LetValue::Expr(self.parse_pipeline()?))
    }

    /// `()` followed by `{`, or `(name:` — a parameter list rather than a parenthesised expression.
    fn at_function_parameters(&mut self) -> bool {
        if !self.at_punct("(") {
            return false;
        }
        if self.is_punct_at(1, ")") {
            return self.is_punct_at(2, "{");
        }
        match self.peek_name_at(1) {
            Some((_, count)) => self.is_punct_at(1 + count, ":"),
            None => false,
        }
    }

    /// `(a:long, b:string = "x", T:(*), U:(x:long))`
    fn parse_params(&mut self) -> Result<Vec<Param>> {
        self.expect_punct("(")?;
        let mut params = Vec::new();
        while !self.at_punct(")") {
            let name = self.expect_name("a parameter name")?;
            self.expect_punct(":")?;
            let ty = if self.at_punct("(") {
                if self.is_punct_at(1, "*") && self.is_punct_at(2, ")") {
                    self.bump_n(3);
                    ParamType::Tabular(None)
                } else {
                    let (columns, _) = self.parse_column_decls()?;
                    ParamType::Tabular(Some(columns))
                }
            } else {
                ParamType::Scalar(self.parse_type_name()?.0)
            };
            let default = if self.eat_punct("=") {
                self.require_operand()?;
                Some(self.parse_expr()?)
            } else {
                None
            };
            params.push(Param { name, ty, default });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        Ok(params)
    }

    /// `{ let x = ...; expr }`: `let`s, then exactly one expression, its value.
    fn parse_function_body(&mut self) -> Result<Vec<Statement>> {
        let open = self.expect_punct("{")?;
        self.enter()?;
        let body = self.parse_statements(Some("}"));
        self.leave();
        let body = body?;
        let close = self.expect_punct("}")?;
        let span = Span {
            start: open.start,
            end: close.end,
        };
        match body.last() {
            Some(Statement::Expr(_)) => {}
            _ => {
                return Err(self.error_at(
                    span,
                    "expected the function body to end with an expression (its value)",
                ));
            }
        }
        let expressions = body
            .iter()
            .filter(|statement| matches!(statement, Statement::Expr(_)))
            .count();
        if expressions > 1 {
            return Err(self.error_at(
                span,
                "expected only 'let' statements before the function body's final expression",
            ));
        }
        Ok(body)
    }
}
