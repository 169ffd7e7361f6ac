//! Unit tests of the pure `apply`: each command's effect, each refusal, and that refusals change
//! nothing.

use tarn_common::{Column, ColumnStats, ErrorKind, ExtentId, ExtentMeta, KustoType};

use super::apply;
use crate::catalog::{Catalog, DEFAULT_DATABASE, MergePolicy, RetentionPolicy};
use crate::command::{ApplyContext, MetaCommand, MetaResponse};
use crate::error::CommandError;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn context(log_index: u64) -> ApplyContext {
    ApplyContext { log_index }
}

fn run(catalog: &mut Catalog, command: MetaCommand) -> Result<MetaResponse, CommandError> {
    apply(catalog, &command, &context(7))
}

fn long(name: &str) -> Column {
    Column::new(name, KustoType::Long)
}

fn string(name: &str) -> Column {
    Column::new(name, KustoType::String)
}

fn extent(id: u128, columns: Vec<Column>, tags: &[&str]) -> ExtentMeta {
    let stats = columns
        .iter()
        .map(|_| ColumnStats {
            min: None,
            max: None,
            null_count: 0,
        })
        .collect();
    ExtentMeta {
        id: ExtentId(id),
        columns,
        stats,
        row_count: 10,
        size_bytes: 100,
        created_at_nanos: 1_000 + id as i64,
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
    }
}

fn create_table(db: &str, table: &str, columns: Vec<Column>) -> MetaCommand {
    MetaCommand::CreateTable {
        db: db.to_string(),
        table: table.to_string(),
        columns,
        folder: "f".to_string(),
        docstring: "d".to_string(),
        created_at_nanos: 42,
    }
}

fn append(
    table: &str,
    extents: Vec<ExtentMeta>,
    ingest_by: &[&str],
    if_not_exists: &[&str],
) -> MetaCommand {
    MetaCommand::AppendExtents {
        db: "db".to_string(),
        table: table.to_string(),
        create_with_columns: None,
        extents,
        ingest_by_tags: ingest_by.iter().map(|tag| tag.to_string()).collect(),
        if_not_exists_tags: if_not_exists.iter().map(|tag| tag.to_string()).collect(),
    }
}

/// A catalog with database `db` and table `T(a: long, b: string)`.
fn catalog_with_table() -> Result<Catalog, CommandError> {
    let mut catalog = Catalog::default();
    run(
        &mut catalog,
        MetaCommand::CreateDatabase {
            name: "db".to_string(),
            if_not_exists: false,
        },
    )?;
    run(
        &mut catalog,
        create_table("db", "T", vec![long("a"), string("b")]),
    )?;
    Ok(catalog)
}

/// Applies `command`, expects `expected` as the error, and checks the catalog did not change.
fn assert_refused(catalog: &mut Catalog, command: MetaCommand, expected: CommandError) {
    let before = catalog.clone();
    let outcome = run(catalog, command);
    assert_eq!(outcome, Err(expected));
    assert_eq!(
        *catalog, before,
        "a refused command must leave the catalog unchanged"
    );
}

fn table_extent_ids(catalog: &Catalog, table: &str) -> Vec<u128> {
    catalog
        .table("db", table)
        .map(|table| table.extents.iter().map(|extent| extent.id.0).collect())
        .unwrap_or_default()
}

// Proves bootstrap creates NetDefaultDB once and is a no-op afterwards (a restart may re-propose it).
#[test]
fn bootstrap_creates_default_database_once() -> TestResult {
    let mut catalog = Catalog::default();
    assert!(
        catalog.databases.is_empty(),
        "Catalog::default() must not contain the default database"
    );
    assert_eq!(
        run(&mut catalog, MetaCommand::Bootstrap)?,
        MetaResponse::Created
    );
    assert!(catalog.database(DEFAULT_DATABASE).is_some());
    assert!(catalog.bootstrapped);
    run(
        &mut catalog,
        create_table(DEFAULT_DATABASE, "T", vec![long("a")]),
    )?;
    let before = catalog.clone();
    assert_eq!(
        run(&mut catalog, MetaCommand::Bootstrap)?,
        MetaResponse::Unchanged
    );
    assert_eq!(catalog, before);
    Ok(())
}

// Proves database create/drop semantics, including if_not_exists / if_exists and the errors.
#[test]
fn create_and_drop_database() -> TestResult {
    let mut catalog = Catalog::default();
    let create = MetaCommand::CreateDatabase {
        name: "db".to_string(),
        if_not_exists: false,
    };
    assert_eq!(run(&mut catalog, create.clone())?, MetaResponse::Created);
    assert_refused(
        &mut catalog,
        create,
        CommandError::DatabaseAlreadyExists {
            name: "db".to_string(),
        },
    );
    let create_if = MetaCommand::CreateDatabase {
        name: "db".to_string(),
        if_not_exists: true,
    };
    assert_eq!(run(&mut catalog, create_if)?, MetaResponse::Unchanged);
    // Names are case-sensitive: "DB" is another database.
    let other_case = MetaCommand::CreateDatabase {
        name: "DB".to_string(),
        if_not_exists: false,
    };
    assert_eq!(run(&mut catalog, other_case)?, MetaResponse::Created);
    assert_eq!(catalog.databases.len(), 2);

    run(&mut catalog, create_table("db", "T", vec![long("a")]))?;
    run(
        &mut catalog,
        append(
            "T",
            vec![
                extent(1, vec![long("a")], &[]),
                extent(2, vec![long("a")], &[]),
            ],
            &[],
            &[],
        ),
    )?;
    let drop = MetaCommand::DropDatabase {
        name: "db".to_string(),
        if_exists: false,
    };
    assert_eq!(
        run(&mut catalog, drop.clone())?,
        MetaResponse::Dropped {
            extent_ids: vec![ExtentId(1), ExtentId(2)]
        }
    );
    assert_refused(
        &mut catalog,
        drop,
        CommandError::DatabaseNotFound {
            name: "db".to_string(),
        },
    );
    let drop_if = MetaCommand::DropDatabase {
        name: "db".to_string(),
        if_exists: true,
    };
    assert_eq!(run(&mut catalog, drop_if)?, MetaResponse::Unchanged);
    Ok(())
}

// Proves CreateTable stores every field and refuses existing tables, duplicate or no columns, bad names.
#[test]
fn create_table_and_its_errors() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let table = catalog
        .table("db", "T")
        .ok_or(CommandError::TableNotFound {
            db: "db".to_string(),
            table: "T".to_string(),
        })?;
    assert_eq!(table.columns, vec![long("a"), string("b")]);
    assert_eq!(
        (
            table.folder.as_str(),
            table.docstring.as_str(),
            table.created_at_nanos
        ),
        ("f", "d", 42)
    );
    assert_eq!(table.schema_version, 7);
    assert_eq!(table.merge, MergePolicy::default());

    assert_refused(
        &mut catalog,
        create_table("db", "T", vec![long("a")]),
        CommandError::TableAlreadyExists {
            db: "db".to_string(),
            table: "T".to_string(),
        },
    );
    assert_refused(
        &mut catalog,
        create_table("db", "U", vec![long("a"), string("a")]),
        CommandError::DuplicateColumn {
            db: "db".to_string(),
            table: "U".to_string(),
            column: "a".to_string(),
        },
    );
    assert_refused(
        &mut catalog,
        create_table("db", "U", vec![]),
        CommandError::EmptySchema {
            db: "db".to_string(),
            table: "U".to_string(),
        },
    );
    assert_refused(
        &mut catalog,
        create_table("nope", "U", vec![long("a")]),
        CommandError::DatabaseNotFound {
            name: "nope".to_string(),
        },
    );
    let outcome = run(&mut catalog, create_table("db", "", vec![long("a")]));
    assert!(
        matches!(outcome, Err(CommandError::InvalidName { .. })),
        "{outcome:?}"
    );
    // Table names are case-sensitive.
    assert_eq!(
        run(&mut catalog, create_table("db", "t", vec![long("a")]))?,
        MetaResponse::Created
    );
    Ok(())
}

// Proves create-merge creates a missing table, adds only missing columns, and refuses a type change.
#[test]
fn create_merge_table() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let merge = |columns| MetaCommand::CreateMergeTable {
        db: "db".to_string(),
        table: "T".to_string(),
        columns,
        created_at_nanos: 99,
    };
    assert_eq!(
        run(&mut catalog, merge(vec![long("a"), long("c")]))?,
        MetaResponse::Ok
    );
    assert_eq!(
        catalog.table("db", "T").map(|table| table.columns.clone()),
        Some(vec![long("a"), string("b"), long("c")])
    );
    assert_eq!(
        run(&mut catalog, merge(vec![string("b")]))?,
        MetaResponse::Unchanged
    );
    assert_refused(
        &mut catalog,
        merge(vec![long("d"), string("a")]),
        CommandError::ColumnTypeConflict {
            db: "db".to_string(),
            table: "T".to_string(),
            column: "a".to_string(),
            existing: KustoType::Long,
            requested: KustoType::String,
        },
    );
    let create_new = MetaCommand::CreateMergeTable {
        db: "db".to_string(),
        table: "New".to_string(),
        columns: vec![long("x")],
        created_at_nanos: 99,
    };
    assert_eq!(run(&mut catalog, create_new)?, MetaResponse::Created);
    assert_eq!(
        catalog
            .table("db", "New")
            .map(|table| table.created_at_nanos),
        Some(99)
    );
    Ok(())
}

// Proves AlterTable replaces the columns, but never drops or retypes a column extents still store.
#[test]
fn alter_table() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let alter = |columns| MetaCommand::AlterTable {
        db: "db".to_string(),
        table: "T".to_string(),
        columns,
    };
    assert_eq!(
        run(&mut catalog, alter(vec![string("b"), long("z")]))?,
        MetaResponse::Ok
    );
    assert_eq!(
        catalog.table("db", "T").map(|table| table.columns.clone()),
        Some(vec![string("b"), long("z")])
    );
    run(
        &mut catalog,
        append("T", vec![extent(1, vec![long("z")], &[])], &[], &[]),
    )?;
    assert_refused(
        &mut catalog,
        alter(vec![string("b"), string("z")]),
        CommandError::ColumnStillStored {
            db: "db".to_string(),
            table: "T".to_string(),
            column: "z".to_string(),
            stored_type: KustoType::Long,
        },
    );
    assert_refused(
        &mut catalog,
        MetaCommand::AlterTable {
            db: "db".to_string(),
            table: "X".to_string(),
            columns: vec![long("a")],
        },
        CommandError::TableNotFound {
            db: "db".to_string(),
            table: "X".to_string(),
        },
    );
    Ok(())
}

// Proves DropTable answers the ids of the dropped extents and honours if_exists.
#[test]
fn drop_table_lists_extents() -> TestResult {
    let mut catalog = catalog_with_table()?;
    run(
        &mut catalog,
        append(
            "T",
            vec![
                extent(5, vec![long("a")], &[]),
                extent(3, vec![string("b")], &[]),
            ],
            &[],
            &[],
        ),
    )?;
    let drop = MetaCommand::DropTable {
        db: "db".to_string(),
        table: "T".to_string(),
        if_exists: false,
    };
    assert_eq!(
        run(&mut catalog, drop.clone())?,
        MetaResponse::Dropped {
            extent_ids: vec![ExtentId(5), ExtentId(3)]
        }
    );
    assert!(catalog.table("db", "T").is_none());
    assert_refused(
        &mut catalog,
        drop,
        CommandError::TableNotFound {
            db: "db".to_string(),
            table: "T".to_string(),
        },
    );
    let drop_if = MetaCommand::DropTable {
        db: "db".to_string(),
        table: "T".to_string(),
        if_exists: true,
    };
    assert_eq!(run(&mut catalog, drop_if)?, MetaResponse::Unchanged);
    Ok(())
}

// Proves mappings are created, refused when they exist (unless replacing), and dropped.
#[test]
fn mappings() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let create = |text: &str, replace_existing| MetaCommand::CreateMapping {
        db: "db".to_string(),
        table: "T".to_string(),
        kind: "Csv".to_string(),
        name: "m".to_string(),
        text: text.to_string(),
        replace_existing,
    };
    assert_eq!(run(&mut catalog, create("[1]", false))?, MetaResponse::Ok);
    assert_refused(
        &mut catalog,
        create("[2]", false),
        CommandError::MappingAlreadyExists {
            db: "db".to_string(),
            table: "T".to_string(),
            kind: "csv".to_string(),
            name: "m".to_string(),
        },
    );
    assert_eq!(run(&mut catalog, create("[2]", true))?, MetaResponse::Ok);
    let key = ("csv".to_string(), "m".to_string());
    assert_eq!(
        catalog
            .table("db", "T")
            .and_then(|table| table.mappings.get(&key))
            .map(|m| m.text.clone()),
        Some("[2]".to_string())
    );
    let drop = MetaCommand::DropMapping {
        db: "db".to_string(),
        table: "T".to_string(),
        kind: "csv".to_string(),
        name: "m".to_string(),
    };
    assert_eq!(run(&mut catalog, drop.clone())?, MetaResponse::Ok);
    assert_refused(
        &mut catalog,
        drop,
        CommandError::MappingNotFound {
            db: "db".to_string(),
            table: "T".to_string(),
            kind: "csv".to_string(),
            name: "m".to_string(),
        },
    );
    Ok(())
}

// Proves retention and merge policies are stored, removable, and validated.
#[test]
fn policies() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let set_retention = |policy| MetaCommand::SetRetention {
        db: "db".to_string(),
        table: "T".to_string(),
        policy,
    };
    let day_nanos = 86_400_000_000_000;
    run(
        &mut catalog,
        set_retention(Some(RetentionPolicy {
            soft_delete_period_nanos: day_nanos,
        })),
    )?;
    assert_eq!(
        catalog.table("db", "T").and_then(|table| table.retention),
        Some(RetentionPolicy {
            soft_delete_period_nanos: day_nanos
        })
    );
    let negative = run(
        &mut catalog.clone(),
        set_retention(Some(RetentionPolicy {
            soft_delete_period_nanos: -1,
        })),
    );
    assert!(
        matches!(negative, Err(CommandError::InvalidPolicy { .. })),
        "{negative:?}"
    );
    run(&mut catalog, set_retention(None))?;
    assert_eq!(
        catalog.table("db", "T").and_then(|table| table.retention),
        None
    );

    let policy = MergePolicy {
        allow_merge: false,
        ..MergePolicy::default()
    };
    let set_merge = |policy| MetaCommand::SetMergePolicy {
        db: "db".to_string(),
        table: "T".to_string(),
        policy,
    };
    run(&mut catalog, set_merge(policy))?;
    assert_eq!(
        catalog.table("db", "T").map(|table| table.merge),
        Some(policy)
    );
    let bad = MergePolicy {
        extents_per_merge_max: 1,
        ..MergePolicy::default()
    };
    let before = catalog.clone();
    assert!(matches!(
        run(&mut catalog, set_merge(bad)),
        Err(CommandError::InvalidPolicy { .. })
    ));
    assert_eq!(catalog, before);
    Ok(())
}

// Proves AppendExtents appends in commit order and remembers ingest-by tags from the command and the extents.
#[test]
fn append_extents_and_tags() -> TestResult {
    let mut catalog = catalog_with_table()?;
    run(
        &mut catalog,
        append(
            "T",
            vec![extent(1, vec![long("a")], &["ingest-by:x", "drop-by:old"])],
            &["y"],
            &[],
        ),
    )?;
    run(
        &mut catalog,
        append(
            "T",
            vec![extent(2, vec![long("a"), string("b")], &[])],
            &[],
            &["z"],
        ),
    )?;
    assert_eq!(table_extent_ids(&catalog, "T"), vec![1, 2]);
    let tags: Vec<String> = catalog
        .table("db", "T")
        .map(|table| table.ingest_tags.iter().cloned().collect())
        .unwrap_or_default();
    assert_eq!(tags, vec!["x".to_string(), "y".to_string()]);
    Ok(())
}

// Proves a repeated ingest tag (ingestIfNotExists) answers Duplicate and changes nothing, even a schema widening.
#[test]
fn duplicate_ingest_tag_changes_nothing() -> TestResult {
    let mut catalog = catalog_with_table()?;
    run(
        &mut catalog,
        append(
            "T",
            vec![extent(1, vec![long("a")], &["ingest-by:x"])],
            &[],
            &["x"],
        ),
    )?;
    let before = catalog.clone();
    let retry = MetaCommand::AppendExtents {
        db: "db".to_string(),
        table: "T".to_string(),
        create_with_columns: Some(vec![long("a"), long("new")]),
        extents: vec![extent(2, vec![long("a")], &["ingest-by:x"])],
        ingest_by_tags: vec!["x".to_string()],
        if_not_exists_tags: vec!["x".to_string(), "x".to_string()],
    };
    assert_eq!(
        run(&mut catalog, retry)?,
        MetaResponse::Duplicate {
            tags: vec!["x".to_string()]
        }
    );
    assert_eq!(catalog, before);
    // Another tag goes in.
    run(
        &mut catalog,
        append("T", vec![extent(3, vec![long("a")], &[])], &["w"], &["w"]),
    )?;
    assert_eq!(table_extent_ids(&catalog, "T"), vec![1, 3]);
    Ok(())
}

// Proves .set-or-append semantics: the table is created when missing, widened when it exists, refused on a type clash.
#[test]
fn append_creates_or_widens_table() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let set_or_append =
        |table: &str, columns: Vec<Column>, extent_meta: ExtentMeta| MetaCommand::AppendExtents {
            db: "db".to_string(),
            table: table.to_string(),
            create_with_columns: Some(columns),
            extents: vec![extent_meta],
            ingest_by_tags: vec![],
            if_not_exists_tags: vec![],
        };
    let created = run(
        &mut catalog,
        set_or_append("New", vec![long("k")], extent(4, vec![long("k")], &[])),
    )?;
    assert_eq!(created, MetaResponse::Created);
    assert_eq!(
        catalog
            .table("db", "New")
            .map(|table| (table.columns.clone(), table.created_at_nanos)),
        Some((vec![long("k")], 1_004))
    );

    let widened = run(
        &mut catalog,
        set_or_append("T", vec![long("c")], extent(5, vec![long("c")], &[])),
    )?;
    assert_eq!(widened, MetaResponse::Ok);
    assert_eq!(
        catalog.table("db", "T").map(|table| table.columns.clone()),
        Some(vec![long("a"), string("b"), long("c")])
    );

    assert_refused(
        &mut catalog,
        set_or_append("T", vec![string("a")], extent(6, vec![string("a")], &[])),
        CommandError::ColumnTypeConflict {
            db: "db".to_string(),
            table: "T".to_string(),
            column: "a".to_string(),
            existing: KustoType::Long,
            requested: KustoType::String,
        },
    );
    assert_refused(
        &mut catalog,
        append("Missing", vec![extent(7, vec![long("a")], &[])], &[], &[]),
        CommandError::TableNotFound {
            db: "db".to_string(),
            table: "Missing".to_string(),
        },
    );
    Ok(())
}

// Proves the extent invariants are enforced: columns must be in the table, ids new to the database, stats aligned.
#[test]
fn append_refuses_extents_that_break_invariants() -> TestResult {
    let mut catalog = catalog_with_table()?;
    run(&mut catalog, create_table("db", "Other", vec![long("a")]))?;
    assert_refused(
        &mut catalog,
        append(
            "T",
            vec![extent(1, vec![long("a"), long("zz")], &[])],
            &[],
            &[],
        ),
        CommandError::ExtentColumnNotInTable {
            db: "db".to_string(),
            table: "T".to_string(),
            extent_id: ExtentId(1),
            column: "zz".to_string(),
            column_type: KustoType::Long,
        },
    );
    assert_refused(
        &mut catalog,
        append("T", vec![extent(1, vec![string("a")], &[])], &[], &[]),
        CommandError::ExtentColumnNotInTable {
            db: "db".to_string(),
            table: "T".to_string(),
            extent_id: ExtentId(1),
            column: "a".to_string(),
            column_type: KustoType::String,
        },
    );
    run(
        &mut catalog,
        append("Other", vec![extent(9, vec![long("a")], &[])], &[], &[]),
    )?;
    assert_refused(
        &mut catalog,
        append(
            "T",
            vec![
                extent(8, vec![long("a")], &[]),
                extent(9, vec![long("a")], &[]),
            ],
            &[],
            &[],
        ),
        CommandError::DuplicateExtentId {
            db: "db".to_string(),
            extent_id: ExtentId(9),
        },
    );
    assert_refused(
        &mut catalog,
        append(
            "T",
            vec![
                extent(8, vec![long("a")], &[]),
                extent(8, vec![long("a")], &[]),
            ],
            &[],
            &[],
        ),
        CommandError::DuplicateExtentId {
            db: "db".to_string(),
            extent_id: ExtentId(8),
        },
    );
    let mut misaligned = extent(10, vec![long("a")], &[]);
    misaligned.stats.clear();
    assert_refused(
        &mut catalog,
        append("T", vec![misaligned], &[], &[]),
        CommandError::ExtentStatsMismatch {
            extent_id: ExtentId(10),
            column_count: 1,
            stats_count: 0,
        },
    );
    assert_eq!(
        CommandError::DuplicateExtentId {
            db: "db".to_string(),
            extent_id: ExtentId(9)
        }
        .kind(),
        ErrorKind::Internal
    );
    Ok(())
}

// Proves a merge swap replaces atomically in place, and answers Conflict (changing nothing) when an input is gone.
#[test]
fn replace_extents_swaps_or_conflicts() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let extents = (1..=4).map(|id| extent(id, vec![long("a")], &[])).collect();
    run(&mut catalog, append("T", extents, &[], &[]))?;
    let replace = |remove: Vec<u128>, add: Vec<ExtentMeta>| MetaCommand::ReplaceExtents {
        db: "db".to_string(),
        table: "T".to_string(),
        remove: remove.into_iter().map(ExtentId).collect(),
        add,
    };
    let merged = extent(20, vec![long("a")], &["ingest-by:m"]);
    assert_eq!(
        run(&mut catalog, replace(vec![2, 3], vec![merged]))?,
        MetaResponse::Ok
    );
    assert_eq!(table_extent_ids(&catalog, "T"), vec![1, 20, 4]);
    assert!(
        catalog
            .table("db", "T")
            .is_some_and(|table| table.ingest_tags.contains("m"))
    );

    // Retention dropped extent 4 meanwhile: a merge of 1 and 4 must not resurrect or lose anything.
    run(
        &mut catalog,
        MetaCommand::DropExtents {
            db: "db".to_string(),
            table: "T".to_string(),
            ids: vec![ExtentId(4)],
        },
    )?;
    let before = catalog.clone();
    let stale = run(
        &mut catalog,
        replace(vec![1, 4], vec![extent(21, vec![long("a")], &[])]),
    )?;
    assert_eq!(
        stale,
        MetaResponse::Conflict {
            missing: vec![ExtentId(4)]
        }
    );
    assert_eq!(catalog, before);
    Ok(())
}

// Proves DropExtents ignores absent ids and reports what it dropped; ClearTable drops all and forgets tags.
#[test]
fn drop_extents_and_clear_table() -> TestResult {
    let mut catalog = catalog_with_table()?;
    let extents = (1..=3).map(|id| extent(id, vec![long("a")], &[])).collect();
    run(&mut catalog, append("T", extents, &["t"], &[]))?;
    let drop = MetaCommand::DropExtents {
        db: "db".to_string(),
        table: "T".to_string(),
        ids: vec![ExtentId(2), ExtentId(77)],
    };
    assert_eq!(
        run(&mut catalog, drop)?,
        MetaResponse::Dropped {
            extent_ids: vec![ExtentId(2)]
        }
    );
    assert_eq!(table_extent_ids(&catalog, "T"), vec![1, 3]);
    let clear = MetaCommand::ClearTable {
        db: "db".to_string(),
        table: "T".to_string(),
    };
    assert_eq!(
        run(&mut catalog, clear)?,
        MetaResponse::Dropped {
            extent_ids: vec![ExtentId(1), ExtentId(3)]
        }
    );
    assert!(
        catalog
            .table("db", "T")
            .is_some_and(|table| table.extents.is_empty() && table.ingest_tags.is_empty())
    );
    // The tag is forgotten with the data, so the same ingestion may run again.
    let again = run(
        &mut catalog,
        append("T", vec![extent(4, vec![long("a")], &[])], &["t"], &["t"]),
    )?;
    assert_eq!(again, MetaResponse::Ok);
    Ok(())
}

// Proves apply is deterministic: the same commands on two catalogs give the same responses and catalogs.
#[test]
fn apply_is_deterministic() -> TestResult {
    let commands = [
        MetaCommand::Bootstrap,
        MetaCommand::CreateDatabase {
            name: "db".to_string(),
            if_not_exists: false,
        },
        create_table("db", "T", vec![long("a")]),
        append(
            "T",
            vec![extent(1, vec![long("a")], &["ingest-by:q"])],
            &[],
            &[],
        ),
        append("T", vec![extent(2, vec![long("a")], &[])], &[], &["q"]),
        MetaCommand::ReplaceExtents {
            db: "db".to_string(),
            table: "T".to_string(),
            remove: vec![ExtentId(1)],
            add: vec![extent(3, vec![long("a")], &[])],
        },
        create_table("db", "T", vec![long("a")]),
    ];
    let mut left = Catalog::default();
    let mut right = Catalog::default();
    for (index, command) in commands.iter().enumerate() {
        let left_response = apply(&mut left, command, &context(index as u64));
        let right_response = apply(&mut right, command, &context(index as u64));
        assert_eq!(left_response, right_response);
    }
    assert_eq!(left, right);
    assert_eq!(table_extent_ids(&left, "T"), vec![3]);
    Ok(())
}

// Proves the catalog survives its JSON snapshot encoding unchanged, mappings (tuple keys) included.
#[test]
fn catalog_round_trips_through_json() -> TestResult {
    let mut catalog = catalog_with_table()?;
    run(
        &mut catalog,
        MetaCommand::CreateMapping {
            db: "db".to_string(),
            table: "T".to_string(),
            kind: "json".to_string(),
            name: "m".to_string(),
            text: "[]".to_string(),
            replace_existing: false,
        },
    )?;
    run(
        &mut catalog,
        append(
            "T",
            vec![extent(u128::MAX, vec![long("a")], &["ingest-by:x"])],
            &[],
            &[],
        ),
    )?;
    let json = serde_json::to_string(&catalog)?;
    let decoded: Catalog = serde_json::from_str(&json)?;
    assert_eq!(decoded, catalog);
    Ok(())
}
