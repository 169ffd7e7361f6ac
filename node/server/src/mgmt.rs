//! Management commands (`/v1/rest/mgmt`): schema changes go through Raft as `MetaCommand`s; reads
//! answer from the applied catalog; `.ingest inline` and `.set-or-append` go through the same
//! group committer as streaming ingestion.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use tarn_common::{Column, ExtentId, KustoType};
use tarn_ingest::IngestRequest;
use tarn_ingest::format::DataFormat;
use tarn_kql::command::{CommandKind, RetentionOrMerge, WithProperties};
use tarn_meta::{Catalog, MergePolicy, MetaCommand, MetaResponse, RetentionPolicy, Table};
use tarn_wire::{KustoError, QueryRequest, ResultTable};

use crate::errors;
use crate::ingest_http::{IngestSpec, ingest_body, tag_list};
use crate::node::{Node, now_nanos};
use crate::recent::RequestKind;
use crate::result_table::{Cell, TableBuilder};

pub async fn execute(node: &Arc<Node>, database: &str, request: &QueryRequest) -> Result<ResultTable, KustoError> {
    let text = request.csl.as_str();
    let command = tarn_kql::parse_command(text).map_err(|diagnostic| errors::syntax(&diagnostic))?;
    let db = database.to_string();
    match command.kind {
        CommandKind::CreateTable { table, columns, properties } => {
            let columns = to_columns(&columns);
            let catalog = node.meta.catalog();
            if let Some(existing) = catalog.table(&db, &table.name) {
                // Kusto: creating a table that exists with the same schema is a no-op.
                if existing.columns != columns {
                    return Err(KustoError::bad_request(
                        tarn_common::ErrorKind::AlreadyExists,
                        &format!("Table '{}' already exists with a different schema; use .alter table or .create-merge table.", table.name),
                    ));
                }
            } else {
                propose(node, MetaCommand::CreateTable {
                    db: db.clone(),
                    table: table.name.clone(),
                    columns,
                    folder: properties.get("folder").unwrap_or_default().to_string(),
                    docstring: properties.get("docstring").unwrap_or_default().to_string(),
                    created_at_nanos: now_nanos(),
                })
                .await?;
            }
            schema_table(node, &db, &table.name)
        }
        CommandKind::CreateMergeTable { table, columns } => {
            propose(node, MetaCommand::CreateMergeTable { db: db.clone(), table: table.name.clone(), columns: to_columns(&columns), created_at_nanos: now_nanos() }).await?;
            schema_table(node, &db, &table.name)
        }
        CommandKind::AlterTable { table, columns } => {
            propose(node, MetaCommand::AlterTable { db: db.clone(), table: table.name.clone(), columns: to_columns(&columns) }).await?;
            schema_table(node, &db, &table.name)
        }
        CommandKind::DropTable { table, if_exists } => {
            let response = propose(node, MetaCommand::DropTable { db: db.clone(), table: table.name.clone(), if_exists }).await?;
            retire_dropped(node, &response);
            show_tables(node, &db)
        }
        CommandKind::ShowTables => show_tables(node, &db),
        CommandKind::ShowTableSchemaAsJson { table } => schema_table(node, &db, &table.name),
        CommandKind::ShowTable { table } => {
            let catalog = node.meta.catalog();
            let found = find_table(&catalog, &db, &table.name)?;
            let mut builder = TableBuilder::new(&[("AttributeName", KustoType::String), ("AttributeType", KustoType::String), ("ColumnType", KustoType::String)]);
            for column in &found.columns {
                builder.row(vec![column.name.clone().into(), column.kusto_type.v1_data_type().into(), column.kusto_type.name().into()]);
            }
            builder.build()
        }
        CommandKind::ShowTableDetails { table } => table_details(node, &db, &table.name),
        CommandKind::ShowExtents { table } => show_extents(node, &db, table.as_ref().map(|ident| ident.name.as_str())),
        CommandKind::CreateIngestionMapping { table, format, name, mapping } => {
            tarn_ingest::format::IngestionMapping::parse(&mapping).map_err(errors::format)?;
            let kind = format.name.to_ascii_lowercase();
            propose(node, MetaCommand::CreateMapping {
                db: db.clone(),
                table: table.name.clone(),
                kind: kind.clone(),
                name: name.clone(),
                text: mapping,
                replace_existing: true,
            })
            .await?;
            show_mappings(node, &db, &table.name, Some(&kind))
        }
        CommandKind::ShowIngestionMappings { table, format } => {
            let kind = format.map(|format| format.name.to_ascii_lowercase());
            show_mappings(node, &db, &table.name, kind.as_deref())
        }
        CommandKind::DropIngestionMapping { table, format, name } => {
            let kind = format.name.to_ascii_lowercase();
            propose(node, MetaCommand::DropMapping { db: db.clone(), table: table.name.clone(), kind: kind.clone(), name }).await?;
            show_mappings(node, &db, &table.name, Some(&kind))
        }
        CommandKind::CreateDatabase { database: name, if_not_exists } => {
            propose(node, MetaCommand::CreateDatabase { name: name.name.clone(), if_not_exists }).await?;
            show_databases(node, Some(&name.name), &db)
        }
        CommandKind::DropDatabase { database: name, if_exists } => {
            let response = propose(node, MetaCommand::DropDatabase { name: name.name.clone(), if_exists }).await?;
            retire_dropped(node, &response);
            show_databases(node, None, &db)
        }
        CommandKind::ShowDatabases => show_databases(node, None, &db),
        CommandKind::ShowDatabaseSchema { database: name, as_json } => {
            let target = name.map(|ident| ident.name).unwrap_or_else(|| db.clone());
            database_schema(node, &target, as_json)
        }
        CommandKind::AlterTablePolicy { table, policy, json } => {
            let command = match policy {
                RetentionOrMerge::Retention => MetaCommand::SetRetention { db: db.clone(), table: table.name.clone(), policy: Some(parse_retention(&json)?) },
                RetentionOrMerge::Merge => MetaCommand::SetMergePolicy { db: db.clone(), table: table.name.clone(), policy: parse_merge(&json)? },
            };
            propose(node, command).await?;
            show_policy(node, &db, &table.name, policy)
        }
        CommandKind::ShowTablePolicy { table, policy } => show_policy(node, &db, &table.name, policy),
        CommandKind::ShowCluster => show_cluster(node),
        CommandKind::ShowVersion => {
            let mut builder = TableBuilder::new(&[("BuildVersion", KustoType::String), ("BuildTime", KustoType::DateTime), ("ServiceType", KustoType::String), ("ProductVersion", KustoType::String)]);
            builder.row(vec![env!("CARGO_PKG_VERSION").into(), Cell::DateTime(node.started_nanos), "Engine".into(), format!("Tarn {}", env!("CARGO_PKG_VERSION")).into()]);
            builder.build()
        }
        CommandKind::ShowCommands => show_recent(node, Some(RequestKind::Command)),
        CommandKind::ShowQueries => show_recent(node, Some(RequestKind::Query)),
        CommandKind::ShowCommandsAndQueries => show_recent(node, None),
        CommandKind::IngestInline { table, properties, data } => {
            let format = DataFormat::parse(properties.get("format").unwrap_or("csv")).map_err(errors::format)?;
            let spec = IngestSpec {
                database: db.clone(),
                table: table.name.clone(),
                format,
                mapping_name: properties.get("ingestionMappingReference").or(properties.get("jsonMappingReference")).or(properties.get("csvMappingReference")).map(str::to_string),
                skip_first_record: properties.get("ignoreFirstRecord").is_some_and(|value| value.eq_ignore_ascii_case("true")),
                tags: properties.get("tags").map(tag_list).unwrap_or_default(),
                ingest_if_not_exists: properties.get("ingestIfNotExists").map(tag_list).unwrap_or_default(),
            };
            let started = std::time::Instant::now();
            let outcome = ingest_body(node, spec, bytes::Bytes::from(data.into_bytes()), None).await?;
            let mut builder = TableBuilder::new(&[("ExtentId", KustoType::Guid), ("ItemLoaded", KustoType::String), ("Duration", KustoType::TimeSpan), ("HasErrors", KustoType::Bool), ("OperationId", KustoType::Guid)]);
            let elapsed = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
            for extent in &outcome.extents {
                builder.row(vec![extent.to_string().into(), "inproc:inline".into(), Cell::TimeSpan(elapsed), false.into(), uuid::Uuid::new_v4().to_string().into()]);
            }
            builder.build()
        }
        CommandKind::SetOrAppend { table, properties, .. } => ingest_query(node, &db, &table.name, &properties, text, QueryIngest::SetOrAppend).await,
        CommandKind::Append { table, properties, .. } => ingest_query(node, &db, &table.name, &properties, text, QueryIngest::Append).await,
        CommandKind::Set { table, properties, .. } => ingest_query(node, &db, &table.name, &properties, text, QueryIngest::Set).await,
        CommandKind::SetOrReplace { table, properties, .. } => ingest_query(node, &db, &table.name, &properties, text, QueryIngest::SetOrReplace).await,
        CommandKind::ClearTableData { table } => {
            let response = propose(node, MetaCommand::ClearTable { db: db.clone(), table: table.name.clone() }).await?;
            retire_dropped(node, &response);
            let mut builder = TableBuilder::new(&[("TableName", KustoType::String), ("Status", KustoType::String)]);
            builder.row(vec![table.name.clone().into(), "Cleared".into()]);
            builder.build()
        }
        CommandKind::MergeTable { table } => {
            find_table(&node.meta.catalog(), &db, &table.name)?;
            let merged = crate::maintenance::merge_table(node, &db, &table.name).await?;
            let mut builder = TableBuilder::new(&[("TableName", KustoType::String), ("MergedExtents", KustoType::Long)]);
            builder.row(vec![table.name.clone().into(), Cell::Long(merged as i64)]);
            builder.build()
        }
    }
}

pub async fn propose(node: &Node, command: MetaCommand) -> Result<MetaResponse, KustoError> {
    node.meta.propose(command).await.map_err(errors::meta)
}

fn retire_dropped(node: &Node, response: &MetaResponse) {
    if let MetaResponse::Dropped { extent_ids } = response {
        node.retire(extent_ids.iter().copied());
    }
}

fn to_columns(columns: &[tarn_kql::ast::ColumnDecl]) -> Vec<Column> {
    columns
        .iter()
        .map(|column| Column::new(column.name.name.clone(), KustoType::parse(column.ty.kusto_name()).unwrap_or(KustoType::String)))
        .collect()
}

fn find_table<'a>(catalog: &'a Catalog, db: &str, table: &str) -> Result<&'a Table, KustoError> {
    if catalog.database(db).is_none() {
        return Err(errors::database_not_found(db));
    }
    catalog.table(db, table).ok_or_else(|| errors::table_not_found(db, table))
}

/// Kusto's JSON schema of a table: `{"Name":..., "OrderedColumns":[{"Name","Type","CslType"}]}`.
fn schema_json(table: &Table) -> String {
    let columns: Vec<serde_json::Value> = table
        .columns
        .iter()
        .map(|column| serde_json::json!({"Name": column.name, "Type": column.kusto_type.clr_name(), "CslType": column.kusto_type.name()}))
        .collect();
    serde_json::json!({"Name": table.name, "OrderedColumns": columns}).to_string()
}

fn schema_table(node: &Node, db: &str, table: &str) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let found = find_table(&catalog, db, table)?;
    let mut builder = TableBuilder::new(&[("TableName", KustoType::String), ("Schema", KustoType::String), ("DatabaseName", KustoType::String), ("Folder", KustoType::String), ("DocString", KustoType::String)]);
    builder.row(vec![found.name.clone().into(), schema_json(found).into(), db.into(), found.folder.clone().into(), found.docstring.clone().into()]);
    builder.build()
}

fn show_tables(node: &Node, db: &str) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let database = catalog.database(db).ok_or_else(|| errors::database_not_found(db))?;
    let mut builder = TableBuilder::new(&[("TableName", KustoType::String), ("DatabaseName", KustoType::String), ("Folder", KustoType::String), ("DocString", KustoType::String)]);
    for table in database.tables.values() {
        builder.row(vec![table.name.clone().into(), db.into(), table.folder.clone().into(), table.docstring.clone().into()]);
    }
    builder.build()
}

fn table_details(node: &Node, db: &str, table: &str) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let found = find_table(&catalog, db, table)?;
    let rows: u64 = found.row_count();
    let bytes: u64 = found.extents.iter().map(|extent| extent.size_bytes).sum();
    let min_created = found.extents.iter().map(|extent| extent.created_at_nanos).min();
    let max_created = found.extents.iter().map(|extent| extent.created_at_nanos).max();
    let mut builder = TableBuilder::new(&[
        ("TableName", KustoType::String),
        ("DatabaseName", KustoType::String),
        ("Folder", KustoType::String),
        ("DocString", KustoType::String),
        ("TotalExtents", KustoType::Long),
        ("TotalExtentSize", KustoType::Long),
        ("TotalOriginalSize", KustoType::Long),
        ("TotalRowCount", KustoType::Long),
        ("HotExtents", KustoType::Long),
        ("HotExtentSize", KustoType::Long),
        ("HotRowCount", KustoType::Long),
        ("RetentionPolicy", KustoType::Dynamic),
        ("MergePolicy", KustoType::Dynamic),
        ("MinExtentsCreationTime", KustoType::DateTime),
        ("MaxExtentsCreationTime", KustoType::DateTime),
    ]);
    builder.row(vec![
        found.name.clone().into(),
        db.into(),
        found.folder.clone().into(),
        found.docstring.clone().into(),
        (found.extents.len() as u64).into(),
        bytes.into(),
        bytes.into(),
        rows.into(),
        (found.extents.len() as u64).into(),
        bytes.into(),
        rows.into(),
        found.retention.as_ref().map(|policy| Cell::Dynamic(retention_json(policy))).unwrap_or(Cell::Null),
        Cell::Dynamic(merge_json(&found.merge)),
        min_created.map(Cell::DateTime).unwrap_or(Cell::Null),
        max_created.map(Cell::DateTime).unwrap_or(Cell::Null),
    ]);
    builder.build()
}

fn show_extents(node: &Node, db: &str, table: Option<&str>) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let database = catalog.database(db).ok_or_else(|| errors::database_not_found(db))?;
    if let Some(name) = table {
        find_table(&catalog, db, name)?;
    }
    let mut builder = TableBuilder::new(&[
        ("ExtentId", KustoType::Guid),
        ("DatabaseName", KustoType::String),
        ("TableName", KustoType::String),
        ("MaxCreatedOn", KustoType::DateTime),
        ("OriginalSize", KustoType::Long),
        ("ExtentSize", KustoType::Long),
        ("CompressedSize", KustoType::Long),
        ("IndexSize", KustoType::Long),
        ("RowCount", KustoType::Long),
        ("MinCreatedOn", KustoType::DateTime),
        ("Tags", KustoType::String),
    ]);
    for current in database.tables.values().filter(|current| table.is_none_or(|name| current.name == name)) {
        for extent in &current.extents {
            builder.row(vec![
                extent.id.to_string().into(),
                db.into(),
                current.name.clone().into(),
                Cell::DateTime(extent.created_at_nanos),
                extent.size_bytes.into(),
                extent.size_bytes.into(),
                extent.size_bytes.into(),
                Cell::Long(0),
                extent.row_count.into(),
                Cell::DateTime(extent.created_at_nanos),
                extent.tags.join("\r\n").into(),
            ]);
        }
    }
    builder.build()
}

fn show_mappings(node: &Node, db: &str, table: &str, kind: Option<&str>) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let found = find_table(&catalog, db, table)?;
    let mut builder = TableBuilder::new(&[("Name", KustoType::String), ("Kind", KustoType::String), ("Mapping", KustoType::String), ("LastUpdatedOn", KustoType::DateTime), ("Database", KustoType::String), ("Table", KustoType::String)]);
    for mapping in found.mappings.values().filter(|mapping| kind.is_none_or(|wanted| mapping.kind == wanted)) {
        builder.row(vec![mapping.name.clone().into(), mapping.kind.clone().into(), mapping.text.clone().into(), Cell::Null, db.into(), table.into()]);
    }
    builder.build()
}

fn show_databases(node: &Node, only: Option<&str>, current: &str) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let mut builder = TableBuilder::new(&[
        ("DatabaseName", KustoType::String),
        ("PersistentStorage", KustoType::String),
        ("Version", KustoType::String),
        ("IsCurrent", KustoType::Bool),
        ("DatabaseAccessMode", KustoType::String),
        ("PrettyName", KustoType::String),
        ("CurrentUserIsUnrestrictedViewer", KustoType::Bool),
        ("DatabaseId", KustoType::String),
    ]);
    for database in catalog.databases.values().filter(|database| only.is_none_or(|name| database.name == name)) {
        builder.row(vec![
            database.name.clone().into(),
            node.config.data_dir.display().to_string().into(),
            "v1.0".into(),
            (database.name == current).into(),
            "ReadWrite".into(),
            database.name.clone().into(),
            false.into(),
            database.name.clone().into(),
        ]);
    }
    builder.build()
}

fn database_schema(node: &Node, db: &str, as_json: bool) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let database = catalog.database(db).ok_or_else(|| errors::database_not_found(db))?;
    if as_json {
        let mut tables = serde_json::Map::new();
        for table in database.tables.values() {
            let value: serde_json::Value = serde_json::from_str(&schema_json(table)).unwrap_or(serde_json::Value::Null);
            tables.insert(table.name.clone(), value);
        }
        let document = serde_json::json!({"Databases": {db: {"Name": db, "Tables": tables, "MajorVersion": 1, "MinorVersion": 0, "Functions": {}}}});
        let mut builder = TableBuilder::new(&[("DatabaseSchema", KustoType::String)]);
        builder.row(vec![document.to_string().into()]);
        return builder.build();
    }
    let mut builder = TableBuilder::new(&[
        ("DatabaseName", KustoType::String),
        ("TableName", KustoType::String),
        ("ColumnName", KustoType::String),
        ("ColumnType", KustoType::String),
        ("IsDefaultTable", KustoType::Bool),
        ("IsDefaultColumn", KustoType::Bool),
        ("PrettyName", KustoType::String),
        ("Version", KustoType::String),
        ("Folder", KustoType::String),
        ("DocString", KustoType::String),
    ]);
    builder.row(vec![db.into(), Cell::Str(String::new()), Cell::Str(String::new()), Cell::Str(String::new()), false.into(), false.into(), db.into(), "v1.0".into(), "".into(), "".into()]);
    for table in database.tables.values() {
        builder.row(vec![db.into(), table.name.clone().into(), "".into(), "".into(), false.into(), false.into(), "".into(), "v1.0".into(), table.folder.clone().into(), table.docstring.clone().into()]);
        for column in &table.columns {
            builder.row(vec![db.into(), table.name.clone().into(), column.name.clone().into(), column.kusto_type.clr_name().into(), false.into(), false.into(), "".into(), "v1.0".into(), "".into(), "".into()]);
        }
    }
    builder.build()
}

fn retention_json(policy: &RetentionPolicy) -> String {
    serde_json::json!({
        "SoftDeletePeriod": tarn_common::text::format::format_timespan(policy.soft_delete_period_nanos),
        "Recoverability": "Enabled",
    })
    .to_string()
}

fn merge_json(policy: &MergePolicy) -> String {
    serde_json::json!({
        "AllowMerge": policy.allow_merge,
        "AllowRebuild": policy.allow_merge,
        "MaxExtentsToMerge": policy.extents_per_merge_max,
        "RowCountUpperBoundForMerge": policy.extent_rows_target,
        "Tarn.ExtentRowsSmallMax": policy.extent_rows_small_max,
    })
    .to_string()
}

fn parse_retention(json: &str) -> Result<RetentionPolicy, KustoError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|error| errors::bad_request(format!("retention policy: invalid JSON: {error}")))?;
    let period = value
        .get("SoftDeletePeriod")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| errors::bad_request("retention policy: SoftDeletePeriod (a timespan such as \"10.00:00:00\") is required"))?;
    let nanos = tarn_common::text::parse::parse_timespan(period)
        .filter(|nanos| *nanos > 0)
        .ok_or_else(|| errors::bad_request(format!("retention policy: SoftDeletePeriod '{period}' is not a positive timespan")))?;
    Ok(RetentionPolicy { soft_delete_period_nanos: nanos })
}

fn parse_merge(json: &str) -> Result<MergePolicy, KustoError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|error| errors::bad_request(format!("merge policy: invalid JSON: {error}")))?;
    let mut policy = MergePolicy::default();
    if let Some(allow) = value.get("AllowMerge").and_then(serde_json::Value::as_bool) {
        policy.allow_merge = allow;
    }
    if let Some(count) = value.get("MaxExtentsToMerge").and_then(serde_json::Value::as_u64) {
        policy.extents_per_merge_max = count;
    }
    if let Some(rows) = value.get("RowCountUpperBoundForMerge").and_then(serde_json::Value::as_u64) {
        policy.extent_rows_target = rows;
    }
    if let Some(rows) = value.get("Tarn.ExtentRowsSmallMax").and_then(serde_json::Value::as_u64) {
        policy.extent_rows_small_max = rows;
    }
    Ok(policy)
}

fn show_policy(node: &Node, db: &str, table: &str, policy: RetentionOrMerge) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let found = find_table(&catalog, db, table)?;
    let (name, json) = match policy {
        RetentionOrMerge::Retention => ("RetentionPolicy", found.retention.as_ref().map(retention_json).unwrap_or_else(|| "null".into())),
        RetentionOrMerge::Merge => ("ExtentsMergePolicy", merge_json(&found.merge)),
    };
    let mut builder = TableBuilder::new(&[("PolicyName", KustoType::String), ("EntityName", KustoType::String), ("Policy", KustoType::String), ("ChildEntities", KustoType::String), ("EntityType", KustoType::String)]);
    builder.row(vec![name.into(), format!("[{db}].[{table}]").into(), json.into(), "".into(), "Table".into()]);
    builder.build()
}

fn show_cluster(node: &Node) -> Result<ResultTable, KustoError> {
    let metrics = node.meta.metrics();
    let mut builder = TableBuilder::new(&[
        ("NodeId", KustoType::String),
        ("Address", KustoType::String),
        ("Name", KustoType::String),
        ("StartTime", KustoType::DateTime),
        ("IsAdmin", KustoType::Bool),
        ("ProcessorCount", KustoType::Int),
        ("RaftState", KustoType::String),
        ("RaftTerm", KustoType::Long),
        ("AppliedIndex", KustoType::Long),
    ]);
    let cores = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(1);
    builder.row(vec![
        node.config.node_id.to_string().into(),
        node.config.http_addr.clone().into(),
        format!("tarnd-{}", node.config.node_id).into(),
        Cell::DateTime(node.started_nanos),
        true.into(),
        Cell::Int(i32::try_from(cores).unwrap_or(i32::MAX)),
        format!("{:?}", metrics.state).into(),
        metrics.current_term.into(),
        node.meta.applied_index().into(),
    ]);
    builder.build()
}

fn show_recent(node: &Node, kind: Option<RequestKind>) -> Result<ResultTable, KustoError> {
    let mut builder = TableBuilder::new(&[
        ("ClientActivityId", KustoType::String),
        ("CommandType", KustoType::String),
        ("Text", KustoType::String),
        ("Database", KustoType::String),
        ("StartedOn", KustoType::DateTime),
        ("LastUpdatedOn", KustoType::DateTime),
        ("Duration", KustoType::TimeSpan),
        ("State", KustoType::String),
        ("FailureReason", KustoType::String),
    ]);
    let now = now_nanos();
    for record in node.recent.snapshot(kind) {
        let finished = record.finished_nanos.unwrap_or(now);
        builder.row(vec![
            record.client_request_id.into(),
            match record.kind {
                RequestKind::Query => "Query".into(),
                RequestKind::Command => "Command".into(),
            },
            record.text.into(),
            record.database.into(),
            Cell::DateTime(record.started_nanos),
            Cell::DateTime(finished),
            Cell::TimeSpan(finished.saturating_sub(record.started_nanos)),
            record.state.into(),
            record.failure.into(),
        ]);
    }
    builder.build()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QueryIngest {
    SetOrAppend,
    Append,
    Set,
    SetOrReplace,
}

/// `.set-or-append`, `.append`, `.set`, `.set-or-replace`: run the query, shape its rows to the
/// table's schema (or create the table from the query's), commit like any ingestion.
async fn ingest_query(node: &Arc<Node>, db: &str, table: &str, properties: &WithProperties, text: &str, mode: QueryIngest) -> Result<ResultTable, KustoError> {
    let query_text = match text.find("<|") {
        Some(position) => &text[position + 2..],
        None => return Err(errors::bad_request("expected '<|' followed by a query")),
    };
    let existing = {
        let catalog = node.meta.catalog();
        if catalog.database(db).is_none() {
            return Err(errors::database_not_found(db));
        }
        catalog.table(db, table).map(|found| (found.columns.clone(), found.extent_ids()))
    };
    match (&existing, mode) {
        (None, QueryIngest::Append) => return Err(errors::table_not_found(db, table)),
        (Some(_), QueryIngest::Set) => {
            return Err(KustoError::bad_request(tarn_common::ErrorKind::AlreadyExists, &format!("Table '{table}' already exists; .set creates a new table.")));
        }
        _ => {}
    }
    let started = node.start_query(db, query_text, &tarn_wire::RequestProperties::default()).await?;
    let Some(mut result) = started.results.into_iter().next() else {
        return Err(errors::bad_request("the query returns no table"));
    };
    let schema = result.stream.schema();
    let mut batches = Vec::new();
    while let Some(batch) = result.stream.next().await {
        batches.push(batch.map_err(errors::datafusion)?);
    }
    let (columns, create_table) = match &existing {
        Some((columns, _)) => (columns.clone(), false),
        None => (result_columns(&schema)?, true),
    };
    let shaped = shape_batches(&batches, &schema, &columns, table)?;
    let outcome = node
        .ingest(IngestRequest {
            database: db.to_string(),
            table: table.to_string(),
            columns,
            batches: shaped,
            create_table,
            tags: properties.get("tags").map(tag_list).unwrap_or_default(),
            ingest_if_not_exists: properties.get("ingestIfNotExists").map(tag_list).unwrap_or_default(),
        })
        .await?;
    if mode == QueryIngest::SetOrReplace
        && let Some((_, old_extents)) = &existing
        && !old_extents.is_empty()
    {
        let response = propose(node, MetaCommand::DropExtents { db: db.to_string(), table: table.to_string(), ids: old_extents.clone() }).await?;
        retire_dropped(node, &response);
        node.retire(old_extents.iter().copied());
    }
    extent_rows(node, db, table, &outcome.extents)
}

fn extent_rows(node: &Node, db: &str, table: &str, extents: &[ExtentId]) -> Result<ResultTable, KustoError> {
    let catalog = node.meta.catalog();
    let mut builder = TableBuilder::new(&[("ExtentId", KustoType::Guid), ("OriginalSize", KustoType::Long), ("ExtentSize", KustoType::Long), ("ColumnSize", KustoType::Long), ("IndexSize", KustoType::Long), ("RowCount", KustoType::Long)]);
    if let Some(found) = catalog.table(db, table) {
        for extent in found.extents.iter().filter(|extent| extents.contains(&extent.id)) {
            builder.row(vec![extent.id.to_string().into(), extent.size_bytes.into(), extent.size_bytes.into(), extent.size_bytes.into(), Cell::Long(0), extent.row_count.into()]);
        }
    }
    builder.build()
}

/// The KQL columns of a query result (for `.set-or-append` creating a table).
fn result_columns(schema: &SchemaRef) -> Result<Vec<Column>, KustoError> {
    schema
        .fields()
        .iter()
        .map(|field| {
            KustoType::from_arrow(field.data_type())
                .map(|kusto_type| Column::new(field.name().clone(), kusto_type))
                .ok_or_else(|| errors::internal(format!("column '{}' has no KQL type ({})", field.name(), field.data_type())))
        })
        .collect()
}

/// Reorders, casts and fills the query's batches to the table's columns (by name). A result
/// column the table does not have is an error: nothing is silently dropped.
fn shape_batches(batches: &[RecordBatch], schema: &SchemaRef, columns: &[Column], table: &str) -> Result<Vec<RecordBatch>, KustoError> {
    for field in schema.fields() {
        if !columns.iter().any(|column| column.name == *field.name()) {
            return Err(errors::bad_request(format!("the query returns column '{}', which table '{table}' does not have", field.name())));
        }
    }
    let target = tarn_common::types::arrow_schema(columns);
    let options = CastOptions { safe: true, ..CastOptions::default() };
    let mut shaped = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
        for column in columns {
            let data_type = column.kusto_type.arrow_type();
            let array = match schema.index_of(&column.name) {
                Ok(index) => cast_with_options(batch.column(index), &data_type, &options).map_err(|error| errors::bad_request(format!("column '{}': {error}", column.name)))?,
                Err(_) => new_null_array(&data_type, batch.num_rows()),
            };
            arrays.push(array);
        }
        shaped.push(RecordBatch::try_new(Arc::clone(&target), arrays).map_err(|error| errors::internal(error.to_string()))?);
    }
    Ok(shaped)
}
