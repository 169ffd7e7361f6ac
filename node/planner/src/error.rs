//! Planning errors. Every user-facing one is a Kusto semantic error with the span it refers to.

use tarn_common::ErrorKind;
use tarn_kql::ast::Span;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Names, types or arity that do not resolve. `code` is Kusto's (SEM0100 for unresolved names).
    #[error("{message}")]
    Semantic { code: &'static str, message: String, span: Span },
    /// The request asks for more than a named limit allows (rows of `range`, function nesting).
    #[error("{message}")]
    Limit { message: String, span: Span },
    /// A KQL feature the planner does not support yet; permanent for the request.
    #[error("{message}")]
    Unsupported { message: String, span: Span },
    /// DataFusion refused a plan the planner built: a planner bug unless DataFusion's message says
    /// otherwise (e.g. incompatible types it could not coerce), so it is reported with the span.
    #[error("{source}")]
    DataFusion { source: datafusion::error::DataFusionError, span: Span },
}

pub type Result<T> = std::result::Result<T, PlanError>;

impl PlanError {
    pub fn semantic(message: impl Into<String>, span: Span) -> PlanError {
        PlanError::Semantic { code: "SEM0100", message: message.into(), span }
    }

    pub fn unsupported(message: impl Into<String>, span: Span) -> PlanError {
        PlanError::Unsupported { message: message.into(), span }
    }

    pub fn span(&self) -> Span {
        match self {
            PlanError::Semantic { span, .. }
            | PlanError::Limit { span, .. }
            | PlanError::Unsupported { span, .. }
            | PlanError::DataFusion { span, .. } => *span,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            PlanError::Semantic { .. } | PlanError::Unsupported { .. } => ErrorKind::Semantic,
            PlanError::Limit { .. } => ErrorKind::LimitExceeded,
            PlanError::DataFusion { .. } => ErrorKind::Semantic,
        }
    }

    /// Kusto's text: `Semantic error: SEM0100: <message> [line:position=L:C]`.
    pub fn render(&self, source: &str) -> String {
        let (line, column) = tarn_kql::line_column(source, self.span().start);
        let code = match self {
            PlanError::Semantic { code, .. } => code,
            PlanError::Limit { .. } => "SEM0260",
            PlanError::Unsupported { .. } => "SEM0001",
            PlanError::DataFusion { .. } => "SEM0002",
        };
        format!("Semantic error: {code}: {self} [line:position={line}:{column}]")
    }
}

/// Attaches a span to DataFusion errors raised while building a plan node.
pub(crate) trait AtSpan<T> {
    fn at(self, span: Span) -> Result<T>;
}

impl<T> AtSpan<T> for std::result::Result<T, datafusion::error::DataFusionError> {
    fn at(self, span: Span) -> Result<T> {
        self.map_err(|source| PlanError::DataFusion { source, span })
    }
}

impl<T> AtSpan<T> for std::result::Result<T, tarn_functions::FunctionError> {
    fn at(self, span: Span) -> Result<T> {
        self.map_err(|error| match error {
            tarn_functions::FunctionError::DataFusion(source) => PlanError::DataFusion { source, span },
            other => PlanError::semantic(other.to_string(), span),
        })
    }
}

impl<T> AtSpan<T> for std::result::Result<T, datafusion::arrow::error::ArrowError> {
    fn at(self, span: Span) -> Result<T> {
        self.map_err(|error| PlanError::DataFusion { source: error.into(), span })
    }
}
