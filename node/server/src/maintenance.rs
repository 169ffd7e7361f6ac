//! Background upkeep: the merge policy (small extents of a table are combined into larger ones and
//! swapped in atomically through Raft), the retention policy (extents past their soft-delete period
//! are dropped), and deleting the bytes of extents that left the catalog once no query reads them.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tarn_common::{ExtentId, ExtentMeta};
use tarn_meta::{MetaCommand, MetaResponse};
use tarn_storage::new_extent_id;
use tarn_wire::KustoError;

use crate::errors;
use crate::mgmt::propose;
use crate::node::{Node, now_nanos};

/// Runs until the node's last reference is gone or the task is aborted.
pub async fn run(node: Arc<Node>) {
    let mut interval = tokio::time::interval(Duration::from_millis(node.config.maintenance_interval_ms.max(10)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = pass(&node).await {
            tracing::warn!(error = %error.at_message, "maintenance pass failed");
        }
    }
}

async fn pass(node: &Arc<Node>) -> Result<(), KustoError> {
    let catalog = node.meta.catalog();
    let tables: Vec<(String, String)> = catalog
        .databases
        .values()
        .flat_map(|database| database.tables.keys().map(|table| (database.name.clone(), table.clone())))
        .collect();
    for (db, table) in tables {
        apply_retention(node, &db, &table).await?;
        merge_table(node, &db, &table).await?;
    }
    delete_retired(node).await;
    Ok(())
}

async fn apply_retention(node: &Node, db: &str, table: &str) -> Result<(), KustoError> {
    let catalog = node.meta.catalog();
    let Some(found) = catalog.table(db, table) else { return Ok(()) };
    let Some(policy) = found.retention else { return Ok(()) };
    let cutoff = now_nanos().saturating_sub(policy.soft_delete_period_nanos);
    let expired: Vec<ExtentId> = found.extents.iter().filter(|extent| extent.created_at_nanos < cutoff).map(|extent| extent.id).collect();
    if expired.is_empty() {
        return Ok(());
    }
    let response = propose(node, MetaCommand::DropExtents { db: db.into(), table: table.into(), ids: expired }).await?;
    if let MetaResponse::Dropped { extent_ids } = response {
        node.metrics.retention_drops.fetch_add(extent_ids.len() as u64, Ordering::Relaxed);
        node.retire(extent_ids);
    }
    Ok(())
}

/// Merges the table's small extents per its merge policy; returns how many extents were merged away.
pub async fn merge_table(node: &Node, db: &str, table: &str) -> Result<usize, KustoError> {
    let catalog = node.meta.catalog();
    let Some(found) = catalog.table(db, table) else { return Ok(0) };
    let policy = found.merge;
    if !policy.allow_merge {
        return Ok(0);
    }
    let columns = found.columns.clone();
    let groups = merge_groups(&found.extents, policy.extent_rows_small_max, policy.extent_rows_target, policy.extents_per_merge_max);
    let mut merged_away = 0;
    for group in groups {
        let store = Arc::clone(&node.store);
        let group_columns = columns.clone();
        let inputs = group.clone();
        let merged = tokio::task::spawn_blocking(move || store.merge_extents(&inputs, &group_columns, new_extent_id(), now_nanos()))
            .await
            .map_err(|error| errors::internal(error.to_string()))?
            .map_err(|error| KustoError::new(error.kind(), error.to_string()))?;
        let merged_id = merged.id;
        let removed: Vec<ExtentId> = group.iter().map(|extent| extent.id).collect();
        let response = propose(node, MetaCommand::ReplaceExtents { db: db.into(), table: table.into(), remove: removed.clone(), add: vec![merged] }).await;
        match response {
            Ok(MetaResponse::Conflict { .. }) | Err(_) => {
                // The swap did not happen (an input was dropped meanwhile, or the proposal failed):
                // the merged extent is not in the catalog. A failed proposal may still commit, so
                // in that case its bytes are left for the startup orphan sweep.
                if matches!(response, Ok(MetaResponse::Conflict { .. })) {
                    let store = Arc::clone(&node.store);
                    let _ = tokio::task::spawn_blocking(move || store.delete_extents(&[merged_id])).await;
                }
                response?;
            }
            Ok(_) => {
                merged_away += removed.len();
                node.metrics.merges.fetch_add(1, Ordering::Relaxed);
                node.retire(removed);
            }
        }
    }
    Ok(merged_away)
}

/// Consecutive runs of small extents, each at most `rows_target` rows and `extents_max` extents,
/// of two extents or more.
fn merge_groups(extents: &[ExtentMeta], rows_small_max: u64, rows_target: u64, extents_max: u64) -> Vec<Vec<ExtentMeta>> {
    let mut groups = Vec::new();
    let mut current: Vec<ExtentMeta> = Vec::new();
    let mut current_rows = 0u64;
    for extent in extents.iter().filter(|extent| extent.row_count < rows_small_max) {
        let full = current_rows + extent.row_count > rows_target || current.len() as u64 >= extents_max.max(2);
        if full {
            if current.len() >= 2 {
                groups.push(std::mem::take(&mut current));
            } else {
                current.clear();
            }
            current_rows = 0;
        }
        current_rows += extent.row_count;
        current.push(extent.clone());
    }
    if current.len() >= 2 {
        groups.push(current);
    }
    groups
}

async fn delete_retired(node: &Node) {
    let deletable = node.pins.take_deletable();
    if deletable.is_empty() {
        return;
    }
    let store = Arc::clone(&node.store);
    let count = deletable.len();
    match tokio::task::spawn_blocking(move || store.delete_extents(&deletable)).await {
        Ok(Ok(())) => tracing::debug!(count, "deleted retired extents"),
        Ok(Err(error)) => tracing::warn!(%error, "could not delete retired extents; the next start sweeps them"),
        Err(error) => tracing::warn!(%error, "extent deletion task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tarn_common::ExtentId;

    fn extent(id: u128, rows: u64) -> ExtentMeta {
        ExtentMeta { id: ExtentId(id), columns: Vec::new(), stats: Vec::new(), row_count: rows, size_bytes: 0, created_at_nanos: 0, tags: Vec::new() }
    }

    /// Proves merge groups take only small extents, respect the row target and the extent count,
    /// and never "merge" a single extent.
    #[test]
    fn groups_respect_the_policy() {
        let extents = vec![extent(1, 10), extent(2, 10), extent(3, 1000), extent(4, 10), extent(5, 95), extent(6, 10)];
        let groups = merge_groups(&extents, 100, 120, 10);
        let ids: Vec<Vec<u128>> = groups.iter().map(|group| group.iter().map(|extent| extent.id.0).collect()).collect();
        // 3 is not small; 1+2+4 = 30, adding 5 would make 125 > 120; 5 and 6 = 105.
        assert_eq!(ids, vec![vec![1, 2, 4], vec![5, 6]]);
        let by_count = merge_groups(&extents, 100, 10_000, 2);
        assert!(by_count.iter().all(|group| group.len() <= 2));
        assert!(merge_groups(&[extent(1, 10)], 100, 1000, 10).is_empty());
    }
}
