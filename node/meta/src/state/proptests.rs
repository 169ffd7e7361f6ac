//! Property tests of `apply`: random command sequences over small name and id pools (so collisions,
//! missing tables, type clashes and stale merges are frequent) keep the catalog's invariants.

use std::collections::HashSet;

use proptest::prelude::*;
use tarn_common::{Column, ColumnStats, ExtentId, ExtentMeta, KustoType};

use super::{INGEST_BY_TAG_PREFIX, apply};
use crate::catalog::Catalog;
use crate::command::{ApplyContext, MetaCommand, MetaResponse};

const DATABASES: [&str; 2] = ["d1", "d2"];
const TABLES: [&str; 3] = ["t1", "t2", "T1"];
const TAGS: [&str; 3] = ["x", "y", "z"];

fn column_pool() -> [Column; 4] {
    [
        Column::new("a", KustoType::Long),
        Column::new("a", KustoType::String),
        Column::new("b", KustoType::Long),
        Column::new("c", KustoType::Real),
    ]
}

fn columns() -> impl Strategy<Value = Vec<Column>> {
    prop::collection::vec(0..4usize, 0..4).prop_map(|picks| {
        let pool = column_pool();
        picks
            .into_iter()
            .filter_map(|pick| pool.get(pick).cloned())
            .collect()
    })
}

fn extent() -> impl Strategy<Value = ExtentMeta> {
    (
        0..16u128,
        columns(),
        prop::option::of(0..3usize),
        any::<bool>(),
    )
        .prop_map(|(id, columns, tag, bad_stats)| {
            let mut stats: Vec<ColumnStats> = columns
                .iter()
                .map(|_| ColumnStats {
                    min: None,
                    max: None,
                    null_count: 0,
                })
                .collect();
            if bad_stats && id == 0 {
                stats.push(ColumnStats {
                    min: None,
                    max: None,
                    null_count: 0,
                });
            }
            ExtentMeta {
                id: ExtentId(id),
                columns,
                stats,
                row_count: 1,
                size_bytes: 1,
                created_at_nanos: id as i64,
                tags: tag
                    .and_then(|tag| TAGS.get(tag))
                    .map(|tag| format!("{INGEST_BY_TAG_PREFIX}{tag}"))
                    .into_iter()
                    .collect(),
            }
        })
}

fn tags() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(TAGS.to_vec()), 0..2)
        .prop_map(|tags| tags.into_iter().map(str::to_string).collect())
}

fn name(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool.to_vec()).prop_map(str::to_string)
}

fn ids() -> impl Strategy<Value = Vec<ExtentId>> {
    prop::collection::vec((0..16u128).prop_map(ExtentId), 0..3)
}

fn command() -> impl Strategy<Value = MetaCommand> {
    let db = || name(&DATABASES);
    let table = || name(&TABLES);
    prop_oneof![
        1 => (db(), any::<bool>()).prop_map(|(name, if_not_exists)| MetaCommand::CreateDatabase { name, if_not_exists }),
        1 => (db(), any::<bool>()).prop_map(|(name, if_exists)| MetaCommand::DropDatabase { name, if_exists }),
        1 => (db(), table(), columns()).prop_map(|(db, table, columns)| MetaCommand::CreateTable {
            db,
            table,
            columns,
            folder: String::new(),
            docstring: String::new(),
            created_at_nanos: 0,
        }),
        1 => (db(), table(), columns()).prop_map(|(db, table, columns)| MetaCommand::CreateMergeTable {
            db,
            table,
            columns,
            created_at_nanos: 0,
        }),
        1 => (db(), table(), columns()).prop_map(|(db, table, columns)| MetaCommand::AlterTable { db, table, columns }),
        1 => (db(), table(), any::<bool>()).prop_map(|(db, table, if_exists)| MetaCommand::DropTable { db, table, if_exists }),
        4 => (db(), table(), prop::option::of(columns()), prop::collection::vec(extent(), 0..3), tags(), tags())
            .prop_map(|(db, table, create_with_columns, extents, ingest_by_tags, if_not_exists_tags)| {
                MetaCommand::AppendExtents { db, table, create_with_columns, extents, ingest_by_tags, if_not_exists_tags }
            }),
        2 => (db(), table(), ids(), prop::collection::vec(extent(), 0..2))
            .prop_map(|(db, table, remove, add)| MetaCommand::ReplaceExtents { db, table, remove, add }),
        1 => (db(), table(), ids()).prop_map(|(db, table, ids)| MetaCommand::DropExtents { db, table, ids }),
        1 => (db(), table()).prop_map(|(db, table)| MetaCommand::ClearTable { db, table }),
    ]
}

/// The invariants every reachable catalog holds; returns the first broken one.
fn check_invariants(catalog: &Catalog) -> Result<(), String> {
    for (db_name, database) in &catalog.databases {
        let mut ids_in_database = HashSet::new();
        for (table_name, table) in &database.tables {
            let mut column_names = HashSet::new();
            for column in &table.columns {
                if !column_names.insert(column.name.as_str()) {
                    return Err(format!(
                        "{db_name}.{table_name}: column {} twice",
                        column.name
                    ));
                }
            }
            for extent in &table.extents {
                if !ids_in_database.insert(extent.id) {
                    return Err(format!("{db_name}: extent {} twice", extent.id));
                }
                if extent.stats.len() != extent.columns.len() {
                    return Err(format!(
                        "{db_name}.{table_name}: extent {} stats misaligned",
                        extent.id
                    ));
                }
                for column in &extent.columns {
                    if !table.columns.contains(column) {
                        return Err(format!(
                            "{db_name}.{table_name}: extent {} has {column:?}",
                            extent.id
                        ));
                    }
                }
                for tag in &extent.tags {
                    if let Some(value) = tag.strip_prefix(INGEST_BY_TAG_PREFIX)
                        && !table.ingest_tags.contains(value)
                    {
                        return Err(format!(
                            "{db_name}.{table_name}: tag {value} of extent {} forgotten",
                            extent.id
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // Proves that any command sequence keeps the invariants (unique extent ids per database, extent
    // columns within the table schema, aligned stats, remembered ingest tags), that refusals,
    // Duplicate and Conflict leave the catalog untouched, and that replaying the sequence on a
    // second catalog gives the same responses and the same catalog.
    #[test]
    fn random_commands_keep_invariants(commands in prop::collection::vec(command(), 1..40)) {
        let mut catalog = Catalog::default();
        apply(&mut catalog, &MetaCommand::CreateDatabase { name: "d1".to_string(), if_not_exists: false }, &ApplyContext::default())
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let mut replica = catalog.clone();
        for (index, command) in commands.iter().enumerate() {
            let context = ApplyContext { log_index: index as u64 + 2 };
            let before = catalog.clone();
            let response = apply(&mut catalog, command, &context);
            let unchanged_expected = matches!(
                response,
                Err(_) | Ok(MetaResponse::Duplicate { .. }) | Ok(MetaResponse::Conflict { .. }) | Ok(MetaResponse::Unchanged)
            );
            if unchanged_expected {
                prop_assert_eq!(&catalog, &before, "{:?} answered {:?} but changed the catalog", command, response);
            }
            if let Err(broken) = check_invariants(&catalog) {
                return Err(TestCaseError::fail(format!("after {command:?} -> {response:?}: {broken}")));
            }
            let replica_response = apply(&mut replica, command, &context);
            prop_assert_eq!(&response, &replica_response);
        }
        prop_assert_eq!(&catalog, &replica);
    }
}
