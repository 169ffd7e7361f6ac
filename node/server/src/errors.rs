//! Every error a request can meet, as the Kusto error the client receives. The HTTP status, code,
//! `@type` and `@permanent` all follow from the `ErrorKind` (tarn-common's single mapping).

use datafusion::error::DataFusionError;
use tarn_common::ErrorKind;
use tarn_wire::KustoError;

pub fn syntax(diagnostic: &tarn_kql::Diagnostic) -> KustoError {
    KustoError::bad_request(ErrorKind::Syntax, &diagnostic.to_string())
}

pub fn semantic(error: &tarn_planner::PlanError, text: &str) -> KustoError {
    match error.kind() {
        ErrorKind::Semantic => KustoError::bad_request(ErrorKind::Semantic, &error.render(text)),
        kind => KustoError::new(kind, error.render(text)),
    }
}

pub fn bad_request(message: impl AsRef<str>) -> KustoError {
    KustoError::bad_request(ErrorKind::BadRequest, message.as_ref())
}

pub fn not_found(message: impl AsRef<str>) -> KustoError {
    KustoError::bad_request(ErrorKind::NotFound, message.as_ref())
}

pub fn internal(message: impl AsRef<str>) -> KustoError {
    KustoError::new(ErrorKind::Internal, format!("Internal error (a bug in Tarn): {}", message.as_ref()))
}

pub fn database_not_found(database: &str) -> KustoError {
    not_found(format!("Entity ID '{database}' of kind 'Database' was not found."))
}

pub fn table_not_found(database: &str, table: &str) -> KustoError {
    not_found(format!("Table '{table}' was not found in database '{database}'."))
}

/// DataFusion errors during planning or execution. Plan and schema errors come from queries that
/// type-check in the planner but not in DataFusion (a semantic error); a memory limit is a limit;
/// storage and I/O failures pass through their own kind.
pub fn datafusion(error: DataFusionError) -> KustoError {
    let root = error.find_root();
    match root {
        DataFusionError::SchemaError(_, _) | DataFusionError::Plan(_) | DataFusionError::NotImplemented(_) => {
            KustoError::bad_request(ErrorKind::Semantic, &format!("Semantic error: {root}"))
        }
        DataFusionError::ResourcesExhausted(message) => KustoError::new(
            ErrorKind::LimitExceeded,
            format!("Query execution has exceeded the allowed limits (memory): {message}"),
        ),
        DataFusionError::Execution(message) => KustoError::bad_request(ErrorKind::BadRequest, message),
        DataFusionError::ArrowError(inner, _) => KustoError::bad_request(ErrorKind::BadRequest, &inner.to_string()),
        DataFusionError::External(inner) => match inner.downcast_ref::<tarn_storage::StorageError>() {
            Some(storage) => KustoError::new(storage.kind(), storage.to_string()),
            None => internal(inner.to_string()),
        },
        other => internal(other.to_string()),
    }
}

pub fn wire(error: tarn_wire::WireError) -> KustoError {
    KustoError::bad_request(error.kind(), &error.to_string())
}

pub fn meta(error: tarn_meta::MetaError) -> KustoError {
    let kind = error.kind();
    match kind {
        ErrorKind::NotFound | ErrorKind::AlreadyExists | ErrorKind::BadRequest | ErrorKind::Semantic => {
            KustoError::bad_request(kind, &error.to_string())
        }
        _ => KustoError::new(kind, error.to_string()),
    }
}

pub fn ingest(error: tarn_ingest::IngestError) -> KustoError {
    KustoError::new(error.kind(), error.to_string())
}

pub fn format(error: tarn_ingest::format::FormatError) -> KustoError {
    KustoError::bad_request(error.kind(), &error.to_string())
}
