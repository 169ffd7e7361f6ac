//! Management commands (`.create table`, `.show ...`, `.ingest inline`, `.set-or-append`, ...).
//! Command keywords are case-insensitive, unlike KQL's.

use super::Parser;
use crate::Result;
use crate::ast::{Ident, Span};
use crate::command::{Command, CommandKind, RetentionOrMerge, WithProperties};
use crate::lexer::TokenKind;

impl Parser<'_> {
    /// True when token `index` is the identifier `word`, ignoring ASCII case.
    fn is_word_at(&mut self, index: usize, word: &str) -> bool {
        matches!(&self.peek_nth(index).kind, TokenKind::Ident(name) if name.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word_at(0, word) {
            self.bump();
            return true;
        }
        false
    }

    fn expect_word(&mut self, word: &str) -> Result<()> {
        if self.eat_word(word) {
            return Ok(());
        }
        Err(self.error_expected(&format!("'{word}'")))
    }

    /// One of `words` (case-insensitive), returned lower-cased; hyphenated words are joined.
    fn expect_one_of(&mut self, words: &[&str]) -> Result<String> {
        if let Some((word, count)) = self.peek_hyphenated_name(0) {
            let lower = word.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                self.bump_n(count);
                return Ok(lower);
            }
        }
        let list: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
        Err(self.error_expected(&format!("one of {}", list.join(", "))))
    }

    /// A whole command, up to the end of the text.
    pub(crate) fn parse_command(&mut self) -> Result<Command> {
        let start = self.expect_punct(".")?;
        let Some((verb, count)) = self.peek_hyphenated_name(0) else {
            return Err(self.error_expected("a command name after '.'"));
        };
        let verb_span = self.peek().span;
        self.bump_n(count);
        let kind = match verb.to_ascii_lowercase().as_str() {
            "create" => self.parse_create()?,
            "create-merge" => {
                self.expect_word("table")?;
                let table = self.expect_name("a table name")?;
                let (columns, _) = self.parse_column_decls()?;
                CommandKind::CreateMergeTable { table, columns }
            }
            "create-or-alter" => {
                self.expect_word("table")?;
                let table = self.expect_name("a table name")?;
                self.expect_word("ingestion")?;
                self.parse_create_mapping(table)?
            }
            "alter" => self.parse_alter()?,
            "drop" => self.parse_drop()?,
            "show" => self.parse_show()?,
            "clear" => {
                self.expect_word("table")?;
                let table = self.expect_name("a table name")?;
                self.expect_word("data")?;
                CommandKind::ClearTableData { table }
            }
            "merge" => CommandKind::MergeTable {
                table: self.expect_name("a table name after '.merge'")?,
            },
            "ingest" => return self.parse_ingest_inline(start),
            "set-or-append" | "append" | "set" | "set-or-replace" => {
                return self.parse_set_command(&verb, start);
            }
            _ => {
                return Err(self.error_at(
                    verb_span,
                    format!("unknown or unsupported management command '.{verb}'"),
                ));
            }
        };
        self.expect_eof("the end of the command")?;
        Ok(Command {
            kind,
            span: start.to(self.previous),
        })
    }

    fn parse_create(&mut self) -> Result<CommandKind> {
        if self.eat_word("database") {
            let database = self.expect_name("a database name")?;
            let mut if_not_exists = false;
            loop {
                if self.eat_word("persist") {
                    self.skip_parenthesized("persist")?;
                } else if self.eat_word("volatile") {
                } else if self.eat_word("ifnotexists") {
                    if_not_exists = true;
                } else {
                    return Ok(CommandKind::CreateDatabase {
                        database,
                        if_not_exists,
                    });
                }
            }
        }
        self.expect_word("table")?;
        let table = self.expect_name("a table name")?;
        if self.eat_word("ingestion") {
            return self.parse_create_mapping(table);
        }
        let (columns, _) = self.parse_column_decls()?;
        let properties = self.parse_with_properties()?;
        Ok(CommandKind::CreateTable {
            table,
            columns,
            properties,
        })
    }

    /// After `ingestion`: `json mapping "Name" '[...]' [with (...)]`.
    fn parse_create_mapping(&mut self, table: Ident) -> Result<CommandKind> {
        let format = self.expect_name("a mapping format (json, csv, ...)")?;
        self.expect_word("mapping")?;
        let name = self.expect_string("a mapping name")?;
        let mapping = self.expect_string("the mapping as a string literal")?;
        // `with (removeOldestIfRequired=...)` tunes Kusto's mapping store; Tarn keeps every mapping.
        self.parse_with_properties()?;
        Ok(CommandKind::CreateIngestionMapping {
            table,
            format,
            name,
            mapping,
        })
    }

    fn expect_string(&mut self, what: &str) -> Result<String> {
        if let TokenKind::String(value) = &self.peek().kind {
            let value = value.clone();
            self.bump();
            return Ok(value);
        }
        Err(self.error_expected(what))
    }

    fn skip_parenthesized(&mut self, after: &str) -> Result<()> {
        let open = self.expect_punct("(")?;
        let Some(close) = self.lexer_find_close(open.end as usize) else {
            return Err(self.error_at(
                open,
                format!("expected ')' to close '{after} (', found end of input"),
            ));
        };
        self.reposition(close + 1);
        self.previous = Span::new(close, close + 1);
        Ok(())
    }

    fn lexer_find_close(&self, start: usize) -> Option<usize> {
        self.lexer.find_closing_parenthesis(start)
    }

    fn parse_alter(&mut self) -> Result<CommandKind> {
        self.expect_word("table")?;
        let table = self.expect_name("a table name")?;
        if self.eat_word("policy") {
            let policy = self.parse_policy_name()?;
            let json = self.expect_string("the policy as a string literal")?;
            return Ok(CommandKind::AlterTablePolicy {
                table,
                policy,
                json,
            });
        }
        let (columns, _) = self.parse_column_decls()?;
        Ok(CommandKind::AlterTable { table, columns })
    }

    fn parse_policy_name(&mut self) -> Result<RetentionOrMerge> {
        match self.expect_one_of(&["retention", "merge"])?.as_str() {
            "retention" => Ok(RetentionOrMerge::Retention),
            _ => Ok(RetentionOrMerge::Merge),
        }
    }

    fn parse_drop(&mut self) -> Result<CommandKind> {
        if self.eat_word("database") {
            let database = self.expect_name("a database name")?;
            let if_exists = self.eat_word("ifexists");
            return Ok(CommandKind::DropDatabase {
                database,
                if_exists,
            });
        }
        self.expect_word("table")?;
        let table = self.expect_name("a table name")?;
        if self.eat_word("ingestion") {
            let format = self.expect_name("a mapping format (json, csv, ...)")?;
            self.expect_word("mapping")?;
            let name = self.expect_string("a mapping name")?;
            return Ok(CommandKind::DropIngestionMapping {
                table,
                format,
                name,
            });
        }
        let if_exists = self.eat_word("ifexists");
        Ok(CommandKind::DropTable { table, if_exists })
    }

    fn parse_show(&mut self) -> Result<CommandKind> {
        let what = self.expect_one_of(&[
            "tables",
            "table",
            "extents",
            "databases",
            "database",
            "cluster",
            "version",
            "commands",
            "queries",
            "commands-and-queries",
        ])?;
        Ok(match what.as_str() {
            "tables" => CommandKind::ShowTables,
            "table" => self.parse_show_table()?,
            "extents" => CommandKind::ShowExtents { table: None },
            "databases" => match self.eat_word("schema") {
                true => CommandKind::ShowDatabaseSchema {
                    database: None,
                    as_json: self.parse_as_json()?,
                },
                false => CommandKind::ShowDatabases,
            },
            "database" => {
                let database = if self.is_word_at(0, "schema") {
                    None
                } else {
                    Some(self.expect_name("a database name")?)
                };
                self.expect_word("schema")?;
                CommandKind::ShowDatabaseSchema {
                    database,
                    as_json: self.parse_as_json()?,
                }
            }
            "cluster" => CommandKind::ShowCluster,
            "version" => CommandKind::ShowVersion,
            "commands" => CommandKind::ShowCommands,
            "queries" => CommandKind::ShowQueries,
            _ => CommandKind::ShowCommandsAndQueries,
        })
    }

    /// Optional `as json`.
    fn parse_as_json(&mut self) -> Result<bool> {
        if !self.eat_word("as") {
            return Ok(false);
        }
        self.expect_word("json")?;
        Ok(true)
    }

    /// After `.show table`: `T [schema as json | details | extents | ingestion [fmt] mappings | policy p]`.
    fn parse_show_table(&mut self) -> Result<CommandKind> {
        let table = self.expect_name("a table name")?;
        if self.at_eof() {
            return Ok(CommandKind::ShowTable { table });
        }
        let what = self.expect_one_of(&["schema", "details", "extents", "ingestion", "policy"])?;
        Ok(match what.as_str() {
            "schema" => {
                self.expect_word("as")?;
                self.expect_word("json")?;
                CommandKind::ShowTableSchemaAsJson { table }
            }
            "details" => CommandKind::ShowTableDetails { table },
            "extents" => CommandKind::ShowExtents { table: Some(table) },
            "ingestion" => {
                let format = if self.is_word_at(0, "mappings") {
                    None
                } else {
                    Some(self.expect_name("a mapping format")?)
                };
                self.expect_word("mappings")?;
                CommandKind::ShowIngestionMappings { table, format }
            }
            _ => CommandKind::ShowTablePolicy {
                table,
                policy: self.parse_policy_name()?,
            },
        })
    }

    /// Optional `with (name = value, ...)`.
    fn parse_with_properties(&mut self) -> Result<WithProperties> {
        let mut properties = WithProperties::default();
        if !self.eat_word("with") {
            return Ok(properties);
        }
        self.expect_punct("(")?;
        while !self.at_punct(")") {
            let name = self.expect_name("a property name")?;
            self.expect_punct("=")?;
            let value = self.parse_property_value()?;
            properties.properties.push((name, value));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        Ok(properties)
    }

    /// A string literal's contents, or a word, number, or `datetime(...)` as written.
    fn parse_property_value(&mut self) -> Result<String> {
        let token = self.peek().clone();
        let start = token.span.start as usize;
        match token.kind {
            TokenKind::String(value) => {
                self.bump();
                Ok(value)
            }
            TokenKind::Ident(_) if self.is_punct_at(1, "(") => {
                self.bump();
                self.skip_parenthesized("value")?;
                Ok(self
                    .text
                    .get(start..self.previous.end as usize)
                    .unwrap_or("")
                    .to_string())
            }
            TokenKind::Ident(_)
            | TokenKind::Long(_)
            | TokenKind::Real(_)
            | TokenKind::TimeSpan(_) => {
                self.bump();
                Ok(self
                    .text
                    .get(start..token.span.end as usize)
                    .unwrap_or("")
                    .to_string())
            }
            TokenKind::Punct("-")
                if matches!(
                    self.peek_nth(1).kind,
                    TokenKind::Long(_) | TokenKind::Real(_)
                ) =>
            {
                self.bump();
                let number = self.bump();
                Ok(self
                    .text
                    .get(start..number.span.end as usize)
                    .unwrap_or("")
                    .to_string())
            }
            _ => Err(self.error_expected("a property value")),
        }
    }

    /// Consumes `<|` and returns the byte offset just after it.
    fn expect_pipe_in(&mut self) -> Result<usize> {
        let span = self.expect_punct("<|")?;
        Ok(span.end as usize)
    }

    /// `.ingest inline into table T [with (...)] <| data`
    fn parse_ingest_inline(&mut self, start: Span) -> Result<Command> {
        self.expect_word("inline")?;
        self.expect_word("into")?;
        self.expect_word("table")?;
        let table = self.expect_name("a table name")?;
        let properties = self.parse_with_properties()?;
        let data_start = self.expect_pipe_in()?;
        let rest = self.text.get(data_start..).unwrap_or("");
        // One separator after `<|` belongs to the syntax, not the data.
        let data = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .or_else(|| rest.strip_prefix(' '))
            .unwrap_or(rest);
        let span = start.to(Span::new(self.text.len(), self.text.len()));
        Ok(Command {
            kind: CommandKind::IngestInline {
                table,
                properties,
                data: data.to_string(),
            },
            span,
        })
    }

    /// `.set-or-append T [with (...)] <| query` and its siblings.
    fn parse_set_command(&mut self, verb: &str, start: Span) -> Result<Command> {
        // `async` returns an operation id in Kusto; Tarn's commands complete before replying.
        self.eat_word("async");
        let table = self.expect_name("a table name")?;
        let properties = self.parse_with_properties()?;
        let query_start = self.expect_pipe_in()?;
        let mut query_parser = Parser::new(self.text, query_start);
        let query = query_parser.parse_query()?;
        let span = start.to(Span::new(self.text.len(), self.text.len()));
        let kind = match verb.to_ascii_lowercase().as_str() {
            "set-or-append" => CommandKind::SetOrAppend {
                table,
                properties,
                query,
            },
            "append" => CommandKind::Append {
                table,
                properties,
                query,
            },
            "set" => CommandKind::Set {
                table,
                properties,
                query,
            },
            _ => CommandKind::SetOrReplace {
                table,
                properties,
                query,
            },
        };
        Ok(Command { kind, span })
    }
}
