//! The group-commit pipeline.
//!
//! Handlers submit parsed batches; one committer thread takes every request waiting, groups those
//! for the same table and schema (requests carrying ingestion tags stay alone, so a duplicate tag
//! refuses only its own request), writes each group as extents (one synced RocksDB write) and
//! commits them with one `AppendExtents` Raft entry. Only then is each request completed. A failure
//! after the extent write deletes the extent bytes; a crash leaves them as orphans that the node
//! deletes at its next start (they are not in the catalog, so no query ever saw them).

use std::sync::Arc;
use std::thread::JoinHandle;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use tarn_common::limits::{GROUP_COMMIT_ROWS_MAX, INGEST_QUEUE_BYTES_MAX, INGEST_QUEUE_REQUESTS_MAX};
use tarn_common::{Column, ErrorKind, ExtentId, ExtentMeta};
use tarn_handoff::{Abandoned, Handoff, SubmitError};
use tarn_meta::{MetaCommand, MetaError, MetaNode, MetaResponse};
use tarn_storage::{ExtentStore, StorageError, new_extent_id};

/// One request's rows, already parsed into the table's schema.
pub struct IngestRequest {
    pub database: String,
    pub table: String,
    /// The columns the batches are in (the table's schema when parsed).
    pub columns: Vec<Column>,
    pub batches: Vec<RecordBatch>,
    /// `.set-or-append` creates the table with `columns` when it does not exist.
    pub create_table: bool,
    /// Extent tags: `ingest-by:x`, `drop-by:y`.
    pub tags: Vec<String>,
    /// `ingestIfNotExists` values: refuse if an `ingest-by:` tag with one of them exists.
    pub ingest_if_not_exists: Vec<String>,
}

impl IngestRequest {
    fn rows(&self) -> u64 {
        self.batches.iter().map(|batch| batch.num_rows() as u64).sum()
    }

    fn bytes(&self) -> usize {
        self.batches.iter().map(RecordBatch::get_array_memory_size).sum()
    }

    /// Requests with tags are committed alone: a duplicate tag refuses one request, not a group.
    fn groupable(&self) -> bool {
        self.tags.is_empty() && self.ingest_if_not_exists.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Rows this request added (0 when refused as a duplicate).
    pub rows: u64,
    pub extents: Vec<ExtentId>,
    /// `ingestIfNotExists` found the tag: nothing was added, and that is success.
    pub duplicate: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("the ingestion queue is full ({INGEST_QUEUE_REQUESTS_MAX} requests or {INGEST_QUEUE_BYTES_MAX} bytes are waiting); retry later")]
    QueueFull,
    #[error("the node is shutting down")]
    ShuttingDown,
    #[error("could not write the extent: {message}")]
    Storage { message: String, kind: ErrorKind },
    #[error("{message}")]
    Commit { message: String, kind: ErrorKind },
    #[error("the rows of one request do not share one schema: {message}")]
    Schema { message: String },
}

impl IngestError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            IngestError::QueueFull => ErrorKind::Throttled,
            IngestError::ShuttingDown => ErrorKind::Unavailable,
            IngestError::Storage { kind, .. } | IngestError::Commit { kind, .. } => *kind,
            IngestError::Schema { .. } => ErrorKind::Internal,
        }
    }
}

impl From<StorageError> for IngestError {
    fn from(error: StorageError) -> IngestError {
        IngestError::Storage { kind: error.kind(), message: error.to_string() }
    }
}

impl From<MetaError> for IngestError {
    fn from(error: MetaError) -> IngestError {
        IngestError::Commit { kind: error.kind(), message: error.to_string() }
    }
}

type Outcome = Result<IngestOutcome, IngestError>;

pub struct Ingestor {
    handoff: Handoff<IngestRequest, Outcome>,
    committer: Option<JoinHandle<()>>,
}

impl Ingestor {
    /// Starts the committer thread. `runtime` runs the Raft proposals the committer waits on.
    pub fn start(store: Arc<ExtentStore>, meta: Arc<MetaNode>, runtime: tokio::runtime::Handle) -> Ingestor {
        let (handoff, committer) = tarn_handoff::channel(INGEST_QUEUE_REQUESTS_MAX, INGEST_QUEUE_BYTES_MAX);
        let thread = std::thread::Builder::new()
            .name("tarn-committer".into())
            .spawn(move || {
                committer.run(|requests| commit_all(&store, &meta, &runtime, requests));
            })
            .ok();
        Ingestor { handoff, committer: thread }
    }

    /// Queues a request and waits until it is committed (or refused).
    pub async fn ingest(&self, request: IngestRequest) -> Outcome {
        if self.committer.is_none() {
            return Err(IngestError::ShuttingDown);
        }
        let bytes = request.bytes();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let submitted = self.handoff.submit(request, bytes, move |result: Result<Outcome, Abandoned>| {
            let outcome = result.unwrap_or(Err(IngestError::ShuttingDown));
            let _ = sender.send(outcome);
        });
        match submitted {
            Ok(()) => receiver.await.unwrap_or(Err(IngestError::ShuttingDown)),
            Err(SubmitError::Full) => Err(IngestError::QueueFull),
            Err(SubmitError::Closed) => Err(IngestError::ShuttingDown),
        }
    }

    pub fn queued(&self) -> usize {
        self.handoff.queued()
    }

    /// Stops taking requests; the committer commits what is queued and stops.
    pub fn close(&self) {
        self.handoff.close();
    }

    /// Stops taking requests, commits what is queued, and waits for the committer.
    pub fn shutdown(&mut self) {
        self.handoff.close();
        if let Some(thread) = self.committer.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Ingestor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn commit_all(store: &ExtentStore, meta: &MetaNode, runtime: &tokio::runtime::Handle, requests: &mut Vec<IngestRequest>) -> Vec<Outcome> {
    let mut outcomes: Vec<Option<Outcome>> = (0..requests.len()).map(|_| None).collect();
    // Group by (database, table, schema, create flag); tagged requests alone.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        let joinable = groups.iter_mut().find(|group| {
            let first = &requests[group[0]];
            request.groupable()
                && first.groupable()
                && first.database == request.database
                && first.table == request.table
                && first.columns == request.columns
                && first.create_table == request.create_table
        });
        match joinable {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    for group in groups {
        let members: Vec<&IngestRequest> = group.iter().map(|index| &requests[*index]).collect();
        let result = commit_group(store, meta, runtime, &members);
        for (position, index) in group.iter().enumerate() {
            outcomes[*index] = Some(match &result {
                Ok(committed) => Ok(IngestOutcome {
                    rows: if committed.duplicate { 0 } else { members[position].rows() },
                    extents: committed.extents.clone(),
                    duplicate: committed.duplicate,
                }),
                Err(error) => Err(error.clone()),
            });
        }
    }
    outcomes.into_iter().map(|outcome| outcome.unwrap_or(Err(IngestError::ShuttingDown))).collect()
}

struct Committed {
    extents: Vec<ExtentId>,
    duplicate: bool,
}

fn commit_group(store: &ExtentStore, meta: &MetaNode, runtime: &tokio::runtime::Handle, members: &[&IngestRequest]) -> Result<Committed, IngestError> {
    let Some(first) = members.first() else {
        return Ok(Committed { extents: Vec::new(), duplicate: false });
    };
    let schema = tarn_common::types::arrow_schema(&first.columns);
    let batches: Vec<&RecordBatch> = members.iter().flat_map(|member| member.batches.iter()).collect();
    let total_rows: usize = batches.iter().map(|batch| batch.num_rows()).sum();
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);

    let mut written: Vec<ExtentMeta> = Vec::new();
    if total_rows > 0 {
        let combined = concat_batches(&schema, batches.iter().copied())
            .map_err(|error| IngestError::Schema { message: error.to_string() })?;
        let mut offset = 0;
        while offset < total_rows {
            let length = GROUP_COMMIT_ROWS_MAX.min(total_rows - offset);
            let chunk = combined.slice(offset, length);
            match store.write_extent(new_extent_id(), &first.columns, &chunk, now, first.tags.clone()) {
                Ok(meta) => written.push(meta),
                Err(error) => {
                    delete_quietly(store, &written);
                    return Err(error.into());
                }
            }
            offset += length;
        }
    }
    let extent_ids: Vec<ExtentId> = written.iter().map(|meta| meta.id).collect();
    let ingest_by_tags: Vec<String> =
        first.tags.iter().filter_map(|tag| tag.strip_prefix("ingest-by:")).map(str::to_string).collect();
    let command = MetaCommand::AppendExtents {
        db: first.database.clone(),
        table: first.table.clone(),
        create_with_columns: first.create_table.then(|| first.columns.clone()),
        extents: written.clone(),
        ingest_by_tags,
        if_not_exists_tags: first.ingest_if_not_exists.clone(),
    };
    match runtime.block_on(meta.propose(command)) {
        Ok(MetaResponse::Duplicate { .. }) => {
            delete_quietly(store, &written);
            Ok(Committed { extents: Vec::new(), duplicate: true })
        }
        Ok(_) => Ok(Committed { extents: extent_ids, duplicate: false }),
        Err(MetaError::Command(refusal)) => {
            // The state machine refused the command: it is final and nothing names these extents.
            delete_quietly(store, &written);
            Err(MetaError::Command(refusal).into())
        }
        Err(error) => {
            // Any other failure may still have reached the log and commit later, so the bytes stay;
            // if the entry never commits they are orphans, deleted at the next start.
            Err(error.into())
        }
    }
}

fn delete_quietly(store: &ExtentStore, extents: &[ExtentMeta]) {
    if extents.is_empty() {
        return;
    }
    let ids: Vec<ExtentId> = extents.iter().map(|meta| meta.id).collect();
    if let Err(error) = store.delete_extents(&ids) {
        // Left as orphans; the next start deletes extents the catalog does not name.
        tracing::warn!(%error, extents = ids.len(), "could not delete uncommitted extents");
    }
}
