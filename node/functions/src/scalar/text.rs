//! Kusto's text forms of values, as the conversion and string functions need them.
//!
//! Owns: printing datetimes (`2015-12-31T00:00:00.0000000Z`), timespans (`[-][d.]hh:mm:ss[.fffffff]`),
//! reals (.NET's shortest round-trip form, `1E+20`), decimals and guids, and reading datetimes,
//! timespans (both `1.02:03:04` and literal forms such as `10m`) and guids.
//!
//! Does not own: the text forms shared with ingestion and the wire (tarn_common::text). Printing
//! and reading delegate to it, so `tostring`, `todatetime` and the REST protocol agree byte for
//! byte; what is left here is what only functions need (calendar constants, `tostring(guid)` of
//! an unchecked slice).

use chrono::{DateTime, Utc};

pub(crate) const NANOS_PER_TICK: i64 = 100;
pub(crate) const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub(crate) const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub(crate) const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
pub(crate) const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
/// Ticks from 0001-01-01 to 1970-01-01: Kusto's `tolong(datetime)` and `bin()` count from 0001.
pub(crate) const TICKS_TO_UNIX_EPOCH: i64 = 621_355_968_000_000_000;

pub(crate) fn datetime_from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// `tostring(datetime)`: ISO 8601 with seven fractional digits (ticks) and `Z`.
pub(crate) fn format_datetime(nanos: i64) -> String {
    tarn_common::text::format::format_datetime(nanos)
}

/// `tostring(timespan)`: `[-][d.]hh:mm:ss[.fffffff]`, the fraction only when there is one.
pub(crate) fn format_timespan(nanos: i64) -> String {
    tarn_common::text::format::format_timespan(nanos)
}

/// `tostring(real)` the way .NET prints a double (`1E+20`, `1E-05`, `2.5`).
pub(crate) fn format_real(value: f64) -> String {
    tarn_common::text::format::format_real(value)
}

/// `tostring(decimal)` of a Decimal128 with `scale` digits.
pub(crate) fn format_decimal(value: i128, scale: i8) -> String {
    tarn_common::text::format::format_decimal(value, scale)
}

/// `tostring(guid)`; "" for a value that is not 16 bytes (never produced by KQL's guid type).
pub(crate) fn format_guid(bytes: &[u8]) -> String {
    match <&[u8; 16]>::try_from(bytes) {
        Ok(guid) => tarn_common::text::format::format_guid(guid),
        Err(_) => String::new(),
    }
}

pub(crate) fn parse_guid(text: &str) -> Option<[u8; 16]> {
    tarn_common::text::parse::parse_guid(text)
}

/// Reads a datetime in the forms `todatetime()` accepts (ISO 8601, RFC 822/1123).
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    tarn_common::text::parse::parse_datetime(text)
}

/// Reads a timespan: `[-][d.]hh:mm[:ss[.fffffff]]` or a literal such as `10m`, `1.5h`, `2d`.
pub(crate) fn parse_timespan(text: &str) -> Option<i64> {
    tarn_common::text::parse::parse_timespan(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the printed forms match Kusto's: tostring(datetime(2015-12-31)) and the timespan
    /// forms of the "timespan data type" page (`1.00:00:00`, `00:00:00.0010000`, `-00:05:00`).
    #[test]
    fn prints_kusto_forms() {
        assert_eq!(
            format_datetime(1_451_520_000 * NANOS_PER_SECOND),
            "2015-12-31T00:00:00.0000000Z"
        );
        assert_eq!(format_timespan(NANOS_PER_DAY), "1.00:00:00");
        assert_eq!(format_timespan(1_000_000), "00:00:00.0010000");
        assert_eq!(format_timespan(-5 * NANOS_PER_MINUTE), "-00:05:00");
        assert_eq!(format_real(1e20), "1E+20");
        assert_eq!(format_real(0.00001), "1E-05");
        assert_eq!(format_real(2.5), "2.5");
        assert_eq!(format_decimal(1_500_000_000_000_000_000, 18), "1.5");
        assert_eq!(format_decimal(-20_000_000_000_000_000_000, 18), "-20");
    }

    /// Proves the text forms read back: ISO datetimes with and without `Z`, RFC 822, and both
    /// timespan notations.
    #[test]
    fn reads_kusto_forms() {
        assert_eq!(
            parse_datetime("2015-12-31 23:59:59.9"),
            Some(1_451_606_399_900_000_000)
        );
        assert_eq!(
            parse_datetime("2015-12-31T00:00:00Z"),
            Some(1_451_520_000 * NANOS_PER_SECOND)
        );
        assert_eq!(
            parse_datetime("Thu, 31 Dec 2015 00:00:00 GMT"),
            Some(1_451_520_000 * NANOS_PER_SECOND)
        );
        assert_eq!(parse_datetime("not a date"), None);
        assert_eq!(
            parse_timespan("1.02:03:04.5"),
            Some(NANOS_PER_DAY + 2 * NANOS_PER_HOUR + 3 * NANOS_PER_MINUTE + 4_500_000_000)
        );
        assert_eq!(parse_timespan("10m"), Some(10 * NANOS_PER_MINUTE));
        assert_eq!(parse_timespan("0.5d"), Some(12 * NANOS_PER_HOUR));
        assert_eq!(parse_timespan("abc"), None);
    }
}
