//! How one Arrow value is written as an element of a `dynamic` array or bag (compact JSON text):
//! strings quoted, numbers and booleans bare, datetimes and timespans as Kusto's text forms,
//! guids hyphenated, `dynamic` values embedded as the JSON they hold.
//!
//! The datetime / timespan printers are private stand-ins: `tarn_common::text::format` is empty
//! while this is written. When it lands, `format_datetime` / `format_timespan` should call it.
//!
//! Does not own: parsing `dynamic` for anything beyond embedding it (tarn-functions `dynamic`).

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Decimal128Type, DurationNanosecondType, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::{DataFusionError, Result as DfResult};

const NANOS_PER_TICK: i64 = 100;
const TICKS_PER_SECOND: i64 = 10_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// The JSON text of `array[row]`, or `None` when that value is null.
pub(crate) fn element_json(array: &dyn Array, row: usize) -> DfResult<Option<String>> {
    if array.is_null(row) {
        return Ok(None);
    }
    let text = match array.data_type() {
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Float32 => real_json(f64::from(array.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => real_json(array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal128(_, scale) => {
            decimal_json(array.as_primitive::<Decimal128Type>().value(row), *scale)
        }
        DataType::Utf8 => string_json(array.as_string::<i32>().value(row)),
        DataType::Utf8View => string_json(array.as_string_view().value(row)),
        DataType::LargeUtf8 => dynamic_json(array.as_string::<i64>().value(row)),
        DataType::Timestamp(unit, _) => {
            let nanos = timestamp_nanos(array, *unit, row)?;
            string_json(&format_datetime(nanos))
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            let nanos = array.as_primitive::<DurationNanosecondType>().value(row);
            string_json(&format_timespan(nanos))
        }
        DataType::FixedSizeBinary(16) => {
            string_json(&format_guid(array.as_fixed_size_binary().value(row)))
        }
        other => {
            return Err(DataFusionError::NotImplemented(format!(
                "a value of Arrow type {other} cannot be written as a dynamic element"
            )));
        }
    };
    Ok(Some(text))
}

fn string_json(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A `dynamic` value is embedded as the JSON it holds; text that is not JSON (which a well-formed
/// dynamic column never holds) is kept as a string rather than failing the whole aggregate.
fn dynamic_json(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value.to_string(),
        Err(_) => string_json(text),
    }
}

/// JSON has no NaN or infinities; they are written as the strings Kusto prints for them.
fn real_json(value: f64) -> String {
    match serde_json::Number::from_f64(value) {
        Some(number) => number.to_string(),
        None if value.is_nan() => string_json("NaN"),
        None if value > 0.0 => string_json("Infinity"),
        None => string_json("-Infinity"),
    }
}

/// A decimal as a JSON number with no trailing fractional zeros (`1.500…0` → `1.5`).
fn decimal_json(value: i128, scale: i8) -> String {
    let negative = value < 0;
    let digits = value.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(0);
    let (integer, fraction) = if digits.len() > scale {
        let (integer, fraction) = digits.split_at(digits.len() - scale);
        (integer.to_string(), fraction.to_string())
    } else {
        ("0".to_string(), format!("{digits:0>scale$}"))
    };
    let fraction = fraction.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{integer}")
    } else {
        format!("{sign}{integer}.{fraction}")
    }
}

fn timestamp_nanos(array: &dyn Array, unit: TimeUnit, row: usize) -> DfResult<i64> {
    let (value, nanos_per_unit) = match unit {
        TimeUnit::Second => (
            array.as_primitive::<TimestampSecondType>().value(row),
            1_000_000_000,
        ),
        TimeUnit::Millisecond => (
            array.as_primitive::<TimestampMillisecondType>().value(row),
            1_000_000,
        ),
        TimeUnit::Microsecond => (
            array.as_primitive::<TimestampMicrosecondType>().value(row),
            1_000,
        ),
        TimeUnit::Nanosecond => (
            array.as_primitive::<TimestampNanosecondType>().value(row),
            1,
        ),
    };
    value.checked_mul(nanos_per_unit).ok_or_else(|| {
        DataFusionError::Execution(format!("datetime {value} ({unit:?}) is out of range"))
    })
}

/// Kusto's datetime text: `yyyy-MM-ddTHH:mm:ss.fffffffZ` (always 7 fractional digits).
pub(crate) fn format_datetime(nanos: i64) -> String {
    let seconds = nanos.div_euclid(1_000_000_000);
    let sub_second_nanos = nanos.rem_euclid(1_000_000_000);
    let ticks = sub_second_nanos / NANOS_PER_TICK;
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ticks:07}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm), so the
/// printer needs no calendar crate and cannot fail on any i64 timestamp.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Kusto's timespan text: `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn format_timespan(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let ticks = nanos.unsigned_abs() / NANOS_PER_TICK.unsigned_abs();
    let ticks_per_second = TICKS_PER_SECOND.unsigned_abs();
    let total_seconds = ticks / ticks_per_second;
    let fraction = ticks % ticks_per_second;
    let days = total_seconds / SECONDS_PER_DAY.unsigned_abs();
    let hours = (total_seconds / 3600) % 24;
    let minutes = (total_seconds / 60) % 60;
    let seconds = total_seconds % 60;
    let day_part = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction_part = if fraction > 0 {
        format!(".{fraction:07}")
    } else {
        String::new()
    };
    format!("{sign}{day_part}{hours:02}:{minutes:02}:{seconds:02}{fraction_part}")
}

fn format_guid(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_string();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves datetimes print as Kusto's ISO form with 7 fractional digits (as `tostring(datetime(2015-12-31 23:59:59.9))`
    // prints `2015-12-31T23:59:59.9000000Z` in the Kusto reference), including dates before 1970.
    #[test]
    fn datetime_text_matches_kusto() {
        assert_eq!(
            format_datetime(1_451_606_399_900_000_000),
            "2015-12-31T23:59:59.9000000Z"
        );
        assert_eq!(format_datetime(0), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(format_datetime(-1), "1969-12-31T23:59:59.9999999Z");
    }

    // Proves timespans print as `[-][d.]hh:mm:ss[.fffffff]` (the reference's `1.00:00:00` for 1d
    // and `00:00:01.5000000` for 1.5s).
    #[test]
    fn timespan_text_matches_kusto() {
        assert_eq!(format_timespan(86_400_000_000_000), "1.00:00:00");
        assert_eq!(format_timespan(1_500_000_000), "00:00:01.5000000");
        assert_eq!(format_timespan(-90_000_000_000), "-00:01:30");
    }

    // Proves decimals are written as plain JSON numbers without the scale's trailing zeros.
    #[test]
    fn decimal_text_drops_trailing_zeros() {
        assert_eq!(decimal_json(1_500_000_000_000_000_000, 18), "1.5");
        assert_eq!(decimal_json(-5_000_000_000_000_000, 18), "-0.005");
        assert_eq!(decimal_json(2_000_000_000_000_000_000, 18), "2");
    }
}
