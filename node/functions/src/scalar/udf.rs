//! The one `ScalarUDF` shape behind every Kusto function this crate implements itself, and the
//! array helpers its kernels share.
//!
//! Owns: [`KqlUdf`] (a named kernel with a fixed return type, chosen at plan time from the
//! argument types), the scalar-vs-array plumbing, and reading arguments as the canonical Arrow
//! type of their KQL type (a null literal or a `Utf8View` column reads like any other string).
//!
//! Does not own: what any kernel computes (the family modules), or argument checking (done at
//! plan time in [`super`]).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int64Array,
    LargeStringArray, StringArray, TimestampNanosecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub(crate) type DfResult<T> = std::result::Result<T, DataFusionError>;

/// Computes one function over arguments that are all arrays of the same length. The second
/// argument is the return type the planner fixed (kernels shared by several types use it).
pub(crate) type Kernel = fn(&[ArrayRef], &DataType) -> DfResult<ArrayRef>;

/// A Kusto function implemented by this crate. Two instances are the same function when their
/// names and return types agree: the name identifies the kernel (one kernel per name).
#[derive(Debug)]
pub(crate) struct KqlUdf {
    name: String,
    return_type: DataType,
    kernel: Kernel,
    signature: Signature,
}

impl PartialEq for KqlUdf {
    fn eq(&self, other: &KqlUdf) -> bool {
        self.name == other.name && self.return_type == other.return_type
    }
}

impl Eq for KqlUdf {}

impl Hash for KqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.return_type.hash(state);
    }
}

impl KqlUdf {
    pub(crate) fn udf(name: &str, return_type: DataType, kernel: Kernel) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(KqlUdf {
            name: name.to_string(),
            return_type,
            kernel,
            // Arguments are checked and typed at plan time; DataFusion must not coerce them.
            signature: Signature::variadic_any(Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|arg| matches!(arg, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let result = (self.kernel)(&arrays, &self.return_type)?;
        if all_scalar && result.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// `name(args...)` through our kernel.
pub(crate) fn call(name: &str, return_type: DataType, kernel: Kernel, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        KqlUdf::udf(name, return_type, kernel),
        args,
    ))
}

/// The argument at `position`, which plan-time checks guarantee exists.
pub(crate) fn arg(args: &[ArrayRef], position: usize) -> DfResult<&ArrayRef> {
    args.get(position).ok_or_else(|| {
        DataFusionError::Internal(format!("kernel called without argument {position}"))
    })
}

fn cast_to(array: &ArrayRef, to: &DataType) -> DfResult<ArrayRef> {
    Ok(cast(array, to)?)
}

fn downcast<T: Array + Clone + 'static>(array: &ArrayRef) -> DfResult<T> {
    array.as_any().downcast_ref::<T>().cloned().ok_or_else(|| {
        DataFusionError::Internal(format!(
            "kernel argument has unexpected type {}",
            array.data_type()
        ))
    })
}

/// A string argument (Utf8, Utf8View, LargeUtf8 or a null literal) as Utf8. Read values with
/// [`str_at`] so that null reads as "" the way KQL strings do.
pub(crate) fn strings(array: &ArrayRef) -> DfResult<StringArray> {
    downcast(&cast_to(array, &DataType::Utf8)?)
}

/// A dynamic argument as LargeUtf8 JSON texts.
pub(crate) fn dynamics(array: &ArrayRef) -> DfResult<LargeStringArray> {
    downcast(&cast_to(array, &DataType::LargeUtf8)?)
}

pub(crate) fn longs(array: &ArrayRef) -> DfResult<Int64Array> {
    downcast(&cast_to(array, &DataType::Int64)?)
}

pub(crate) fn reals(array: &ArrayRef) -> DfResult<Float64Array> {
    downcast(&cast_to(array, &DataType::Float64)?)
}

pub(crate) fn bools(array: &ArrayRef) -> DfResult<BooleanArray> {
    downcast(&cast_to(array, &DataType::Boolean)?)
}

/// Datetimes and timespans as their nanosecond counts (the cast keeps the value, drops the unit).
pub(crate) fn nanos(array: &ArrayRef) -> DfResult<Int64Array> {
    match array.data_type() {
        DataType::Timestamp(_, _) => {
            let in_nanos = cast_to(
                array,
                &DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, None),
            )?;
            longs(&in_nanos)
        }
        DataType::Duration(_) => {
            let in_nanos = cast_to(
                array,
                &DataType::Duration(arrow::datatypes::TimeUnit::Nanosecond),
            )?;
            longs(&in_nanos)
        }
        _ => longs(array),
    }
}

pub(crate) fn str_at(array: &StringArray, row: usize) -> &str {
    if array.is_null(row) {
        ""
    } else {
        array.value(row)
    }
}

/// A datetime column in Kusto's Arrow type.
pub(crate) fn datetime_array(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC"))
}

pub(crate) fn timespan_array(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(DurationNanosecondArray::from(values))
}

pub(crate) fn string_array(values: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

pub(crate) fn dynamic_array(values: Vec<Option<String>>) -> ArrayRef {
    Arc::new(LargeStringArray::from(values))
}

/// The number of rows of a kernel call (all arguments have the same length).
pub(crate) fn rows(args: &[ArrayRef]) -> usize {
    args.first().map_or(1, |array| array.len())
}
