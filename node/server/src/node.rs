//! [`Node`]: one `tarnd` — metadata (Raft), extent storage, the query engine and the ingestion
//! committer — and the operations the HTTP API exposes on it.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::physical_plan::SendableRecordBatchStream;
use tarn_common::ExtentId;
use tarn_ingest::{IngestOutcome, IngestRequest, Ingestor};
use tarn_meta::{MetaNode, MetaOptions};
use tarn_planner::{PlanContext, Visualization};
use tarn_query::{DatabaseView, ExtentPins, QueryEngine, QueryEngineOptions};
use tarn_storage::{ExtentStore, StoreOptions};
use tarn_wire::{KustoError, RequestProperties};

use crate::config::Config;
use crate::errors;
use crate::metrics::{CatalogGauges, Metrics};
use crate::recent::RecentRequests;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot open the metadata store: {0}")]
    Meta(#[from] tarn_meta::MetaError),
    #[error("cannot open the extent store: {0}")]
    Storage(#[from] tarn_storage::StorageError),
    #[error("cannot configure the query engine: {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
}

pub struct Node {
    pub config: Config,
    pub meta: Arc<MetaNode>,
    pub store: Arc<ExtentStore>,
    pub engine: QueryEngine,
    pub pins: ExtentPins,
    pub ingestor: Ingestor,
    pub metrics: Metrics,
    pub recent: RecentRequests,
    pub started_nanos: i64,
}

/// A query whose plans are built and whose result streams have started.
pub struct StartedQuery {
    pub results: Vec<StartedResult>,
    /// `set` statements of the query (lowercased names).
    pub options: Vec<(String, String)>,
}

pub struct StartedResult {
    pub stream: SendableRecordBatchStream,
    pub visualization: Option<Visualization>,
}

pub fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

impl Node {
    /// Opens (or creates) the node's data, finishes what a crash left behind, and starts the
    /// committer. Must run inside a tokio runtime (Raft runs on it).
    pub async fn open(config: Config) -> Result<Arc<Node>, StartError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })?;
        let meta = MetaNode::open_with(
            &config.data_dir.join("meta"),
            config.node_id,
            MetaOptions::default(),
            tarn_meta::NoNetwork,
        )
        .await?;
        let meta = Arc::new(meta);
        let store_dir = config.data_dir.join("extents");
        let store_options = StoreOptions { column_cache_bytes: config.column_cache_bytes() };
        let store = Arc::new(tokio::task::spawn_blocking(move || ExtentStore::open_with(&store_dir, store_options)).await.map_err(|error| {
            StartError::DataDir { path: "extents".into(), source: std::io::Error::other(error) }
        })??);
        sweep_orphans(&meta, &store).await;
        let engine = QueryEngine::new(&QueryEngineOptions::default())?;
        let ingestor = Ingestor::start(Arc::clone(&store), Arc::clone(&meta), tokio::runtime::Handle::current());
        Ok(Arc::new(Node {
            config,
            meta,
            store,
            engine,
            pins: ExtentPins::new(),
            ingestor,
            metrics: Metrics::default(),
            recent: RecentRequests::default(),
            started_nanos: now_nanos(),
        }))
    }

    /// Stops taking ingestion, lets the committer finish what is queued, and stops Raft.
    pub async fn shutdown(self: Arc<Node>) {
        self.ingestor.close();
        match Arc::try_unwrap(self) {
            Ok(node) => {
                let Node { meta, ingestor, .. } = node;
                drop(ingestor); // joins the committer thread after it drained the queue
                if let Ok(meta) = Arc::try_unwrap(meta)
                    && let Err(error) = meta.shutdown().await
                {
                    tracing::warn!(%error, "raft shutdown failed");
                }
            }
            Err(_) => tracing::info!("node still referenced at shutdown; its log is already durable"),
        }
    }

    /// Parses, plans and starts a query. Errors found before any row is produced come back here
    /// (as HTTP errors); later ones travel in-band.
    pub async fn start_query(&self, database: &str, text: &str, properties: &RequestProperties) -> Result<StartedQuery, KustoError> {
        let planned = {
            let query = tarn_kql::parse_query(text).map_err(|diagnostic| errors::syntax(&diagnostic))?;
            let catalog = self.meta.catalog();
            if catalog.database(database).is_none() {
                return Err(errors::database_not_found(database));
            }
            let view = DatabaseView::new(catalog, database, Arc::clone(&self.store), self.pins.pin());
            let parameters = properties.parameters();
            let now_nanos = match properties.option_string("query_now").map_err(errors::wire)? {
                Some(text) => tarn_common::text::parse::parse_datetime(&text)
                    .ok_or_else(|| errors::bad_request(format!("query_now: '{text}' is not a datetime")))?,
                None => now_nanos(),
            };
            let context = PlanContext { catalog: &view, now_nanos, parameters: &parameters };
            tarn_planner::plan_query(&query, context).map_err(|error| errors::semantic(&error, text))?
        };
        let mut results = Vec::with_capacity(planned.results.len());
        for result in planned.results {
            let stream = self.engine.execute(result.plan).await.map_err(errors::datafusion)?;
            results.push(StartedResult { stream, visualization: result.visualization });
        }
        Ok(StartedQuery { results, options: planned.options })
    }

    /// Commits parsed rows through the group committer.
    pub async fn ingest(&self, request: IngestRequest) -> Result<IngestOutcome, KustoError> {
        let result = self.ingestor.ingest(request).await;
        match &result {
            Ok(outcome) => {
                self.metrics.ingested_rows.fetch_add(outcome.rows, std::sync::atomic::Ordering::Relaxed);
            }
            Err(tarn_ingest::IngestError::QueueFull) => {
                self.metrics.ingest_throttled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(_) => {}
        }
        result.map_err(errors::ingest)
    }

    pub fn gauges(&self) -> CatalogGauges {
        let catalog = self.meta.catalog();
        let mut gauges = CatalogGauges {
            tables: 0,
            extents: 0,
            rows: 0,
            extent_bytes: 0,
            ingest_queue: self.ingestor.queued() as u64,
            column_cache: self.store.column_cache_stats(),
        };
        for database in catalog.databases.values() {
            for table in database.tables.values() {
                gauges.tables += 1;
                gauges.extents += table.extents.len() as u64;
                for extent in &table.extents {
                    gauges.rows += extent.row_count;
                    gauges.extent_bytes += extent.size_bytes;
                }
            }
        }
        gauges
    }

    /// Marks extents that left the catalog; their bytes are deleted once no query reads them.
    pub fn retire(&self, extents: impl IntoIterator<Item = ExtentId>) {
        self.pins.retire(extents);
    }
}

/// Deletes extent bytes that no catalog entry names: written by a commit that never finished
/// (a crash between the extent write and the Raft commit). No query could have seen them.
async fn sweep_orphans(meta: &MetaNode, store: &Arc<ExtentStore>) {
    let catalog = meta.catalog();
    let named: HashSet<ExtentId> = catalog
        .databases
        .values()
        .flat_map(|database| database.tables.values())
        .flat_map(|table| table.extents.iter().map(|extent| extent.id))
        .collect();
    let store = Arc::clone(store);
    let swept = tokio::task::spawn_blocking(move || -> Result<usize, tarn_storage::StorageError> {
        let orphans: Vec<ExtentId> = store.extent_ids()?.into_iter().filter(|id| !named.contains(id)).collect();
        store.delete_extents(&orphans)?;
        Ok(orphans.len())
    })
    .await;
    match swept {
        Ok(Ok(0)) => {}
        Ok(Ok(count)) => tracing::info!(count, "deleted orphaned extents left by an unfinished commit"),
        Ok(Err(error)) => tracing::warn!(%error, "could not sweep orphaned extents"),
        Err(error) => tracing::warn!(%error, "orphan sweep task failed"),
    }
}
