//! Kusto's printed forms of scalar values: what `tostring()` returns and what the REST protocol
//! puts in result cells.
//!
//! Owns: datetime (`2014-01-01T01:01:01.0000000Z`), timespan (`[-][d.]hh:mm:ss[.fffffff]`), guid,
//! real and decimal printing. Pure functions, no allocation beyond the returned `String`.
//!
//! Does not own: parsing these forms back (`text::parse`), JSON escaping or the wire encoding of a
//! cell (tarn-wire decides, e.g., that a real on the wire is a JSON number).
//!
//! Kusto counts time in .NET ticks of 100 ns; Tarn stores nanoseconds. Every printer here truncates
//! sub-tick nanoseconds toward zero, which is what converting to ticks in Kusto would do.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike};

/// Nanoseconds in one .NET tick, Kusto's time resolution.
pub const NANOS_PER_TICK: i64 = 100;
const TICKS_PER_SECOND: u64 = 10_000_000;
const TICKS_PER_MINUTE: u64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: u64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: u64 = 24 * TICKS_PER_HOUR;

/// Prints a UTC instant given as nanoseconds since the Unix epoch, always with 7 fractional digits
/// and `Z` (Go's `time.Parse(RFC3339Nano)` needs the `Z`; Kusto always prints all 7 digits).
pub fn format_datetime(nanos_since_epoch: i64) -> String {
    let seconds = nanos_since_epoch.div_euclid(1_000_000_000);
    // rem_euclid of a positive divisor is in 0..1e9, so it fits u32.
    let subsecond_nanos = nanos_since_epoch.rem_euclid(1_000_000_000) as u32;
    format_datetime_parts(seconds, subsecond_nanos).unwrap_or_else(|| {
        // Every i64 of nanoseconds is within chrono's range (about ±262,000 years), so this branch is
        // unreachable; printing the raw number keeps the function total without a panic.
        nanos_since_epoch.to_string()
    })
}

/// Prints a UTC instant given as whole seconds since the epoch plus nanoseconds into that second.
/// Returns `None` when the instant is outside chrono's calendar (beyond ±262,000 years), which lets
/// callers holding second- or millisecond-resolution timestamps print instants that do not fit in
/// i64 nanoseconds.
pub fn format_datetime_parts(seconds_since_epoch: i64, subsecond_nanos: u32) -> Option<String> {
    let instant = DateTime::from_timestamp(seconds_since_epoch, subsecond_nanos)?;
    let ticks_into_second = instant.nanosecond() / NANOS_PER_TICK as u32;
    let mut text = String::with_capacity(28);
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        instant.year(),
        instant.month(),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second(),
        ticks_into_second
    );
    Some(text)
}

/// Prints a duration given in nanoseconds as Kusto's timespan: `[-][d.]hh:mm:ss[.fffffff]`. The
/// day part appears only when non-zero and the fraction only when non-zero (then with 7 digits).
pub fn format_timespan(nanos: i64) -> String {
    // Division truncates toward zero, so -150 ns is -1 tick, as Kusto's conversion would give.
    format_timespan_ticks(nanos / NANOS_PER_TICK)
}

/// Prints a duration given in 100 ns ticks (Kusto's native unit) as a timespan.
pub fn format_timespan_ticks(ticks: i64) -> String {
    let magnitude = ticks.unsigned_abs();
    let days = magnitude / TICKS_PER_DAY;
    let hours = magnitude % TICKS_PER_DAY / TICKS_PER_HOUR;
    let minutes = magnitude % TICKS_PER_HOUR / TICKS_PER_MINUTE;
    let seconds = magnitude % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    let fraction_ticks = magnitude % TICKS_PER_SECOND;

    let mut text = String::with_capacity(24);
    if ticks < 0 {
        text.push('-');
    }
    if days > 0 {
        let _ = write!(text, "{days}.");
    }
    let _ = write!(text, "{hours:02}:{minutes:02}:{seconds:02}");
    if fraction_ticks > 0 {
        let _ = write!(text, ".{fraction_ticks:07}");
    }
    text
}

/// Prints a guid stored as its 16 bytes in RFC 4122 (big-endian) order, lowercase and hyphenated.
pub fn format_guid(bytes: &[u8; 16]) -> String {
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for (position, byte) in bytes.iter().enumerate() {
        if matches!(position, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Prints a real the way Kusto's `tostring` does, which is .NET's default `Double.ToString()`:
/// the shortest digits that round-trip; fixed-point while the decimal exponent is in -5 < e < 15
/// (or up to the digit count for longer numbers), otherwise `d.dddE+XX` with at least two exponent
/// digits. Integral values print without a fraction (`1`, not `1.0`). Non-finite values print as
/// `NaN`, `Infinity`, `-Infinity`.
pub fn format_real(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if value == 0.0 {
        // .NET Core 3.0+ keeps the sign of negative zero.
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }

    // Rust's `{:e}` prints the shortest round-trip digits: "1.2345e-7", "5e20".
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent_text) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent_text.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digit_count = i32::try_from(digits.len()).unwrap_or(i32::MAX);

    let mut text = String::with_capacity(digits.len() + 8);
    if value < 0.0 {
        text.push('-');
    }
    let fixed_point = exponent > -5 && exponent < digit_count.max(15);
    if fixed_point {
        if exponent < 0 {
            text.push_str("0.");
            for _ in 0..(-exponent - 1) {
                text.push('0');
            }
            text.push_str(&digits);
        } else {
            let integral_len = usize::try_from(exponent).unwrap_or(0) + 1;
            if digits.len() <= integral_len {
                text.push_str(&digits);
                for _ in digits.len()..integral_len {
                    text.push('0');
                }
            } else {
                let (integral, fraction) = digits.split_at(integral_len);
                text.push_str(integral);
                text.push('.');
                text.push_str(fraction);
            }
        }
        return text;
    }

    let (first_digit, rest_digits) = digits.split_at(1.min(digits.len()));
    text.push_str(first_digit);
    if !rest_digits.is_empty() {
        text.push('.');
        text.push_str(rest_digits);
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    let _ = write!(text, "E{sign}{:02}", exponent.unsigned_abs());
    text
}

/// Prints a decimal given as an unscaled integer and a scale (value = unscaled × 10^-scale), with
/// trailing fractional zeros trimmed: `1.5`, not `1.500000000000000000`.
pub fn format_decimal(unscaled: i128, scale: i8) -> String {
    format_decimal_digits(unscaled < 0, &unscaled.unsigned_abs().to_string(), scale)
}

/// Prints a decimal from the ASCII digits of its unscaled magnitude, for unscaled values wider than
/// i128 (Arrow's Decimal256). `digits` must hold only ASCII digits.
pub fn format_decimal_digits(negative: bool, digits: &str, scale: i8) -> String {
    let digits = digits.trim_start_matches('0');
    let mut text = String::with_capacity(digits.len() + 4);
    if digits.is_empty() {
        text.push('0');
        return text;
    }
    if negative {
        text.push('-');
    }
    if scale <= 0 {
        text.push_str(digits);
        for _ in 0..scale.unsigned_abs() {
            text.push('0');
        }
        return text;
    }

    let scale = usize::from(scale.unsigned_abs());
    let (integral, fraction) = if digits.len() > scale {
        digits.split_at(digits.len() - scale)
    } else {
        ("", digits)
    };
    let leading_fraction_zeros = scale - fraction.len();
    let fraction = fraction.trim_end_matches('0');
    if integral.is_empty() {
        text.push('0');
    } else {
        text.push_str(integral);
    }
    if !fraction.is_empty() {
        text.push('.');
        for _ in 0..leading_fraction_zeros {
            text.push('0');
        }
        text.push_str(fraction);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANOS_PER_SECOND: i64 = 1_000_000_000;

    // Proves the datetime form from the protocol reference (`2014-01-01T01:01:01.0000000Z`): 7 digits
    // even when the fraction is zero, and the Z suffix.
    #[test]
    fn datetime_prints_seven_digits_and_z() {
        // 2014-01-01T01:01:01Z is 1388538061 s since the epoch (checked with `date -u -d @1388538061`).
        assert_eq!(
            format_datetime(1_388_538_061 * NANOS_PER_SECOND),
            "2014-01-01T01:01:01.0000000Z"
        );
        assert_eq!(format_datetime(0), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(format_datetime(123_456_789), "1970-01-01T00:00:00.1234567Z");
    }

    // Proves the extremes of Arrow's nanosecond range print (1677-09-21 and 2262-04-11) and that
    // instants before the epoch borrow from the seconds instead of printing a negative fraction.
    #[test]
    fn datetime_extremes_and_pre_epoch() {
        assert_eq!(format_datetime(i64::MIN), "1677-09-21T00:12:43.1452241Z");
        assert_eq!(format_datetime(i64::MAX), "2262-04-11T23:47:16.8547758Z");
        assert_eq!(format_datetime(-100), "1969-12-31T23:59:59.9999999Z");
        assert_eq!(
            format_datetime_parts(253_402_300_799, 0).as_deref(),
            Some("9999-12-31T23:59:59.0000000Z")
        );
        assert_eq!(
            format_datetime_parts(-62_135_596_800, 0).as_deref(),
            Some("0001-01-01T00:00:00.0000000Z")
        );
    }

    // Proves the timespan examples given in the protocol reference and the day/fraction omission.
    #[test]
    fn timespan_reference_examples() {
        let second = NANOS_PER_SECOND;
        let day = 86_400 * second;
        assert_eq!(format_timespan(0), "00:00:00");
        assert_eq!(
            format_timespan(day + second + 1_000_100),
            "1.00:00:01.0010001"
        );
        assert_eq!(
            format_timespan(-(2 * day + 2 * second + 2_000_200)),
            "-2.00:00:02.0020002"
        );
        assert_eq!(
            format_timespan(3600 * second + 23 * 60 * second + 45 * second + 678_900_000),
            "01:23:45.6789000"
        );
        assert_eq!(format_timespan(-30 * 60 * second), "-00:30:00");
    }

    // Proves sub-tick nanoseconds are truncated toward zero for both signs, and that i64::MIN does not
    // overflow when its magnitude is taken.
    #[test]
    fn timespan_truncates_sub_tick_and_handles_min() {
        assert_eq!(format_timespan(199), "00:00:00.0000001");
        assert_eq!(format_timespan(-199), "-00:00:00.0000001");
        assert_eq!(format_timespan(99), "00:00:00");
        assert_eq!(format_timespan(i64::MIN), "-106751.23:47:16.8547758");
        assert_eq!(
            format_timespan_ticks(i64::MIN),
            "-10675199.02:48:05.4775808"
        );
    }

    // Proves guids print lowercase, hyphenated 8-4-4-4-12 in byte order.
    #[test]
    fn guid_lowercase_hyphenated() {
        let bytes = [
            0x12, 0x3e, 0x27, 0xde, 0x1e, 0x4e, 0x49, 0xd9, 0xb5, 0x79, 0xfe, 0x0b, 0x33, 0x14,
            0x15, 0xAB,
        ];
        assert_eq!(format_guid(&bytes), "123e27de-1e4e-49d9-b579-fe0b331415ab");
        assert_eq!(
            format_guid(&[0; 16]),
            "00000000-0000-0000-0000-000000000000"
        );
    }

    // Proves real printing follows .NET's default ToString: shortest round trip, no ".0" on integral
    // values, E notation with a two-digit exponent outside -5 < e < 15, named non-finite values.
    #[test]
    fn real_matches_dotnet_default_format() {
        assert_eq!(format_real(1.0), "1");
        assert_eq!(format_real(-2.5), "-2.5");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(0.01), "0.01");
        assert_eq!(format_real(0.0001), "0.0001");
        assert_eq!(format_real(0.00001), "1E-05");
        assert_eq!(format_real(1e14), "100000000000000");
        assert_eq!(format_real(1e15), "1E+15");
        assert_eq!(format_real(2e20), "2E+20");
        assert_eq!(format_real(-2e-20), "-2E-20");
        assert_eq!(format_real(1234567890123456.0), "1234567890123456");
        assert_eq!(format_real(123456789012345678.0), "1.2345678901234568E+17");
        assert_eq!(
            format_real(1.7976931348623157e308),
            "1.7976931348623157E+308"
        );
        assert_eq!(format_real(5e-324), "5E-324");
        assert_eq!(format_real(f64::NAN), "NaN");
        assert_eq!(format_real(f64::INFINITY), "Infinity");
        assert_eq!(format_real(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_real(0.0), "0");
    }

    // Proves every printed real parses back to the same f64 (the round-trip property).
    #[test]
    fn real_round_trips() {
        for value in [
            0.1,
            1.0 / 3.0,
            2.0f64.sqrt(),
            1e-7,
            6.02214076e23,
            -123.456,
            9007199254740993.0,
        ] {
            let printed = format_real(value);
            let reparsed: f64 = printed.parse().unwrap_or(f64::NAN);
            assert_eq!(reparsed, value, "{printed}");
        }
    }

    // Proves decimal printing trims trailing zeros at scale 18 (Tarn's decimal layout) and handles
    // values below one, negatives, zero, negative scales and i128::MIN.
    #[test]
    fn decimal_trims_trailing_zeros() {
        let scale_18 = 1_000_000_000_000_000_000i128;
        assert_eq!(format_decimal(15 * scale_18 / 10, 18), "1.5");
        assert_eq!(
            format_decimal(2 * scale_18 + 10_000, 18),
            "2.00000000000001"
        );
        assert_eq!(format_decimal(-5 * scale_18 / 100, 18), "-0.05");
        assert_eq!(format_decimal(0, 18), "0");
        assert_eq!(format_decimal(7 * scale_18, 18), "7");
        assert_eq!(format_decimal(12, -2), "1200");
        assert_eq!(format_decimal(12345, 2), "123.45");
        assert_eq!(
            format_decimal(i128::MIN, 0),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(format_decimal_digits(false, "0001", 3), "0.001");
    }
}
