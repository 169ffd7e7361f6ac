//! How Kusto reads text as each scalar type: ingestion of CSV/JSON fields, `todatetime()`,
//! `tolong()` and friends.
//!
//! Owns: pure text → value functions. Every function answers `None` when the text is not a value
//! of the type (Kusto then stores null); none of them allocates except `parse_dynamic`, whose result
//! is the stored text.
//!
//! Does not own: printing values (`text::format`), the choice of what to do with a value that does
//! not parse (the caller's bad-row rules), KQL literal syntax (`datetime(...)` is the parser's).
//!
//! Precision: Kusto datetimes and timespans count 100 ns ticks, so fractions of a second are
//! rounded to the nearest tick even though Tarn stores nanoseconds; the result then compares equal
//! to what Kusto stores for the same text.

/// Nanoseconds in one Kusto tick.
const TICK_NANOS: i64 = 100;
const SECOND_NANOS: i64 = 1_000_000_000;
const MINUTE_NANOS: i64 = 60 * SECOND_NANOS;
const HOUR_NANOS: i64 = 60 * MINUTE_NANOS;
const DAY_NANOS: i64 = 24 * HOUR_NANOS;
/// Decimal128(38, 18): 10^18 is one unit, and a value may have 38 digits in all.
const DECIMAL_SCALE_DIGITS: i32 = 18;
const DECIMAL_PRECISION_DIGITS: u32 = 38;
/// Exponents beyond this make every decimal either zero or an overflow, so parsing stops there.
const DECIMAL_EXPONENT_ABS_MAX: i32 = 400;

fn trim(text: &str) -> &str {
    text.trim_matches(|character: char| character.is_ascii_whitespace())
}

/// `true`/`false` in any case, or `1`/`0`.
pub fn parse_bool(text: &str) -> Option<bool> {
    let text = trim(text);
    if text.eq_ignore_ascii_case("true") || text == "1" {
        return Some(true);
    }
    if text.eq_ignore_ascii_case("false") || text == "0" {
        return Some(false);
    }
    None
}

/// A decimal integer in `int` range; anything else (a fraction, an exponent, overflow) is not an int.
pub fn parse_int(text: &str) -> Option<i32> {
    trim(text).parse::<i32>().ok()
}

/// A decimal integer in `long` range. Strict, as Kusto's `tolong("1.5")` is null.
pub fn parse_long(text: &str) -> Option<i64> {
    trim(text).parse::<i64>().ok()
}

/// A decimal or exponent number, or `NaN`, `Infinity`, `-Infinity`, `inf` (any case).
pub fn parse_real(text: &str) -> Option<f64> {
    let text = trim(text);
    // Rust accepts "inf", "infinity" and "nan" in any case with an optional sign, which covers the
    // .NET spellings Kusto prints; it never accepts hex or digit separators, as Kusto does not.
    text.parse::<f64>().ok()
}

fn pow10_i128(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

/// A decimal number (optionally with an exponent) as an `i128` at scale 18, the Decimal128(38, 18)
/// representation. Digits past the 18th fractional one are rounded half away from zero; a value
/// needing more than 38 digits is not a decimal.
pub fn parse_decimal(text: &str) -> Option<i128> {
    let bytes = trim(text).as_bytes();
    let mut position = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            position += 1;
            true
        }
        Some(b'+') => {
            position += 1;
            false
        }
        _ => false,
    };
    // mantissa × 10^exponent is the value; digits that no longer fit the mantissa only move the
    // exponent, so a long tail of digits cannot overflow anything.
    let mantissa_digits_max = pow10_i128(DECIMAL_PRECISION_DIGITS - 1)?;
    let mut mantissa: i128 = 0;
    let mut exponent: i32 = 0;
    let mut digit_count = 0usize;
    while let Some(&byte) = bytes.get(position) {
        if !byte.is_ascii_digit() {
            break;
        }
        if mantissa < mantissa_digits_max {
            mantissa = mantissa * 10 + i128::from(byte - b'0');
        } else {
            exponent += 1;
        }
        digit_count += 1;
        position += 1;
    }
    if bytes.get(position) == Some(&b'.') {
        position += 1;
        while let Some(&byte) = bytes.get(position) {
            if !byte.is_ascii_digit() {
                break;
            }
            if mantissa < mantissa_digits_max {
                mantissa = mantissa * 10 + i128::from(byte - b'0');
                exponent -= 1;
            }
            digit_count += 1;
            position += 1;
        }
    }
    if digit_count == 0 {
        return None;
    }
    if matches!(bytes.get(position), Some(b'e' | b'E')) {
        position += 1;
        let exponent_negative = match bytes.get(position) {
            Some(b'-') => {
                position += 1;
                true
            }
            Some(b'+') => {
                position += 1;
                false
            }
            _ => false,
        };
        let mut written_exponent: i32 = 0;
        let mut exponent_digits = 0;
        while let Some(&byte) = bytes.get(position) {
            if !byte.is_ascii_digit() {
                break;
            }
            if written_exponent <= DECIMAL_EXPONENT_ABS_MAX {
                written_exponent = written_exponent * 10 + i32::from(byte - b'0');
            }
            exponent_digits += 1;
            position += 1;
        }
        if exponent_digits == 0 {
            return None;
        }
        exponent += if exponent_negative {
            -written_exponent
        } else {
            written_exponent
        };
    }
    if position != bytes.len() {
        return None;
    }
    let shift = exponent + DECIMAL_SCALE_DIGITS;
    let scaled = if mantissa == 0 {
        0
    } else if shift >= 0 {
        mantissa.checked_mul(pow10_i128(u32::try_from(shift).ok()?)?)?
    } else {
        let divisor_exponent = u32::try_from(-shift).ok()?;
        match pow10_i128(divisor_exponent) {
            Some(divisor) => {
                let quotient = mantissa / divisor;
                let remainder = mantissa % divisor;
                if remainder * 2 >= divisor {
                    quotient + 1
                } else {
                    quotient
                }
            }
            // The divisor exceeds any mantissa, so the value rounds to zero.
            None => 0,
        }
    };
    if scaled >= pow10_i128(DECIMAL_PRECISION_DIGITS)? {
        return None;
    }
    Some(if negative { -scaled } else { scaled })
}

/// Reads `count` ASCII digits at `position` as a number.
fn digits_at(bytes: &[u8], position: usize, count: usize) -> Option<u32> {
    let slice = bytes.get(position..position + count)?;
    let mut value: u32 = 0;
    for &byte in slice {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(byte - b'0');
    }
    Some(value)
}

/// Reads 1 to `count_max` digits at `position`; returns the value and the digit count.
fn digits_up_to(bytes: &[u8], position: usize, count_max: usize) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    let mut count = 0;
    while count < count_max {
        match bytes.get(position + count) {
            Some(byte) if byte.is_ascii_digit() => {
                value = value * 10 + u32::from(byte - b'0');
                count += 1;
            }
            _ => break,
        }
    }
    if count == 0 {
        None
    } else {
        Some((value, count))
    }
}

/// Reads a fraction's digits at `position` (after the dot) as nanoseconds rounded to a tick;
/// returns the nanoseconds and the digit count.
fn fraction_nanos_at(bytes: &[u8], position: usize) -> Option<(i64, usize)> {
    let mut nanos: i64 = 0;
    let mut count = 0;
    // The tenth digit decides rounding at nanosecond precision; digits after it cannot matter once
    // the value is rounded to 100 ns ticks.
    let mut scale: i64 = SECOND_NANOS / 10;
    while let Some(&byte) = bytes.get(position + count) {
        if !byte.is_ascii_digit() {
            break;
        }
        nanos += i64::from(byte - b'0') * scale;
        scale /= 10;
        count += 1;
    }
    if count == 0 {
        return None;
    }
    Some((round_to_tick(nanos), count))
}

fn round_to_tick(nanos: i64) -> i64 {
    (nanos + TICK_NANOS / 2).div_euclid(TICK_NANOS) * TICK_NANOS
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let year_of_era_base = if month <= 2 { year - 1 } else { year };
    let era = year_of_era_base.div_euclid(400);
    let year_of_era = year_of_era_base - era * 400;
    let month_index = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Combines a date, a time of day in nanoseconds and a UTC offset in minutes into nanoseconds
/// since the epoch, or `None` outside Arrow's nanosecond range (1677-09-21 .. 2262-04-11).
fn to_epoch_nanos(
    year: i64,
    month: u32,
    day: u32,
    time_nanos: i64,
    offset_minutes: i64,
) -> Option<i64> {
    let days = days_from_civil(year, month, day)?;
    let total = i128::from(days) * i128::from(DAY_NANOS) + i128::from(time_nanos)
        - i128::from(offset_minutes) * i128::from(MINUTE_NANOS);
    i64::try_from(total).ok()
}

/// Time of day `hh:mm[:ss[.f+]]` at `position`; returns nanoseconds and the next position.
fn time_of_day_at(bytes: &[u8], position: usize) -> Option<(i64, usize)> {
    let hour = digits_at(bytes, position, 2)?;
    if bytes.get(position + 2) != Some(&b':') {
        return None;
    }
    let minute = digits_at(bytes, position + 3, 2)?;
    let mut next = position + 5;
    let mut second = 0;
    let mut fraction_nanos = 0;
    if bytes.get(next) == Some(&b':') {
        second = digits_at(bytes, next + 1, 2)?;
        next += 3;
        if bytes.get(next) == Some(&b'.') {
            let (nanos, count) = fraction_nanos_at(bytes, next + 1)?;
            fraction_nanos = nanos;
            next += 1 + count;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let nanos = i64::from(hour) * HOUR_NANOS
        + i64::from(minute) * MINUTE_NANOS
        + i64::from(second) * SECOND_NANOS
        + fraction_nanos;
    Some((nanos, next))
}

/// A numeric UTC offset `±hh:mm`, `±hhmm` or `±hh`, as minutes east of UTC.
fn numeric_offset_minutes(text: &[u8]) -> Option<i64> {
    let sign = match text.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits_at(text, 1, 2)?;
    let minutes = match text.len() {
        3 => 0,
        5 => digits_at(text, 3, 2)?,
        6 if text.get(3) == Some(&b':') => digits_at(text, 4, 2)?,
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (i64::from(hours) * 60 + i64::from(minutes)))
}

/// `YYYY-MM-DD`, then optionally `T` or a space and a time of day, then optionally `Z` or an offset.
fn parse_iso8601(bytes: &[u8]) -> Option<i64> {
    let year = digits_at(bytes, 0, 4)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits_at(bytes, 5, 2)?;
    let day = digits_at(bytes, 8, 2)?;
    if bytes.len() == 10 {
        return to_epoch_nanos(i64::from(year), month, day, 0, 0);
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (time_nanos, next) = time_of_day_at(bytes, 11)?;
    let zone = bytes.get(next..)?;
    let offset_minutes = match zone {
        [] | [b'Z'] | [b'z'] => 0,
        _ => numeric_offset_minutes(zone)?,
    };
    to_epoch_nanos(i64::from(year), month, day, time_nanos, offset_minutes)
}

fn month_from_abbreviation(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = name.get(..3)?;
    let index = MONTHS
        .iter()
        .position(|month| month.eq_ignore_ascii_case(prefix))?;
    // Accept the full name too ("November"), as .NET does, but nothing else after the abbreviation.
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let full = FULL.get(index)?;
    if name.len() == 3 || name.eq_ignore_ascii_case(full) {
        u32::try_from(index + 1).ok()
    } else {
        None
    }
}

/// A zone as RFC 822 writes it: `GMT`, `UT`, `UTC`, `Z`, a US zone name, or `±hhmm`.
fn rfc822_zone_minutes(zone: &str) -> Option<i64> {
    let upper = zone.to_ascii_uppercase();
    Some(match upper.as_str() {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        "EST" => -5 * 60,
        "EDT" => -4 * 60,
        "CST" => -6 * 60,
        "CDT" => -5 * 60,
        "MST" => -7 * 60,
        "MDT" => -6 * 60,
        "PST" => -8 * 60,
        "PDT" => -7 * 60,
        _ => return numeric_offset_minutes(zone.as_bytes()),
    })
}

/// RFC 822 / 1123 (`Sat, 8 Nov 2014 15:05:02 GMT`, weekday optional, 2- or 4-digit year) and RFC 850
/// (`Saturday, 08-Nov-14 15:05:02 GMT`). The weekday is not checked against the date, as in .NET.
fn parse_rfc822(text: &str) -> Option<i64> {
    let without_weekday = match text.split_once(',') {
        Some((weekday, rest)) if weekday.bytes().all(|byte| byte.is_ascii_alphabetic()) => rest,
        Some(_) => return None,
        None => text,
    };
    let mut parts = without_weekday.split_ascii_whitespace();
    let first = parts.next()?;
    let (day_text, month_text, year_text) = if first.contains('-') {
        let mut date_parts = first.split('-');
        let day_part = date_parts.next()?;
        let month_part = date_parts.next()?;
        let year_part = date_parts.next()?;
        if date_parts.next().is_some() {
            return None;
        }
        (day_part, month_part, year_part)
    } else {
        (first, parts.next()?, parts.next()?)
    };
    let day_bytes = day_text.as_bytes();
    let (day, day_digits) = digits_up_to(day_bytes, 0, 2)?;
    if day_digits != day_bytes.len() {
        return None;
    }
    let month = month_from_abbreviation(month_text)?;
    let year_bytes = year_text.as_bytes();
    let year = match year_bytes.len() {
        // .NET's two-digit-year window: 00-49 are 20xx, 50-99 are 19xx.
        2 => {
            let short_year = i64::from(digits_at(year_bytes, 0, 2)?);
            if short_year < 50 {
                2000 + short_year
            } else {
                1900 + short_year
            }
        }
        4 => i64::from(digits_at(year_bytes, 0, 4)?),
        _ => return None,
    };
    let time_text = parts.next()?;
    let time_bytes = time_text.as_bytes();
    let (time_nanos, time_end) = time_of_day_at(time_bytes, 0)?;
    if time_end != time_bytes.len() {
        return None;
    }
    let offset_minutes = match parts.next() {
        Some(zone) => rfc822_zone_minutes(zone)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    to_epoch_nanos(year, month, day, time_nanos, offset_minutes)
}

/// A datetime as nanoseconds since the Unix epoch (UTC): ISO 8601 with `T` or a space, an optional
/// fraction (rounded to 100 ns), `Z` or an offset (converted to UTC); a date alone; or RFC 822 /
/// 1123 / 850. `None` outside Arrow's nanosecond range (1677-09-21 .. 2262-04-11).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = trim(text);
    let bytes = text.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_digit) && bytes.get(4) == Some(&b'-') {
        return parse_iso8601(bytes).or_else(|| parse_iso8601(padded_iso_date(text)?.as_bytes()));
    }
    if let Some(nanos) = parse_us_date(text) {
        return Some(nanos);
    }
    parse_rfc822(text)
}

/// `2015-1-5[T...]` with the leading zeros of month and day restored, or None when it is not that.
fn padded_iso_date(text: &str) -> Option<String> {
    let date_end = text.find(['T', 't', ' ']).unwrap_or(text.len());
    let (date, rest) = text.split_at(date_end);
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let short = |part: &str| (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || year.len() != 4 || !short(month) || !short(day) {
        return None;
    }
    Some(format!("{year}-{month:0>2}-{day:0>2}{rest}"))
}

/// The invariant-culture form .NET (and so Kusto) also reads: `M/d/yyyy[ H:mm[:ss[.f...]]]`
/// (or with `-` between the parts),
/// e.g. `02/17/2016 08:40:01`.
fn parse_us_date(text: &str) -> Option<i64> {
    let (date, time) = match text.split_once(' ') {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let separator = if date.contains('/') { '/' } else { '-' };
    let mut parts = date.split(separator);
    let (month, day, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
        return None;
    }
    let number = |digits: &str| -> Option<u32> { if digits.bytes().all(|b| b.is_ascii_digit()) { digits.parse().ok() } else { None } };
    let (month, day, year) = (number(month)?, number(day)?, number(year)?);
    let mut iso = format!("{year:04}-{month:02}-{day:02}");
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (time, None),
        };
        let mut fields = clock.split(':');
        let hour = number(fields.next()?)?;
        let minute = number(fields.next()?)?;
        let second = match fields.next() {
            Some(second) => number(second)?,
            None => 0,
        };
        if fields.next().is_some() {
            return None;
        }
        iso.push_str(&format!("T{hour:02}:{minute:02}:{second:02}"));
        if let Some(fraction) = fraction {
            number(fraction)?;
            iso.push('.');
            iso.push_str(fraction);
        }
    }
    parse_iso8601(iso.as_bytes())
}

/// Nanoseconds per unit of the `<number><unit>` timespan forms.
fn timespan_unit_nanos(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => DAY_NANOS,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR_NANOS,
        "m" | "min" | "minute" | "minutes" => MINUTE_NANOS,
        "s" | "sec" | "second" | "seconds" => SECOND_NANOS,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "tick" | "ticks" => TICK_NANOS,
        "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    })
}

/// `<number><unit>` such as `2d`, `1.5h`, `100ms`, `1tick` (a tick is 100 ns).
fn parse_timespan_with_unit(bytes: &[u8]) -> Option<i64> {
    let number_end = bytes
        .iter()
        .position(|byte| !(byte.is_ascii_digit() || *byte == b'.'))?;
    let (number, unit_bytes) = bytes.split_at(number_end);
    let unit = std::str::from_utf8(unit_bytes).ok()?.to_ascii_lowercase();
    let unit_nanos = i128::from(timespan_unit_nanos(&unit)?);
    let (whole_digits, fraction_digits) = match number.iter().position(|byte| *byte == b'.') {
        Some(dot) => (number.get(..dot)?, number.get(dot + 1..)?),
        None => (number, &[][..]),
    };
    if whole_digits.is_empty() && fraction_digits.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    for &digit in whole_digits {
        total = total
            .checked_mul(10)?
            .checked_add(i128::from(digit - b'0'))?;
    }
    total = total.checked_mul(unit_nanos)?;
    // Eighteen fraction digits are far below a nanosecond for every unit; later ones are dropped
    // so the integer arithmetic below cannot overflow.
    const FRACTION_DIGITS_MAX: usize = 18;
    let mut fraction_value: i128 = 0;
    let mut fraction_digits_used: u32 = 0;
    for &digit in fraction_digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        if (fraction_digits_used as usize) < FRACTION_DIGITS_MAX {
            fraction_value = fraction_value * 10 + i128::from(digit - b'0');
            fraction_digits_used += 1;
        }
    }
    let fraction_nanos = fraction_value * unit_nanos / 10i128.pow(fraction_digits_used);
    i64::try_from(total.checked_add(fraction_nanos)?).ok()
}

/// `[d.]hh:mm[:ss[.f+]]`, the form Kusto prints.
fn parse_timespan_clock(bytes: &[u8]) -> Option<i64> {
    let colon = bytes.iter().position(|byte| *byte == b':')?;
    let (days, clock_start) = match bytes.get(..colon)?.iter().position(|byte| *byte == b'.') {
        Some(dot) => {
            let (days_value, days_digits) = digits_up_to(bytes, 0, 9)?;
            if days_digits != dot {
                return None;
            }
            (i64::from(days_value), dot + 1)
        }
        None => (0, 0),
    };
    // Hours may be written with one digit (`1:30:00`), as .NET accepts.
    let (hour, hour_digits) = digits_up_to(bytes, clock_start, 2)?;
    if bytes.get(clock_start + hour_digits) != Some(&b':') {
        return None;
    }
    let minute = digits_at(bytes, clock_start + hour_digits + 1, 2)?;
    let mut next = clock_start + hour_digits + 3;
    let mut second = 0;
    let mut fraction_nanos = 0;
    if bytes.get(next) == Some(&b':') {
        second = digits_at(bytes, next + 1, 2)?;
        next += 3;
        if bytes.get(next) == Some(&b'.') {
            let (nanos, count) = fraction_nanos_at(bytes, next + 1)?;
            fraction_nanos = nanos;
            next += 1 + count;
        }
    }
    if next != bytes.len() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let total = i128::from(days) * i128::from(DAY_NANOS)
        + i128::from(hour) * i128::from(HOUR_NANOS)
        + i128::from(minute) * i128::from(MINUTE_NANOS)
        + i128::from(second) * i128::from(SECOND_NANOS)
        + i128::from(fraction_nanos);
    i64::try_from(total).ok()
}

/// A timespan as nanoseconds: `[-][d.]hh:mm[:ss[.fffffff]]`, `[-]<number><unit>` (`2d`, `1.5h`,
/// `30m`, `10s`, `100ms`, `10microsecond`, `1tick`), or a bare integer counting days (as .NET's
/// `TimeSpan.Parse("2")`).
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = trim(text);
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let bytes = body.as_bytes();
    if !bytes
        .first()
        .is_some_and(|byte| byte.is_ascii_digit() || *byte == b'.')
    {
        return None;
    }
    let magnitude = if bytes.contains(&b':') {
        parse_timespan_clock(bytes)?
    } else if bytes.iter().all(u8::is_ascii_digit) {
        i64::try_from(i128::from(body.parse::<i64>().ok()?) * i128::from(DAY_NANOS)).ok()?
    } else {
        parse_timespan_with_unit(bytes)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// A guid as its 16 bytes in text order (RFC 4122 byte order, as `uuid` and Arrow consumers expect):
/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the same in braces or parentheses, or 32 hex digits.
pub fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let text = trim(text);
    let inner = if let Some(rest) = text.strip_prefix('{') {
        rest.strip_suffix('}')?
    } else if let Some(rest) = text.strip_prefix('(') {
        rest.strip_suffix(')')?
    } else {
        text
    };
    let bytes = inner.as_bytes();
    let hyphenated = match bytes.len() {
        36 => true,
        32 => false,
        _ => return None,
    };
    let mut guid = [0u8; 16];
    let mut hex_digits = bytes.iter().enumerate().filter_map(|(index, byte)| {
        if hyphenated && matches!(index, 8 | 13 | 18 | 23) {
            None
        } else {
            Some(*byte)
        }
    });
    if hyphenated
        && [8, 13, 18, 23]
            .iter()
            .any(|index| bytes.get(*index) != Some(&b'-'))
    {
        return None;
    }
    for slot in guid.iter_mut() {
        let high = hex_value(hex_digits.next()?)?;
        let low = hex_value(hex_digits.next()?)?;
        *slot = (high << 4) | low;
    }
    Some(guid)
}

/// Removes the whitespace between the tokens of valid JSON text, keeping everything else
/// (property order, number spelling) as written.
fn minify_json(json: &str) -> String {
    let mut compact = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for character in json.chars() {
        if in_string {
            compact.push(character);
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
            continue;
        }
        match character {
            ' ' | '\t' | '\n' | '\r' => {}
            '"' => {
                in_string = true;
                compact.push(character);
            }
            _ => compact.push(character),
        }
    }
    compact
}

/// True when `text` is one complete JSON value (serde_json bounds nesting, so this cannot overflow
/// the stack on hostile input).
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Text for a `dynamic` column: valid JSON becomes compact JSON text with its property order
/// kept; anything else becomes a JSON string holding the text.
pub fn parse_dynamic(text: &str) -> String {
    if is_json(text) {
        return minify_json(text);
    }
    // Serializing a &str to JSON cannot fail; the fallback keeps this total without a panic.
    serde_json::to_string(text).unwrap_or_else(|_| String::from("null"))
}

/// Compact text of a JSON value known to be valid (the JSON ingestion path validates first).
pub fn compact_json(valid_json: &str) -> String {
    minify_json(valid_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos_of(
        year: i64,
        month: u32,
        day: u32,
        hour: i64,
        minute: i64,
        second: i64,
        nanos: i64,
    ) -> i64 {
        let days = days_from_civil(year, month, day).unwrap_or(i64::MIN / DAY_NANOS);
        days * DAY_NANOS + hour * HOUR_NANOS + minute * MINUTE_NANOS + second * SECOND_NANOS + nanos
    }

    /// Proves booleans read as Kusto reads them: words in any case, 1 and 0, nothing else.
    #[test]
    fn bool_forms() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool(" True "), Some(true));
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("2"), None);
        assert_eq!(parse_bool(""), None);
    }

    /// Proves integers are strict: fractions, overflow and junk are not integers.
    #[test]
    fn integer_forms() {
        assert_eq!(parse_long("42"), Some(42));
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long("1.5"), None);
        assert_eq!(parse_long("1.0"), None);
        assert_eq!(parse_long("12abc"), None);
        assert_eq!(parse_int("2147483647"), Some(i32::MAX));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_int(" -7 "), Some(-7));
    }

    /// Proves reals accept exponents and the .NET spellings of NaN and the infinities.
    #[test]
    fn real_forms() {
        assert_eq!(parse_real("1.5"), Some(1.5));
        assert_eq!(parse_real("-2e3"), Some(-2000.0));
        assert_eq!(parse_real("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_real("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_real("inf"), Some(f64::INFINITY));
        assert!(parse_real("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_real("1,5"), None);
        assert_eq!(parse_real("0x10"), None);
    }

    /// Proves decimals land at scale 18, round past the 18th digit and refuse more than 38 digits.
    #[test]
    fn decimal_forms() {
        let unit = 10i128.pow(18);
        assert_eq!(parse_decimal("1"), Some(unit));
        assert_eq!(parse_decimal("-1.25"), Some(-unit - unit / 4));
        assert_eq!(parse_decimal("0.0000000000000000015"), Some(2));
        assert_eq!(parse_decimal("0.0000000000000000014"), Some(1));
        assert_eq!(parse_decimal("1.5e2"), Some(150 * unit));
        assert_eq!(
            parse_decimal("12345678901234567890"),
            Some(12_345_678_901_234_567_890 * unit)
        );
        assert_eq!(parse_decimal("123456789012345678901"), None);
        assert_eq!(parse_decimal("1e-500"), Some(0));
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_decimal("1e"), None);
        assert_eq!(parse_decimal("abc"), None);
    }

    /// Proves the ISO 8601 forms of the Kusto datetime page, offsets converted to UTC, and the
    /// Arrow nanosecond range as the bound.
    #[test]
    fn datetime_iso_forms() {
        let base = nanos_of(2014, 5, 25, 8, 20, 3, 123_456_000);
        assert_eq!(parse_datetime("2014-05-25T08:20:03.123456Z"), Some(base));
        assert_eq!(parse_datetime("2014-05-25T08:20:03.123456"), Some(base));
        assert_eq!(parse_datetime("2014-05-25 08:20:03.123456"), Some(base));
        assert_eq!(
            parse_datetime("2014-05-25T08:20"),
            Some(nanos_of(2014, 5, 25, 8, 20, 0, 0))
        );
        assert_eq!(
            parse_datetime("2014-11-08"),
            Some(nanos_of(2014, 11, 8, 0, 0, 0, 0))
        );
        assert_eq!(
            parse_datetime("2014-05-25T10:20:03.123456+02:00"),
            Some(base)
        );
        assert_eq!(
            parse_datetime("2014-05-25T03:20:03.123456-0500"),
            Some(base)
        );
        // Seven digits are exact ticks; a ninth digit rounds to the nearest tick.
        assert_eq!(
            parse_datetime("2024-01-01T00:00:00.1234567Z"),
            Some(nanos_of(2024, 1, 1, 0, 0, 0, 123_456_700))
        );
        assert_eq!(
            parse_datetime("2024-01-01T00:00:00.123456789Z"),
            Some(nanos_of(2024, 1, 1, 0, 0, 0, 123_456_800))
        );
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_datetime("2262-04-11T23:47:16Z"),
            Some(9_223_372_036_000_000_000)
        );
        assert_eq!(parse_datetime("2262-04-12"), None);
        assert_eq!(parse_datetime("1677-09-21"), None);
        assert_eq!(
            parse_datetime("1677-09-22"),
            Some(nanos_of(1677, 9, 22, 0, 0, 0, 0))
        );
        assert_eq!(parse_datetime("2023-02-29"), None);
        assert_eq!(
            parse_datetime("2024-02-29"),
            Some(nanos_of(2024, 2, 29, 0, 0, 0, 0))
        );
        assert_eq!(parse_datetime("2024-01-01T24:00:00"), None);
        assert_eq!(parse_datetime("2024-01-01T00:00:00Q"), None);
        assert_eq!(parse_datetime("not a date"), None);
        assert_eq!(parse_datetime(""), None);
    }

    /// Proves the RFC 822/1123/850 forms of the Kusto datetime page.
    #[test]
    fn datetime_rfc_forms() {
        let expected = Some(nanos_of(2014, 11, 8, 15, 5, 2, 0));
        assert_eq!(parse_datetime("Sat, 8 Nov 14 15:05:02 GMT"), expected);
        assert_eq!(parse_datetime("Sat, 8 Nov 2014 15:05:02 GMT"), expected);
        assert_eq!(parse_datetime("Sat, 8 Nov 14 15:05:02"), expected);
        assert_eq!(parse_datetime("8 Nov 14 15:05:02 GMT"), expected);
        assert_eq!(parse_datetime("Saturday, 08-Nov-14 15:05:02 GMT"), expected);
        assert_eq!(parse_datetime("Sat, 8 Nov 14 10:05:02 EST"), expected);
        assert_eq!(parse_datetime("Sat, 8 Nov 14 16:05:02 +0100"), expected);
        assert_eq!(
            parse_datetime("Sat, 8 Nov 14 15:05"),
            Some(nanos_of(2014, 11, 8, 15, 5, 0, 0))
        );
        assert_eq!(parse_datetime("Sat, 8 Foo 14 15:05:02 GMT"), None);
        assert_eq!(parse_datetime("Sat, 8 Nov 14 15:05:02 GMT extra"), None);
    }

    /// Proves the invariant-culture `M/d/yyyy H:mm:ss` form, and that malformed ones are refused.
    #[test]
    fn datetime_us_forms() {
        assert_eq!(parse_datetime("02/17/2016 08:40:01"), Some(nanos_of(2016, 2, 17, 8, 40, 1, 0)));
        assert_eq!(parse_datetime("2/7/2016"), Some(nanos_of(2016, 2, 7, 0, 0, 0, 0)));
        assert_eq!(parse_datetime("2/7/2016 8:05"), Some(nanos_of(2016, 2, 7, 8, 5, 0, 0)));
        assert_eq!(parse_datetime("13/40/2016"), None);
        assert_eq!(parse_datetime("02/17/16 08:40:01"), None);
        assert_eq!(parse_datetime("02/17/2016 08:40:01:02"), None);
        assert_eq!(parse_datetime("nonValidDateTime 08:40:01"), None);
        assert_eq!(parse_datetime("12-02-2022"), Some(nanos_of(2022, 12, 2, 0, 0, 0, 0)));
        assert_eq!(parse_datetime("1970-5-12"), Some(nanos_of(1970, 5, 12, 0, 0, 0, 0)));
        assert_eq!(parse_datetime("2015-1-5T10:00:00Z"), Some(nanos_of(2015, 1, 5, 10, 0, 0, 0)));
        assert_eq!(parse_datetime("2015-123-5"), None);
    }

    /// Proves every timespan form of the Kusto timespan page, including that a tick is 100 ns.
    #[test]
    fn timespan_forms() {
        assert_eq!(parse_timespan("2d"), Some(2 * DAY_NANOS));
        assert_eq!(parse_timespan("1.5h"), Some(90 * MINUTE_NANOS));
        assert_eq!(parse_timespan("30m"), Some(30 * MINUTE_NANOS));
        assert_eq!(parse_timespan("10s"), Some(10 * SECOND_NANOS));
        assert_eq!(parse_timespan("0.1s"), Some(SECOND_NANOS / 10));
        assert_eq!(parse_timespan("100ms"), Some(100_000_000));
        assert_eq!(parse_timespan("10microsecond"), Some(10_000));
        assert_eq!(parse_timespan("1tick"), Some(100));
        assert_eq!(parse_timespan("25min"), Some(25 * MINUTE_NANOS));
        assert_eq!(parse_timespan("-1h"), Some(-HOUR_NANOS));
        assert_eq!(
            parse_timespan("0.12:34:56.7"),
            Some(12 * HOUR_NANOS + 34 * MINUTE_NANOS + 56 * SECOND_NANOS + 700_000_000)
        );
        assert_eq!(parse_timespan("00:03:00"), Some(3 * MINUTE_NANOS));
        assert_eq!(parse_timespan("4.00:00:00"), Some(4 * DAY_NANOS));
        assert_eq!(
            parse_timespan("-1.02:03"),
            Some(-(DAY_NANOS + 2 * HOUR_NANOS + 3 * MINUTE_NANOS))
        );
        assert_eq!(parse_timespan("00:00:00.1234567"), Some(123_456_700));
        assert_eq!(parse_timespan("2"), Some(2 * DAY_NANOS));
        assert_eq!(parse_timespan("24:00:00"), None);
        assert_eq!(parse_timespan("00:60:00"), None);
        assert_eq!(parse_timespan("1w"), None);
        assert_eq!(parse_timespan("h"), None);
        assert_eq!(parse_timespan(""), None);
        assert_eq!(parse_timespan("99999999999999d"), None);
    }

    /// Proves guids read with or without hyphens and braces, in text byte order, and nothing else.
    #[test]
    fn guid_forms() {
        let expected = [
            0x74, 0xbe, 0x27, 0xde, 0x1e, 0x4e, 0x49, 0xd9, 0xb5, 0x79, 0xfe, 0x0b, 0x33, 0x1d,
            0x3e, 0x6d,
        ];
        assert_eq!(
            parse_guid("74be27de-1e4e-49d9-b579-fe0b331d3e6d"),
            Some(expected)
        );
        assert_eq!(
            parse_guid("{74BE27DE-1E4E-49D9-B579-FE0B331D3E6D}"),
            Some(expected)
        );
        assert_eq!(
            parse_guid("74be27de1e4e49d9b579fe0b331d3e6d"),
            Some(expected)
        );
        assert_eq!(
            parse_guid("(74be27de-1e4e-49d9-b579-fe0b331d3e6d)"),
            Some(expected)
        );
        assert_eq!(parse_guid("74be27de-1e4e-49d9-b579-fe0b331d3e6"), None);
        assert_eq!(parse_guid("74be27de-1e4e-49d9-b579_fe0b331d3e6d"), None);
        assert_eq!(parse_guid("zzbe27de-1e4e-49d9-b579-fe0b331d3e6d"), None);
        assert_eq!(parse_guid("{74be27de-1e4e-49d9-b579-fe0b331d3e6d"), None);
    }

    /// Proves dynamic text keeps JSON (compacted, property order kept) and wraps anything else as a
    /// JSON string.
    #[test]
    fn dynamic_forms() {
        assert_eq!(
            parse_dynamic(r#"{ "b": 1, "a": [1, 2, "x y"] }"#),
            r#"{"b":1,"a":[1,2,"x y"]}"#
        );
        assert_eq!(parse_dynamic("42"), "42");
        assert_eq!(parse_dynamic(r#""text""#), r#""text""#);
        assert_eq!(parse_dynamic("hello world"), r#""hello world""#);
        assert_eq!(parse_dynamic(r#"{"a":1"#), r#""{\"a\":1""#);
        assert_eq!(parse_dynamic(r#"{"s":"a \" b"}"#), r#"{"s":"a \" b"}"#);
    }
}
