//! tarn-functions: KQL's functions and operators as DataFusion expressions.
//!
//! Owns: the translation of one KQL function call or operator (whose arguments the planner has
//! already planned and typed) into a DataFusion [`Expr`], with Kusto's semantics for types, nulls
//! and edge cases. Where a DataFusion built-in behaves exactly like Kusto it is reused; otherwise
//! the expression calls one of our own `ScalarUDF`s.
//!
//! Layout:
//! - [`scalar`]: the scalar function table (`plan_scalar`, `is_scalar_function`) and the UDFs
//!   behind it, one module per family (conditional, math, datetime, string, dynamic).
//! - [`operators`]: arithmetic with Kusto's type promotion, the string operators (`has`,
//!   `contains`, `=~`, ...) and `has_any` / `has_all`.
//! - [`convert`]: `tostring`, `tolong`, `todatetime`, ... and implicit conversions.
//! - [`dynamic`]: member and index access on `dynamic` values and mv-expand's element UDF.
//!
//! Does not own: name resolution, operator structure or column naming (tarn-planner), parsing
//! (tarn-kql), or the text forms of values shared with ingestion (tarn-common::text).

use arrow::datatypes::DataType;
use datafusion::logical_expr::Expr;

pub mod aggregate;
pub mod convert;
pub mod dynamic;
pub mod operators;
pub mod parse_kv;
pub mod scalar;
pub mod window;

pub use aggregate::{is_aggregate_function, plan_aggregate, plan_arg_extreme, plan_percentile};
pub use convert::plan_convert;
pub use dynamic::{dynamic_elements_type, dynamic_elements_udf, plan_index, plan_member};
pub use operators::{
    ArithmeticOp, StringOperator, plan_arithmetic, plan_has_any, plan_string_operator,
};
pub use parse_kv::{ParseKvOptions, plan_parse_kv_value};
pub use scalar::{is_scalar_function, plan_scalar};
pub use window::{is_window_function, plan_window};

/// A planned argument: the DataFusion expression and its Arrow type in the input schema.
#[derive(Debug, Clone)]
pub struct TypedExpr {
    pub expr: Expr,
    pub data_type: DataType,
}

impl TypedExpr {
    pub fn new(expr: Expr, data_type: DataType) -> TypedExpr {
        TypedExpr { expr, data_type }
    }
}

/// What a function may need from the query: the fixed `now()` of this query (ns since epoch, from
/// `query_now` or the clock at query start — all now()/ago() calls in a query must agree).
#[derive(Debug, Clone, Copy)]
pub struct FunctionContext {
    pub now_nanos: i64,
}

#[derive(thiserror::Error, Debug)]
pub enum FunctionError {
    #[error("Unknown function: '{name}'")]
    UnknownFunction { name: String },
    #[error("The function '{name}' expects {expected} argument(s).")]
    WrongArgumentCount {
        name: String,
        expected: String,
        actual: usize,
    },
    #[error("The function '{name}' expects argument {position} of type {expected}, got {actual}.")]
    /// `position` is 1-based, the way Kusto numbers arguments.
    WrongArgumentType {
        name: String,
        position: usize,
        expected: String,
        actual: String,
    },
    #[error("The function '{name}' got an invalid argument: {reason}")]
    InvalidArgument { name: String, reason: String },
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

pub type Result<T> = std::result::Result<T, FunctionError>;
