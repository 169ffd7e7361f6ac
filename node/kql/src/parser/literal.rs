//! Typed literals: `datetime(...)`, `timespan(...)`, `guid(...)`, `dynamic(...)`, `long(5)`,
//! `real(nan)`, `bool(null)`, ... The text between the parentheses is read raw (it is not KQL:
//! `datetime(2024-01-01 10:00)` would not tokenise), then interpreted here.

use super::Parser;
use crate::Result;
use crate::ast::{Expr, ExprKind, Literal, Span};
use crate::lexer::{scale_to_nanos, timespan_unit_nanos};

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// Names that, followed by `(`, start a typed literal.
pub(crate) fn is_typed_literal_name(word: &str) -> bool {
    matches!(
        word,
        "datetime"
            | "date"
            | "timespan"
            | "time"
            | "guid"
            | "uuid"
            | "uniqueid"
            | "dynamic"
            | "long"
            | "int64"
            | "int"
            | "int32"
            | "real"
            | "double"
            | "decimal"
            | "bool"
            | "boolean"
    )
}

impl Parser<'_> {
    /// At `word (` with `word` a typed-literal name: reads the raw contents and interprets them.
    pub(crate) fn parse_typed_literal(&mut self, word: String, start: Span) -> Result<Expr> {
        self.bump();
        let open = self.bump().span;
        let raw_start = open.end as usize;
        let Some(close) = self.lexer.find_closing_parenthesis(raw_start) else {
            return Err(self.error_at(
                open,
                format!("expected ')' to close '{word}(', found end of input"),
            ));
        };
        let raw = self.text.get(raw_start..close).unwrap_or("");
        let raw_span = Span::new(raw_start, close);
        let span = start.to(Span::new(close, close + 1));
        self.reposition(close + 1);
        self.previous = Span::new(close, close + 1);
        let trimmed = raw.trim();
        let is_null = trimmed == "null";
        let literal = match word.as_str() {
            "datetime" | "date" => {
                if trimmed.is_empty() {
                    return Err(self.error_at(
                        raw_span,
                        "expected a date and time inside 'datetime(...)', found ')'",
                    ));
                }
                Literal::DateTime((!is_null).then(|| trimmed.to_string()))
            }
            "guid" | "uuid" | "uniqueid" => {
                if trimmed.is_empty() {
                    return Err(
                        self.error_at(raw_span, "expected a guid inside 'guid(...)', found ')'")
                    );
                }
                Literal::Guid((!is_null).then(|| trimmed.to_string()))
            }
            "dynamic" => {
                if trimmed.is_empty() {
                    return Err(self.error_at(
                        raw_span,
                        "expected a value inside 'dynamic(...)', found ')'",
                    ));
                }
                Literal::Dynamic(trimmed.to_string())
            }
            "timespan" | "time" => {
                match is_null {
                    true => Literal::TimeSpan(None),
                    false => Literal::TimeSpan(Some(timespan_text_to_nanos(trimmed).ok_or_else(
                        || self.bad_contents(raw_span, "a timespan", &word, trimmed),
                    )?)),
                }
            }
            "long" | "int64" => match is_null {
                true => Literal::Long(None),
                false => {
                    Literal::Long(Some(parse_integer(trimmed).ok_or_else(|| {
                        self.bad_contents(raw_span, "a long", &word, trimmed)
                    })?))
                }
            },
            "int" | "int32" => match is_null {
                true => Literal::Int(None),
                false => Literal::Int(Some(
                    parse_integer(trimmed)
                        .and_then(|value| i32::try_from(value).ok())
                        .ok_or_else(|| self.bad_contents(raw_span, "an int", &word, trimmed))?,
                )),
            },
            "real" | "double" => match is_null {
                true => Literal::Real(None),
                false => {
                    Literal::Real(Some(parse_real(trimmed).ok_or_else(|| {
                        self.bad_contents(raw_span, "a real", &word, trimmed)
                    })?))
                }
            },
            "decimal" => match is_null {
                true => Literal::Decimal(None),
                false if is_decimal_text(trimmed) => Literal::Decimal(Some(trimmed.to_string())),
                false => return Err(self.bad_contents(raw_span, "a decimal", &word, trimmed)),
            },
            "bool" | "boolean" => match trimmed.to_ascii_lowercase().as_str() {
                "null" => Literal::Bool(None),
                "true" => Literal::Bool(Some(true)),
                "false" => Literal::Bool(Some(false)),
                _ => {
                    return Err(self.bad_contents(
                        raw_span,
                        "'true', 'false' or 'null'",
                        &word,
                        trimmed,
                    ));
                }
            },
            _ => return Err(self.error_at(start, format!("'{word}' is not a typed literal"))),
        };
        Ok(Expr {
            kind: ExprKind::Literal(literal),
            span,
        })
    }

    fn bad_contents(
        &self,
        span: Span,
        expected: &str,
        word: &str,
        found: &str,
    ) -> crate::Diagnostic {
        let found = if found.is_empty() {
            "')'".to_string()
        } else {
            format!("'{found}'")
        };
        self.error_at(
            span,
            format!("expected {expected} literal inside '{word}(...)', found {found}"),
        )
    }
}

/// `5`, `-1`, `+3`, `0x1F`.
fn parse_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text.strip_prefix('+').unwrap_or(text).trim_start()),
    };
    let magnitude: i128 = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i128::from(u64::from_str_radix(hex, 16).ok()? as i64)
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A real number, `nan`, `inf`, `+inf`, `-inf`.
fn parse_real(text: &str) -> Option<f64> {
    match text {
        "nan" | "NaN" => return Some(f64::NAN),
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    // Rust accepts "infinity" and "nan" spellings Kusto does not; require a digit first.
    let starts_with_digit = body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !starts_with_digit {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

fn is_decimal_text(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.') && body.parse::<f64>().is_ok()
}

/// The contents of `timespan(...)`: `[-][d.]hh:mm[:ss[.fffffff]]`, a number with a unit (`2d`,
/// `15 seconds`, `1.5h`), or a plain number of days.
pub(crate) fn timespan_text_to_nanos(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let nanos = if body.contains(':') {
        clock_text_to_nanos(body)?
    } else {
        number_with_unit_to_nanos(body)?
    };
    if negative {
        nanos.checked_neg()
    } else {
        Some(nanos)
    }
}

fn number_with_unit_to_nanos(text: &str) -> Option<i64> {
    let number_length = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_length);
    if number.is_empty() || number.starts_with('.') && number.len() == 1 {
        return None;
    }
    let unit = unit.trim();
    let unit_nanos = if unit.is_empty() {
        NANOS_PER_DAY
    } else {
        timespan_unit_nanos(unit)?
    };
    scale_to_nanos(number, unit_nanos)
}

/// `[d.]hh:mm[:ss[.fraction]]`
fn clock_text_to_nanos(text: &str) -> Option<i64> {
    let mut fields = text.split(':');
    let days_and_hours = fields.next()?;
    let minutes = fields.next()?;
    let seconds = fields.next();
    if fields.next().is_some() {
        return None;
    }
    let (days, hours) = match days_and_hours.split_once('.') {
        Some((days, hours)) => (parse_digits(days)?, parse_digits(hours)?),
        None => (0, parse_digits(days_and_hours)?),
    };
    let minutes = parse_digits(minutes)?;
    if hours >= 24 || minutes >= 60 {
        return None;
    }
    let (whole_seconds, fraction_nanos) = match seconds {
        None => (0, 0),
        Some(seconds) => match seconds.split_once('.') {
            None => (parse_digits(seconds)?, 0),
            Some((whole, fraction)) => (parse_digits(whole)?, fraction_to_nanos(fraction)?),
        },
    };
    if whole_seconds >= 60 {
        return None;
    }
    let seconds_total = days
        .checked_mul(86_400)?
        .checked_add(hours * 3_600 + minutes * 60 + whole_seconds)?;
    seconds_total
        .checked_mul(NANOS_PER_SECOND)?
        .checked_add(fraction_nanos)
}

fn parse_digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `.5` → 500_000_000; at most 9 digits (nanosecond precision; Kusto itself keeps 7, ticks).
fn fraction_to_nanos(fraction: &str) -> Option<i64> {
    if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = fraction.parse().ok()?;
    Some(value * 10_i64.pow(9 - fraction.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the timespan(...) text forms Kusto documents: d.hh:mm:ss.f, hh:mm:ss, hh:mm, unit
    // suffixes with and without space, plain days, negative values; and rejects malformed text.
    #[test]
    fn timespan_contents() {
        let second = NANOS_PER_SECOND;
        assert_eq!(
            timespan_text_to_nanos("1.02:03:04.5"),
            Some(86_400 * second + 7_384 * second + second / 2)
        );
        assert_eq!(timespan_text_to_nanos("02:03:04"), Some(7_384 * second));
        assert_eq!(timespan_text_to_nanos("00:30"), Some(1_800 * second));
        assert_eq!(timespan_text_to_nanos("2d"), Some(2 * NANOS_PER_DAY));
        assert_eq!(timespan_text_to_nanos("15 seconds"), Some(15 * second));
        assert_eq!(timespan_text_to_nanos("3"), Some(3 * NANOS_PER_DAY));
        assert_eq!(timespan_text_to_nanos("1.5h"), Some(5_400 * second));
        assert_eq!(timespan_text_to_nanos("-00:00:01"), Some(-second));
        assert_eq!(timespan_text_to_nanos("0.00:00:00.0000001"), Some(100));
        assert_eq!(timespan_text_to_nanos("25:00:00"), None);
        assert_eq!(timespan_text_to_nanos("abc"), None);
        assert_eq!(timespan_text_to_nanos("1 fortnight"), None);
        assert_eq!(timespan_text_to_nanos(""), None);
    }

    // Proves integer and real contents: signs, hex, nan/inf spellings, and rejection of names.
    #[test]
    fn number_contents() {
        assert_eq!(parse_integer("-1"), Some(-1));
        assert_eq!(parse_integer("+7"), Some(7));
        assert_eq!(parse_integer("0x10"), Some(16));
        assert_eq!(parse_integer("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_integer("x"), None);
        assert_eq!(parse_integer("1.5"), None);
        assert!(parse_real("nan").is_some_and(f64::is_nan));
        assert_eq!(parse_real("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_real("+inf"), Some(f64::INFINITY));
        assert_eq!(parse_real("1.5e3"), Some(1500.0));
        assert_eq!(parse_real("infinity"), None);
        assert_eq!(parse_real("x"), None);
        assert!(is_decimal_text("-1.25"));
        assert!(!is_decimal_text("abc"));
    }
}
