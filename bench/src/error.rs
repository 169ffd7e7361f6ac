//! The crate's one error type: each variant names what failed and where (a file, a table, a URL),
//! so the message printed by `main` is enough to act on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line value that parsed but makes no sense with the others.
    #[error("invalid argument {argument}: {reason}")]
    InvalidArgument {
        argument: &'static str,
        reason: String,
    },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("writing CSV to {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },

    #[error("writing Parquet to {}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },

    #[error("building an Arrow batch for {table}: {source}")]
    Arrow {
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },

    #[error("{}: not valid JSON for {what}: {source}", path.display())]
    Json {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    #[error("{}: not a valid query suite: {source}", path.display())]
    Suite {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },

    /// An input file (manifest, data file, suite) that is missing or not what it should be.
    #[error("{}: {reason}", path.display())]
    InvalidFile { path: PathBuf, reason: String },

    /// A request made through the SDK failed; `doing` says which one.
    #[error("{doing}: {source}")]
    Client {
        doing: String,
        /// Boxed: the SDK's error is large, and every `Result` here would carry its size.
        #[source]
        source: Box<tarn_client::Error>,
    },

    /// A plain HTTP request (load test bodies, `/metrics`) failed.
    #[error("{doing} ({url}): {source}")]
    Http {
        doing: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// The server answered, but not what was asked for (a count query without a number).
    #[error("{doing}: unexpected answer: {reason}")]
    UnexpectedAnswer { doing: String, reason: String },

    /// After a load, the table did not reach the row count the manifest promises.
    #[error(
        "table {table} has {seen} rows {waited_seconds:.0} s after its ingestion, expected {expected}"
    )]
    RowCountNotReached {
        table: String,
        expected: u64,
        seen: u64,
        waited_seconds: f64,
    },

    /// A blocking task (generation on its own thread) panicked or was cancelled: a bug.
    #[error("internal error: the {task} task did not finish: {reason}")]
    TaskFailed { task: &'static str, reason: String },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn client(doing: impl Into<String>, source: tarn_client::Error) -> Error {
        Error::Client {
            doing: doing.into(),
            source: Box::new(source),
        }
    }
}
