//! Kusto's text forms of the scalar types that travel as JSON strings: datetime
//! (`2014-01-01T01:01:01.0000000Z`), timespan (`[-][d.]hh:mm:ss[.fffffff]`), decimal (`"1.5"`),
//! real (`NaN`, `Infinity`, `-Infinity` besides numbers) and guid; parsing for decoding results,
//! printing for display.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::types::DECIMAL_SCALE;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_TICK: i64 = 100;

/// Nanoseconds since the Unix epoch of an ISO 8601 datetime. Text without an offset is UTC (as
/// Kusto prints it without `Z` in some places). `None` when the text is not a datetime or falls
/// outside the i64 nanosecond range (years 1677 to 2262).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return instant.timestamp_nanos_opt();
    }
    for layout in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, layout) {
            return naive.and_utc().timestamp_nanos_opt();
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()
}

/// Kusto's datetime text: UTC, 7 fractional digits (100 ns ticks) and `Z`.
pub fn format_datetime(nanos_since_epoch: i64) -> String {
    let seconds = nanos_since_epoch.div_euclid(1_000_000_000);
    let subsecond_nanos = nanos_since_epoch.rem_euclid(1_000_000_000);
    let subsecond_nanos = u32::try_from(subsecond_nanos).unwrap_or(0);
    match DateTime::from_timestamp(seconds, subsecond_nanos) {
        Some(instant) => format!(
            "{}.{:07}Z",
            instant.format("%Y-%m-%dT%H:%M:%S"),
            subsecond_nanos / 100
        ),
        // Every i64 of nanoseconds is within chrono's range; keep the number rather than panic.
        None => format!("{nanos_since_epoch}ns"),
    }
}

/// Nanoseconds of a timespan in Kusto's form `[-][d.]hh:mm:ss[.fffffff]` (also `d.hh:mm`,
/// `hh:mm`); `None` when malformed or beyond the i64 nanosecond range (about 106,751 days).
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = body.split(':');
    let first = parts.next()?;
    let minutes_text = parts.next()?;
    let seconds_text = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let (days_text, hours_text) = match first.split_once('.') {
        Some((days, hours)) => (Some(days), hours),
        None => (None, first),
    };
    let days = match days_text {
        Some(days) => parse_digits(days)?,
        None => 0,
    };
    let hours = parse_digits(hours_text)?;
    let minutes = parse_digits(minutes_text)?;
    let (seconds, fraction_nanos) = match seconds_text {
        None => (0, 0),
        Some(seconds_text) => match seconds_text.split_once('.') {
            None => (parse_digits(seconds_text)?, 0),
            Some((whole, fraction)) => (parse_digits(whole)?, parse_fraction_nanos(fraction)?),
        },
    };
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let total_seconds = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    let magnitude = total_seconds
        .checked_mul(NANOS_PER_SECOND)?
        .checked_add(fraction_nanos)?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).ok()
}

fn parse_digits(text: &str) -> Option<i128> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A fraction of a second (the digits after the point) in nanoseconds; digits past the ninth are
/// below a nanosecond and dropped.
fn parse_fraction_nanos(digits: &str) -> Option<i128> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let mut nanos: i128 = 0;
    for position in 0..9 {
        let digit = digits
            .as_bytes()
            .get(position)
            .map_or(0, |byte| byte - b'0');
        nanos = nanos * 10 + i128::from(digit);
    }
    Some(nanos)
}

/// Kusto's timespan text, to 100 ns ticks (truncating toward zero, as Kusto does).
pub fn format_timespan(nanos: i64) -> String {
    let ticks = nanos / NANOS_PER_TICK;
    let magnitude = ticks.unsigned_abs();
    const TICKS_PER_SECOND: u64 = 10_000_000;
    const TICKS_PER_MINUTE: u64 = 60 * TICKS_PER_SECOND;
    const TICKS_PER_HOUR: u64 = 60 * TICKS_PER_MINUTE;
    const TICKS_PER_DAY: u64 = 24 * TICKS_PER_HOUR;
    let days = magnitude / TICKS_PER_DAY;
    let hours = magnitude % TICKS_PER_DAY / TICKS_PER_HOUR;
    let minutes = magnitude % TICKS_PER_HOUR / TICKS_PER_MINUTE;
    let seconds = magnitude % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    let fraction_ticks = magnitude % TICKS_PER_SECOND;
    let sign = if ticks < 0 { "-" } else { "" };
    let day_part = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction_part = if fraction_ticks > 0 {
        format!(".{fraction_ticks:07}")
    } else {
        String::new()
    };
    format!("{sign}{day_part}{hours:02}:{minutes:02}:{seconds:02}{fraction_part}")
}

/// A real from its JSON number text or Kusto's `NaN` / `Infinity` / `-Infinity` strings. Rust's
/// parser is exact, so the value is the one the server printed (serde_json's default float parser
/// may be one unit in the last place off).
pub fn parse_real(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "+Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        number => number.parse().ok(),
    }
}

/// Kusto's text for a real: shortest round-trip digits, `NaN`, `Infinity`, `-Infinity`.
pub fn format_real(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        let text = if value > 0.0 { "Infinity" } else { "-Infinity" };
        return text.to_string();
    }
    value.to_string()
}

/// Ten to the power of `exponent` (0..=38).
fn power_of_ten(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

/// A decimal's unscaled value at Kusto's Arrow scale (18) from its text: `-12.5`, `1E+20`,
/// `0.000000000000000001`. Digits beyond the scale are rounded half away from zero. `None` when
/// malformed or beyond 38 digits of precision.
pub fn parse_decimal(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            unsigned.get(..at)?,
            unsigned.get(at + 1..)?.parse::<i32>().ok()?,
        ),
        None => (unsigned, 0),
    };
    let (integer_digits, fraction_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = || integer_digits.bytes().chain(fraction_digits.bytes());
    if integer_digits.len() + fraction_digits.len() == 0
        || !all_digits().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    // value = digits * 10^(exponent - fraction length); unscaled = value * 10^scale.
    let digits: String = all_digits()
        .map(char::from)
        .skip_while(|digit| *digit == '0')
        .collect();
    let fraction_length = i64::try_from(fraction_digits.len()).ok()?;
    let shift = i64::from(exponent) - fraction_length + i64::from(DECIMAL_SCALE);
    let magnitude: i128 = if digits.is_empty() {
        0
    } else if shift >= 0 {
        let significant: i128 = digits.parse().ok()?;
        significant.checked_mul(power_of_ten(u32::try_from(shift).ok()?)?)?
    } else {
        let dropped = usize::try_from(-shift).ok()?;
        if dropped > digits.len() {
            0
        } else {
            let kept_length = digits.len() - dropped;
            let kept: i128 = match digits.get(..kept_length)? {
                "" => 0,
                kept => kept.parse().ok()?,
            };
            let rounds_up = digits
                .as_bytes()
                .get(kept_length)
                .is_some_and(|first_dropped| *first_dropped >= b'5');
            kept + i128::from(rounds_up)
        }
    };
    if magnitude > power_of_ten(38)? - 1 {
        return None;
    }
    Some(if negative { -magnitude } else { magnitude })
}

/// A decimal's text: no exponent, trailing fractional zeros trimmed (`1.5`, `-0.25`, `2`).
pub fn format_decimal(unscaled: i128, scale: i8) -> String {
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = usize::try_from(scale.max(0)).unwrap_or(0);
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let split = padded.len() - scale;
    let (integer_part, fraction_part) = padded.split_at(split);
    let fraction_part = fraction_part.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if fraction_part.is_empty() {
        format!("{sign}{integer_part}")
    } else {
        format!("{sign}{integer_part}.{fraction_part}")
    }
}

/// The 16 bytes of a guid (RFC 4122 order) from its text.
pub fn parse_guid(text: &str) -> Option<[u8; 16]> {
    uuid::Uuid::parse_str(text.trim())
        .ok()
        .map(|guid| *guid.as_bytes())
}

/// A guid's text: lowercase, hyphenated.
pub fn format_guid(bytes: [u8; 16]) -> String {
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves datetimes parse with 7 digits and Z, without an offset, at both ends of the
    // nanosecond range, and print back to Kusto's form; outside the range is None, not a panic.
    #[test]
    fn datetimes() {
        assert_eq!(
            parse_datetime("2014-01-01T01:01:01.0000000Z"),
            Some(1_388_538_061_000_000_000)
        );
        assert_eq!(
            parse_datetime("1970-01-01T00:00:00.1234567"),
            Some(123_456_700)
        );
        assert_eq!(parse_datetime("1970-01-02"), Some(86_400_000_000_000));
        let low = parse_datetime("1677-09-21T00:12:43.1452242Z");
        assert_eq!(low, Some(-9_223_372_036_854_775_800));
        assert_eq!(
            format_datetime(-9_223_372_036_854_775_800),
            "1677-09-21T00:12:43.1452242Z"
        );
        assert_eq!(format_datetime(i64::MAX), "2262-04-11T23:47:16.8547758Z");
        assert_eq!(format_datetime(-100), "1969-12-31T23:59:59.9999999Z");
        assert_eq!(parse_datetime("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }

    // Proves timespans with days, signs and fractions parse and print as Kusto prints them.
    #[test]
    fn timespans() {
        for text in [
            "00:00:00",
            "1.00:00:01.0010001",
            "-2.00:00:02.0020002",
            "106751.02:48:05.4775807",
        ] {
            let nanos = parse_timespan(text);
            assert!(nanos.is_some(), "{text}");
            assert_eq!(format_timespan(nanos.unwrap_or_default()), text);
        }
        assert_eq!(parse_timespan("01:30"), Some(5_400_000_000_000));
        assert_eq!(parse_timespan("10675199.02:48:05.4775807"), None);
        assert_eq!(parse_timespan("1:2:3:4"), None);
        assert_eq!(parse_timespan("00:61:00"), None);
        assert_eq!(parse_timespan(""), None);
    }

    // Proves decimals parse at scale 18 from plain, signed, exponent and over-precise text, and
    // print without trailing zeros.
    #[test]
    fn decimals() {
        let one = 1_000_000_000_000_000_000i128;
        assert_eq!(parse_decimal("1.5"), Some(one + one / 2));
        assert_eq!(parse_decimal("-0.5"), Some(-one / 2));
        assert_eq!(parse_decimal("1E+2"), Some(100 * one));
        assert_eq!(parse_decimal("2.5e-1"), Some(one / 4));
        assert_eq!(parse_decimal("0.000000000000000001"), Some(1));
        assert_eq!(parse_decimal("0.0000000000000000015"), Some(2));
        assert_eq!(
            parse_decimal("99999999999999999999.999999999999999999"),
            Some(99_999_999_999_999_999_999_999_999_999_999_999_999)
        );
        assert_eq!(parse_decimal("100000000000000000000"), None);
        assert_eq!(parse_decimal("1.2.3"), None);
        assert_eq!(parse_decimal("-"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(format_decimal(one + one / 2, 18), "1.5");
        assert_eq!(format_decimal(-one / 4, 18), "-0.25");
        assert_eq!(format_decimal(2 * one, 18), "2");
        assert_eq!(format_decimal(1, 18), "0.000000000000000001");
        assert_eq!(format_decimal(0, 18), "0");
    }

    // Proves reals parse exactly (including the non-finite strings) and print back.
    #[test]
    fn reals() {
        assert_eq!(parse_real("5E-324"), Some(5e-324));
        assert_eq!(parse_real("1E+308"), Some(1e308));
        assert_eq!(parse_real("0.1"), Some(0.1));
        assert!(parse_real("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_real("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_real("x"), None);
        assert_eq!(format_real(f64::INFINITY), "Infinity");
        assert_eq!(format_real(0.1), "0.1");
    }

    // Proves guids go both ways.
    #[test]
    fn guids() {
        let text = "123e27de-1e4e-49d9-b579-fe0b331415ab";
        let bytes = parse_guid(text);
        assert_eq!(bytes.map(format_guid).as_deref(), Some(text));
        assert_eq!(parse_guid("not-a-guid"), None);
    }
}
