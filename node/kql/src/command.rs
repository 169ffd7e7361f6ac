//! Management ("control") commands: the text that starts with `.`, sent to `/v1/rest/mgmt`.

use crate::ast::{ColumnDecl, Ident, Query, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub kind: CommandKind,
    pub span: Span,
}

/// Ingestion properties of `.ingest inline`, `.set-or-append`, `.append`:
/// `with (tags='["ingest-by:x"]', ingestIfNotExists='["x"]', format='csv', ignoreFirstRecord=true)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WithProperties {
    /// Property name (as written) and its value as text (string literals unquoted, others as written).
    pub properties: Vec<(Ident, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionOrMerge {
    Retention,
    Merge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `.create table T (a:int, b:string) [with (...)]`
    CreateTable { table: Ident, columns: Vec<ColumnDecl>, properties: WithProperties },
    /// `.create-merge table T (a:int, ...)`
    CreateMergeTable { table: Ident, columns: Vec<ColumnDecl> },
    /// `.alter table T (a:int, ...)`: replaces the column list.
    AlterTable { table: Ident, columns: Vec<ColumnDecl> },
    /// `.drop table T [ifexists]`
    DropTable { table: Ident, if_exists: bool },
    /// `.show tables`
    ShowTables,
    /// `.show table T schema as json`
    ShowTableSchemaAsJson { table: Ident },
    /// `.show table T` (column list, cslschema-like)
    ShowTable { table: Ident },
    /// `.show table T details`
    ShowTableDetails { table: Ident },
    /// `.show table T extents` and `.show extents` (table = None)
    ShowExtents { table: Option<Ident> },
    /// `.create table T ingestion json mapping "name" '[...]'` (also `csv`); the mapping text as given.
    CreateIngestionMapping { table: Ident, format: Ident, name: String, mapping: String },
    /// `.show table T ingestion [json|csv] mappings`
    ShowIngestionMappings { table: Ident, format: Option<Ident> },
    /// `.drop table T ingestion json mapping "name"`
    DropIngestionMapping { table: Ident, format: Ident, name: String },
    /// `.create database D [persist (...)|volatile] [ifnotexists]`
    CreateDatabase { database: Ident, if_not_exists: bool },
    /// `.drop database D [ifexists]`
    DropDatabase { database: Ident, if_exists: bool },
    /// `.show databases`
    ShowDatabases,
    /// `.show database [D] schema [as json]`, `.show databases schema`
    ShowDatabaseSchema { database: Option<Ident>, as_json: bool },
    /// `.alter table T policy retention|merge ```json```` or `'json'`
    AlterTablePolicy { table: Ident, policy: RetentionOrMerge, json: String },
    /// `.show table T policy retention|merge`
    ShowTablePolicy { table: Ident, policy: RetentionOrMerge },
    /// `.show cluster`
    ShowCluster,
    /// `.show version`
    ShowVersion,
    /// `.show commands`
    ShowCommands,
    /// `.show queries`
    ShowQueries,
    /// `.show commands-and-queries`
    ShowCommandsAndQueries,
    /// `.ingest inline into table T [with (...)] <| data`: the data is the rest of the text, raw.
    IngestInline { table: Ident, properties: WithProperties, data: String },
    /// `.set-or-append T [with (...)] <| query`
    SetOrAppend { table: Ident, properties: WithProperties, query: Query },
    /// `.append T [with (...)] <| query`
    Append { table: Ident, properties: WithProperties, query: Query },
    /// `.set T [with (...)] <| query`: creates T, fails if it exists.
    Set { table: Ident, properties: WithProperties, query: Query },
    /// `.set-or-replace T [with (...)] <| query`
    SetOrReplace { table: Ident, properties: WithProperties, query: Query },
    /// `.clear table T data`
    ClearTableData { table: Ident },
    /// `.merge T` — forces the merge policy to run now for the table (Tarn-specific convenience,
    /// used by tests to reach the "merged" storage state deterministically).
    MergeTable { table: Ident },
}

/// Helper so a parsed `with (k=v)` value can be looked up case-insensitively.
impl WithProperties {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(key, _)| key.name.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
