//! The one place where an error's kind becomes an HTTP status, a Kusto error code and `@type`,
//! and a retry hint (`@permanent`). Every crate's error enum says which kind each variant is.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The query text does not parse.
    Syntax,
    /// The query parses but names or types do not resolve.
    Semantic,
    /// The request is malformed (bad JSON body, unknown format, bad property value).
    BadRequest,
    /// A named thing (database, table, mapping) does not exist.
    NotFound,
    /// A named thing exists already.
    AlreadyExists,
    /// A limit was exceeded by the request itself (body too large, result too large); permanent.
    LimitExceeded,
    /// Too much load right now; retry later (HTTP 429).
    Throttled,
    /// The request ran out of time.
    Timeout,
    /// A fault of this node that may pass (I/O, shutdown, not leader); retryable.
    Unavailable,
    /// A bug: an invariant did not hold.
    Internal,
}

impl ErrorKind {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Syntax
            | ErrorKind::Semantic
            | ErrorKind::BadRequest
            | ErrorKind::NotFound
            | ErrorKind::AlreadyExists => 400,
            ErrorKind::LimitExceeded => 413,
            ErrorKind::Throttled => 429,
            ErrorKind::Timeout => 504,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The OneApi `code` (Kusto's `error.code`).
    pub fn kusto_code(self) -> &'static str {
        match self {
            ErrorKind::Syntax | ErrorKind::Semantic | ErrorKind::BadRequest => "General_BadRequest",
            ErrorKind::NotFound => "BadRequest_EntityNotFound",
            ErrorKind::AlreadyExists => "BadRequest_EntityAlreadyExists",
            ErrorKind::LimitExceeded => "LimitsExceeded",
            ErrorKind::Throttled => "TooManyRequests",
            ErrorKind::Timeout => "RequestTimeout",
            ErrorKind::Unavailable => "ServiceUnavailable",
            ErrorKind::Internal => "Internal_Error",
        }
    }

    /// The `@type` Kusto sends for the kind.
    pub fn kusto_type(self) -> &'static str {
        match self {
            ErrorKind::Syntax
            | ErrorKind::Semantic
            | ErrorKind::BadRequest
            | ErrorKind::NotFound
            | ErrorKind::AlreadyExists => "Kusto.Data.Exceptions.KustoBadRequestException",
            ErrorKind::LimitExceeded => "Kusto.Data.Exceptions.KustoRequestLimitsExceededException",
            ErrorKind::Throttled => "Kusto.DataNode.Exceptions.KustoThrottledException",
            ErrorKind::Timeout => "Kusto.Data.Exceptions.KustoRequestTimeoutException",
            ErrorKind::Unavailable => "Kusto.Data.Exceptions.KustoServiceUnavailableException",
            ErrorKind::Internal => "Kusto.Data.Exceptions.KustoInternalException",
        }
    }

    /// Whether retrying the same request can succeed (`@permanent` is the negation).
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Timeout | ErrorKind::Unavailable)
    }
}
