//! ISO 8601 UTC text for nanosecond timestamps, and the duration syntax of the command line.
//!
//! Two forms of timestamp, because two contracts need them: the generated files always carry
//! milliseconds (`2024-01-01T00:00:10.000Z`, what every peer engine parses), while query answers
//! carry fractional seconds only when they are non-zero (`2024-01-01T00:00:00Z`,
//! `...00.5Z`), so that answers from engines with different precisions compare as text.

use chrono::{DateTime, Datelike};

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// How the fraction of a second is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fraction {
    /// Always three digits.
    Millis,
    /// Up to nine digits, trailing zeros (and an empty fraction) dropped.
    Trimmed,
}

/// Appends the ISO 8601 UTC form of `nanos` since the Unix epoch to `out`.
pub fn write_timestamp(out: &mut String, nanos: i64, fraction: Fraction) {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    let subsecond = nanos.rem_euclid(NANOS_PER_SECOND).unsigned_abs();
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY).unsigned_abs();
    // Every i64 of nanoseconds (years 1677..2262) is a valid chrono date.
    let (year, month, day) = match DateTime::from_timestamp(days * SECONDS_PER_DAY, 0) {
        Some(date) => (date.year(), date.month(), date.day()),
        None => (1970, 1, 1),
    };
    push_digits(out, u64::try_from(year).unwrap_or(0), 4);
    out.push('-');
    push_digits(out, u64::from(month), 2);
    out.push('-');
    push_digits(out, u64::from(day), 2);
    out.push('T');
    push_digits(out, second_of_day / 3600, 2);
    out.push(':');
    push_digits(out, second_of_day / 60 % 60, 2);
    out.push(':');
    push_digits(out, second_of_day % 60, 2);
    match fraction {
        Fraction::Millis => {
            out.push('.');
            push_digits(out, subsecond / 1_000_000, 3);
        }
        Fraction::Trimmed if subsecond != 0 => {
            let mut digits = subsecond;
            let mut width = 9;
            while digits.is_multiple_of(10) {
                digits /= 10;
                width -= 1;
            }
            out.push('.');
            push_digits(out, digits, width);
        }
        Fraction::Trimmed => {}
    }
    out.push('Z');
}

pub fn timestamp_text(nanos: i64, fraction: Fraction) -> String {
    let mut out = String::with_capacity(30);
    write_timestamp(&mut out, nanos, fraction);
    out
}

/// `value` in decimal, zero-padded to `width` digits, without allocating (this runs for every
/// generated row).
pub fn push_digits(out: &mut String, value: u64, width: u32) {
    let mut digits: u32 = 1;
    while digits < 20 && 10u64.pow(digits) <= value {
        digits += 1;
    }
    for _ in digits..width {
        out.push('0');
    }
    let mut divisor = 10u64.pow(digits - 1);
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// Parses an RFC 3339 timestamp (`2024-01-01T00:00:00Z`) into nanoseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|error| format!("'{text}' is not an RFC 3339 timestamp ({error})"))?;
    parsed
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("'{text}' is outside the years 1677..2262"))
}

/// Parses a duration: a number with a unit `ms`, `s`, `m`, `h` or `d` (`10s`, `1d`, `1.5h`).
pub fn parse_duration_nanos(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|character: char| character.is_ascii_alphabetic())
        .ok_or_else(|| format!("'{text}' has no unit (use ms, s, m, h or d, e.g. 10s)"))?;
    let (number_text, unit) = trimmed.split_at(split);
    let number: f64 = number_text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' does not start with a number"))?;
    let unit_nanos = match unit {
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => {
            return Err(format!(
                "'{text}' has an unknown unit '{unit}' (use ms, s, m, h or d)"
            ));
        }
    };
    let nanos = number * unit_nanos;
    if !nanos.is_finite() || nanos <= 0.0 || nanos > 1e18 {
        return Err(format!("'{text}' must be positive and under 30 years"));
    }
    Ok(nanos.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves both timestamp forms, including dates before the epoch and a leap day.
    #[test]
    fn formats_timestamps() {
        let start = 1_704_067_200 * NANOS_PER_SECOND; // 2024-01-01T00:00:00Z
        assert_eq!(
            timestamp_text(start, Fraction::Trimmed),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            timestamp_text(start, Fraction::Millis),
            "2024-01-01T00:00:00.000Z"
        );
        assert_eq!(
            timestamp_text(start + 10 * NANOS_PER_SECOND, Fraction::Millis),
            "2024-01-01T00:00:10.000Z"
        );
        assert_eq!(
            timestamp_text(start + 500_000_000, Fraction::Trimmed),
            "2024-01-01T00:00:00.5Z"
        );
        assert_eq!(
            timestamp_text(start + 1, Fraction::Trimmed),
            "2024-01-01T00:00:00.000000001Z"
        );
        assert_eq!(
            timestamp_text(start + 123_450_000, Fraction::Trimmed),
            "2024-01-01T00:00:00.12345Z"
        );
        let leap_day_noon = start + (59 * 86_400 + 12 * 3600 + 34 * 60 + 56) * NANOS_PER_SECOND;
        assert_eq!(
            timestamp_text(leap_day_noon, Fraction::Trimmed),
            "2024-02-29T12:34:56Z"
        );
        assert_eq!(
            timestamp_text(-1, Fraction::Trimmed),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            timestamp_text(0, Fraction::Millis),
            "1970-01-01T00:00:00.000Z"
        );
    }

    // Proves parsing and formatting agree, and bad text is an error, not a panic.
    #[test]
    fn parses_timestamps_and_durations() {
        let nanos = parse_timestamp("2024-01-01T00:00:10Z");
        assert_eq!(
            nanos.map(|nanos| timestamp_text(nanos, Fraction::Millis)),
            Ok("2024-01-01T00:00:10.000Z".to_string())
        );
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(parse_duration_nanos("10s"), Ok(10 * NANOS_PER_SECOND));
        assert_eq!(parse_duration_nanos("1d"), Ok(86_400 * NANOS_PER_SECOND));
        assert_eq!(parse_duration_nanos("1.5h"), Ok(5_400 * NANOS_PER_SECOND));
        assert_eq!(parse_duration_nanos("250ms"), Ok(250_000_000));
        assert!(parse_duration_nanos("10").is_err());
        assert!(parse_duration_nanos("10w").is_err());
        assert!(parse_duration_nanos("-1s").is_err());
        assert!(parse_duration_nanos("s").is_err());
    }
}
