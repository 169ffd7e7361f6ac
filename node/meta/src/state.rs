//! The pure state transition: `apply(catalog, command, context)`. No clock, no I/O, no randomness:
//! every replica that applies the same commands in the same order holds the same catalog.
//!
//! Every command is checked completely before the catalog is touched, so a refused command (a
//! [`CommandError`], `Duplicate`, `Conflict`) leaves the catalog exactly as it was.
//!
//! Does not own: durability or ordering (the Raft log in `log.rs`), extent bytes (`tarn-storage`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use tarn_common::limits::{NAME_BYTES_MAX, TABLE_COLUMNS_MAX};
use tarn_common::{Column, ExtentId, ExtentMeta};

use crate::catalog::{Catalog, DEFAULT_DATABASE, Database, Mapping, MergePolicy, Table};
use crate::command::{ApplyContext, MetaCommand, MetaResponse};
use crate::error::CommandError;

/// The prefix of the extent tags `ingestIfNotExists` looks at.
pub const INGEST_BY_TAG_PREFIX: &str = "ingest-by:";

pub fn apply(
    state: &mut Catalog,
    command: &MetaCommand,
    context: &ApplyContext,
) -> Result<MetaResponse, CommandError> {
    match command {
        MetaCommand::Bootstrap => {
            if state.bootstrapped {
                return Ok(MetaResponse::Unchanged);
            }
            state.bootstrapped = true;
            state
                .databases
                .entry(DEFAULT_DATABASE.to_string())
                .or_insert_with(|| Database::new(DEFAULT_DATABASE));
            Ok(MetaResponse::Created)
        }
        MetaCommand::CreateDatabase {
            name,
            if_not_exists,
        } => {
            check_name("database", name)?;
            if state.databases.contains_key(name) {
                if *if_not_exists {
                    return Ok(MetaResponse::Unchanged);
                }
                return Err(CommandError::DatabaseAlreadyExists { name: name.clone() });
            }
            state
                .databases
                .insert(name.clone(), Database::new(name.clone()));
            Ok(MetaResponse::Created)
        }
        MetaCommand::DropDatabase { name, if_exists } => match state.databases.remove(name) {
            Some(database) => {
                let extent_ids = database
                    .tables
                    .values()
                    .flat_map(Table::extent_ids)
                    .collect();
                Ok(MetaResponse::Dropped { extent_ids })
            }
            None if *if_exists => Ok(MetaResponse::Unchanged),
            None => Err(CommandError::DatabaseNotFound { name: name.clone() }),
        },
        MetaCommand::CreateTable {
            db,
            table,
            columns,
            folder,
            docstring,
            created_at_nanos,
        } => {
            check_name("table", table)?;
            check_columns(db, table, columns)?;
            let database = database_mut(state, db)?;
            if database.tables.contains_key(table) {
                return Err(CommandError::TableAlreadyExists {
                    db: db.clone(),
                    table: table.clone(),
                });
            }
            let mut new_table =
                Table::empty(table, columns.clone(), *created_at_nanos, context.log_index);
            new_table.folder = folder.clone();
            new_table.docstring = docstring.clone();
            database.tables.insert(table.clone(), new_table);
            Ok(MetaResponse::Created)
        }
        MetaCommand::CreateMergeTable {
            db,
            table,
            columns,
            created_at_nanos,
        } => {
            check_name("table", table)?;
            check_columns(db, table, columns)?;
            let database = database_mut(state, db)?;
            match database.tables.get_mut(table) {
                None => {
                    let new_table =
                        Table::empty(table, columns.clone(), *created_at_nanos, context.log_index);
                    database.tables.insert(table.clone(), new_table);
                    Ok(MetaResponse::Created)
                }
                Some(existing) => {
                    let added = columns_to_add(db, existing, columns)?;
                    if added.is_empty() {
                        return Ok(MetaResponse::Unchanged);
                    }
                    existing.columns.extend(added);
                    existing.schema_version = context.log_index;
                    Ok(MetaResponse::Ok)
                }
            }
        }
        MetaCommand::AlterTable { db, table, columns } => {
            check_columns(db, table, columns)?;
            let existing = table_mut(state, db, table)?;
            for extent in &existing.extents {
                for stored in &extent.columns {
                    if !columns.contains(stored) {
                        return Err(CommandError::ColumnStillStored {
                            db: db.clone(),
                            table: table.clone(),
                            column: stored.name.clone(),
                            stored_type: stored.kusto_type,
                        });
                    }
                }
            }
            existing.columns = columns.clone();
            existing.schema_version = context.log_index;
            Ok(MetaResponse::Ok)
        }
        MetaCommand::DropTable {
            db,
            table,
            if_exists,
        } => {
            let database = database_mut(state, db)?;
            match database.tables.remove(table) {
                Some(dropped) => Ok(MetaResponse::Dropped {
                    extent_ids: dropped.extent_ids(),
                }),
                None if *if_exists => Ok(MetaResponse::Unchanged),
                None => Err(CommandError::TableNotFound {
                    db: db.clone(),
                    table: table.clone(),
                }),
            }
        }
        MetaCommand::CreateMapping {
            db,
            table,
            kind,
            name,
            text,
            replace_existing,
        } => {
            check_name("mapping", name)?;
            let kind = kind.to_ascii_lowercase();
            check_name("mapping kind", &kind)?;
            let existing = table_mut(state, db, table)?;
            let key = (kind.clone(), name.clone());
            if existing.mappings.contains_key(&key) && !replace_existing {
                return Err(CommandError::MappingAlreadyExists {
                    db: db.clone(),
                    table: table.clone(),
                    kind,
                    name: name.clone(),
                });
            }
            existing.mappings.insert(
                key,
                Mapping {
                    kind,
                    name: name.clone(),
                    text: text.clone(),
                },
            );
            Ok(MetaResponse::Ok)
        }
        MetaCommand::DropMapping {
            db,
            table,
            kind,
            name,
        } => {
            let kind = kind.to_ascii_lowercase();
            let existing = table_mut(state, db, table)?;
            match existing.mappings.remove(&(kind.clone(), name.clone())) {
                Some(_) => Ok(MetaResponse::Ok),
                None => Err(CommandError::MappingNotFound {
                    db: db.clone(),
                    table: table.clone(),
                    kind,
                    name: name.clone(),
                }),
            }
        }
        MetaCommand::SetRetention { db, table, policy } => {
            if let Some(retention) = policy
                && retention.soft_delete_period_nanos < 0
            {
                return Err(CommandError::InvalidPolicy {
                    db: db.clone(),
                    table: table.clone(),
                    reason: format!(
                        "the soft-delete period must not be negative (got {} ns)",
                        retention.soft_delete_period_nanos
                    ),
                });
            }
            let existing = table_mut(state, db, table)?;
            existing.retention = *policy;
            Ok(MetaResponse::Ok)
        }
        MetaCommand::SetMergePolicy { db, table, policy } => {
            check_merge_policy(db, table, policy)?;
            let existing = table_mut(state, db, table)?;
            existing.merge = *policy;
            Ok(MetaResponse::Ok)
        }
        MetaCommand::AppendExtents {
            db,
            table,
            create_with_columns,
            extents,
            ingest_by_tags,
            if_not_exists_tags,
        } => apply_append(
            state,
            context,
            AppendRequest {
                db,
                table,
                create_with_columns: create_with_columns.as_deref(),
                extents,
                ingest_by_tags,
                if_not_exists_tags,
            },
        ),
        MetaCommand::ReplaceExtents {
            db,
            table,
            remove,
            add,
        } => {
            let database = database_mut(state, db)?;
            let Some(existing) = database.tables.get(table) else {
                return Err(CommandError::TableNotFound {
                    db: db.clone(),
                    table: table.clone(),
                });
            };
            let present: HashSet<ExtentId> =
                existing.extents.iter().map(|extent| extent.id).collect();
            let missing: Vec<ExtentId> = unique(remove)
                .into_iter()
                .filter(|id| !present.contains(id))
                .collect();
            if !missing.is_empty() {
                return Ok(MetaResponse::Conflict { missing });
            }
            check_new_extents(db, database, existing, &existing.columns, add)?;

            let removed: HashSet<ExtentId> = remove.iter().copied().collect();
            let Some(existing) = database.tables.get_mut(table) else {
                return Err(CommandError::TableNotFound {
                    db: db.clone(),
                    table: table.clone(),
                });
            };
            let insert_at = existing
                .extents
                .iter()
                .position(|extent| removed.contains(&extent.id))
                .unwrap_or(existing.extents.len());
            let mut kept_before: Vec<ExtentMeta> =
                Vec::with_capacity(existing.extents.len() + add.len());
            let mut kept_after: Vec<ExtentMeta> = Vec::new();
            for (position, extent) in std::mem::take(&mut existing.extents)
                .into_iter()
                .enumerate()
            {
                if removed.contains(&extent.id) {
                    continue;
                }
                if position < insert_at {
                    kept_before.push(extent);
                } else {
                    kept_after.push(extent);
                }
            }
            kept_before.extend(add.iter().cloned());
            kept_before.extend(kept_after);
            existing.extents = kept_before;
            remember_extent_tags(existing, add);
            Ok(MetaResponse::Ok)
        }
        MetaCommand::DropExtents { db, table, ids } => {
            let existing = table_mut(state, db, table)?;
            let to_drop: HashSet<ExtentId> = ids.iter().copied().collect();
            let mut dropped = Vec::new();
            existing.extents.retain(|extent| {
                let drop_it = to_drop.contains(&extent.id);
                if drop_it {
                    dropped.push(extent.id);
                }
                !drop_it
            });
            Ok(MetaResponse::Dropped {
                extent_ids: dropped,
            })
        }
        MetaCommand::ClearTable { db, table } => {
            let existing = table_mut(state, db, table)?;
            let extent_ids = existing.extent_ids();
            existing.extents.clear();
            existing.ingest_tags.clear();
            Ok(MetaResponse::Dropped { extent_ids })
        }
    }
}

struct AppendRequest<'command> {
    db: &'command String,
    table: &'command String,
    create_with_columns: Option<&'command [Column]>,
    extents: &'command [ExtentMeta],
    ingest_by_tags: &'command [String],
    if_not_exists_tags: &'command [String],
}

fn apply_append(
    state: &mut Catalog,
    context: &ApplyContext,
    request: AppendRequest<'_>,
) -> Result<MetaResponse, CommandError> {
    let AppendRequest {
        db,
        table,
        create_with_columns,
        extents,
        ingest_by_tags,
        if_not_exists_tags,
    } = request;
    let database = database_mut(state, db)?;

    // Phase 1: decide everything without touching the catalog.
    let existing = database.tables.get(table);
    let (schema_after, columns_added, creates_table) = match (existing, create_with_columns) {
        (Some(existing), None) => (existing.columns.clone(), Vec::new(), false),
        (Some(existing), Some(columns)) => {
            check_columns(db, table, columns)?;
            let added = columns_to_add(db, existing, columns)?;
            let mut schema = existing.columns.clone();
            schema.extend(added.iter().cloned());
            (schema, added, false)
        }
        (None, Some(columns)) => {
            check_name("table", table)?;
            check_columns(db, table, columns)?;
            (columns.to_vec(), Vec::new(), true)
        }
        (None, None) => {
            return Err(CommandError::TableNotFound {
                db: db.clone(),
                table: table.clone(),
            });
        }
    };
    if let Some(existing) = existing {
        let seen: Vec<String> = unique(if_not_exists_tags)
            .into_iter()
            .filter(|tag| existing.ingest_tags.contains(tag))
            .collect();
        if !seen.is_empty() {
            return Ok(MetaResponse::Duplicate { tags: seen });
        }
    }
    let empty_table;
    let table_for_checks = match existing {
        Some(existing) => existing,
        None => {
            empty_table = Table::empty(table, Vec::new(), 0, 0);
            &empty_table
        }
    };
    check_new_extents(db, database, table_for_checks, &schema_after, extents)?;

    // Phase 2: mutate.
    let target = if creates_table {
        let created_at_nanos = extents
            .iter()
            .map(|extent| extent.created_at_nanos)
            .min()
            .unwrap_or(0);
        database.tables.entry(table.clone()).or_insert_with(|| {
            Table::empty(table, schema_after, created_at_nanos, context.log_index)
        })
    } else {
        let Some(existing) = database.tables.get_mut(table) else {
            return Err(CommandError::TableNotFound {
                db: db.clone(),
                table: table.clone(),
            });
        };
        if !columns_added.is_empty() {
            existing.columns.extend(columns_added);
            existing.schema_version = context.log_index;
        }
        existing
    };
    target.extents.extend(extents.iter().cloned());
    target.ingest_tags.extend(ingest_by_tags.iter().cloned());
    remember_extent_tags(target, extents);
    Ok(if creates_table {
        MetaResponse::Created
    } else {
        MetaResponse::Ok
    })
}

impl Table {
    fn empty(
        name: &str,
        columns: Vec<Column>,
        created_at_nanos: i64,
        schema_version: u64,
    ) -> Table {
        Table {
            name: name.to_string(),
            columns,
            folder: String::new(),
            docstring: String::new(),
            mappings: BTreeMap::new(),
            retention: None,
            merge: MergePolicy::default(),
            extents: Vec::new(),
            ingest_tags: BTreeSet::new(),
            created_at_nanos,
            schema_version,
        }
    }
}

fn database_mut<'catalog>(
    state: &'catalog mut Catalog,
    db: &str,
) -> Result<&'catalog mut Database, CommandError> {
    state
        .databases
        .get_mut(db)
        .ok_or_else(|| CommandError::DatabaseNotFound {
            name: db.to_string(),
        })
}

fn table_mut<'catalog>(
    state: &'catalog mut Catalog,
    db: &str,
    table: &str,
) -> Result<&'catalog mut Table, CommandError> {
    database_mut(state, db)?
        .tables
        .get_mut(table)
        .ok_or_else(|| CommandError::TableNotFound {
            db: db.to_string(),
            table: table.to_string(),
        })
}

fn check_name(entity: &str, name: &str) -> Result<(), CommandError> {
    let reason = if name.is_empty() {
        "it is empty".to_string()
    } else if name.len() > NAME_BYTES_MAX {
        format!(
            "it is {} bytes long; the limit is {NAME_BYTES_MAX}",
            name.len()
        )
    } else if name.chars().any(char::is_control) {
        "it contains a control character".to_string()
    } else {
        return Ok(());
    };
    Err(CommandError::InvalidName {
        entity: entity.to_string(),
        name: name.to_string(),
        reason,
    })
}

/// A column list a table may have: not empty, within the limit, valid and distinct names.
fn check_columns(db: &str, table: &str, columns: &[Column]) -> Result<(), CommandError> {
    if columns.is_empty() {
        return Err(CommandError::EmptySchema {
            db: db.to_string(),
            table: table.to_string(),
        });
    }
    if columns.len() > TABLE_COLUMNS_MAX {
        return Err(CommandError::TooManyColumns {
            db: db.to_string(),
            table: table.to_string(),
            count: columns.len(),
            columns_max: TABLE_COLUMNS_MAX,
        });
    }
    let mut seen = HashSet::with_capacity(columns.len());
    for column in columns {
        check_name("column", &column.name)?;
        if !seen.insert(column.name.as_str()) {
            return Err(CommandError::DuplicateColumn {
                db: db.to_string(),
                table: table.to_string(),
                column: column.name.clone(),
            });
        }
    }
    Ok(())
}

/// The columns of `requested` the table lacks, in the requested order; a column the table has with
/// another type is an error (create-merge semantics).
fn columns_to_add(
    db: &str,
    existing: &Table,
    requested: &[Column],
) -> Result<Vec<Column>, CommandError> {
    let mut added = Vec::new();
    for column in requested {
        match existing.column(&column.name) {
            Some(current) if current.kusto_type != column.kusto_type => {
                return Err(CommandError::ColumnTypeConflict {
                    db: db.to_string(),
                    table: existing.name.clone(),
                    column: column.name.clone(),
                    existing: current.kusto_type,
                    requested: column.kusto_type,
                });
            }
            Some(_) => {}
            None => added.push(column.clone()),
        }
    }
    if existing.columns.len() + added.len() > TABLE_COLUMNS_MAX {
        return Err(CommandError::TooManyColumns {
            db: db.to_string(),
            table: existing.name.clone(),
            count: existing.columns.len() + added.len(),
            columns_max: TABLE_COLUMNS_MAX,
        });
    }
    Ok(added)
}

fn check_merge_policy(db: &str, table: &str, policy: &MergePolicy) -> Result<(), CommandError> {
    let reason = if policy.extent_rows_target == 0 {
        "the target extent row count must be positive"
    } else if policy.extents_per_merge_max < 2 {
        "a merge must be allowed to combine at least 2 extents"
    } else {
        return Ok(());
    };
    Err(CommandError::InvalidPolicy {
        db: db.to_string(),
        table: table.to_string(),
        reason: reason.to_string(),
    })
}

/// Extents about to be committed to `table` (whose schema will be `schema`): their columns exist in
/// the schema with the same type, their statistics line up, and their ids are new to the database.
fn check_new_extents(
    db: &str,
    database: &Database,
    table: &Table,
    schema: &[Column],
    extents: &[ExtentMeta],
) -> Result<(), CommandError> {
    let mut new_ids = HashSet::with_capacity(extents.len());
    for extent in extents {
        if extent.stats.len() != extent.columns.len() {
            return Err(CommandError::ExtentStatsMismatch {
                extent_id: extent.id,
                column_count: extent.columns.len(),
                stats_count: extent.stats.len(),
            });
        }
        for column in &extent.columns {
            if !schema.contains(column) {
                return Err(CommandError::ExtentColumnNotInTable {
                    db: db.to_string(),
                    table: table.name.clone(),
                    extent_id: extent.id,
                    column: column.name.clone(),
                    column_type: column.kusto_type,
                });
            }
        }
        if !new_ids.insert(extent.id) {
            return Err(CommandError::DuplicateExtentId {
                db: db.to_string(),
                extent_id: extent.id,
            });
        }
    }
    for existing_table in database.tables.values() {
        for extent in &existing_table.extents {
            if new_ids.contains(&extent.id) {
                return Err(CommandError::DuplicateExtentId {
                    db: db.to_string(),
                    extent_id: extent.id,
                });
            }
        }
    }
    Ok(())
}

fn remember_extent_tags(table: &mut Table, extents: &[ExtentMeta]) {
    for extent in extents {
        for tag in &extent.tags {
            if let Some(value) = tag.strip_prefix(INGEST_BY_TAG_PREFIX) {
                table.ingest_tags.insert(value.to_string());
            }
        }
    }
}

/// The distinct values in first-seen order (responses list each tag or id once).
fn unique<T: Clone + Eq + std::hash::Hash>(values: &[T]) -> Vec<T> {
    let mut seen = HashSet::with_capacity(values.len());
    values
        .iter()
        .filter(|value| seen.insert((*value).clone()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
