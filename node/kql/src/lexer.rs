//! The KQL lexer: text to tokens with byte spans, one token at a time, so the parser can stop
//! and read raw text where KQL is not tokenised (`datetime(...)`, `dynamic(...)`, the data after
//! `.ingest inline ... <|`).
//!
//! Owns: identifiers, string literals (plain, verbatim, multi-line, obfuscated), numbers, timespan
//! literals (`1h`, `1.5d`), punctuation, comments, and the raw balanced-parenthesis read.
//! Does not own: keywords (identifiers are only keywords where the parser says so), joining
//! hyphenated names (`project-away`), or concatenating adjacent string literals — both are the
//! parser's, because they depend on where the token appears.
//!
//! Lexing never fails: a malformed token becomes [`TokenKind::Error`] with its message, and the
//! parser reports it when (and if) it reaches it.

use crate::ast::Span;

const NANOS_PER_TICK: i64 = 100;
const NANOS_PER_MICROSECOND: i64 = 1_000;
const NANOS_PER_MILLISECOND: i64 = 1_000_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A plain identifier, including `$left` / `$right`. Bracket-quoted names (`['a b']`) are
    /// `[`, a string, `]` here; the parser turns them into names.
    Ident(String),
    /// One string literal, escapes decoded.
    String(String),
    Long(i64),
    Real(f64),
    /// A number with a unit suffix (`1h`, `1.5d`, `100ms`), in nanoseconds.
    TimeSpan(i64),
    /// Operators and punctuation: `==`, `|`, `(`, `<|`, `..`, and `!` / `~` (the parser joins them
    /// with adjacent identifiers into `!has`, `in~`).
    Punct(&'static str),
    Eof,
    /// A malformed token; the message says what is wrong with it.
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Longest first, so `==` wins over `=` and `<|` over `<`.
const PUNCTUATION: [&str; 32] = [
    "<|", "==", "!=", "<>", "<=", ">=", "=~", "!~", "..", "<", ">", "=", "+", "-", "*", "/", "%",
    "|", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "!", "~", "?", "#",
];

pub struct Lexer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, position: 0 }
    }

    /// Starts lexing at `position` (a byte offset on a character boundary).
    pub fn set_position(&mut self, position: usize) {
        self.position = position.min(self.text.len());
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.position..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_char_at(&self, skip: usize) -> Option<char> {
        self.rest().chars().nth(skip)
    }

    /// Skips whitespace and `//` comments.
    fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            if rest.starts_with("//") {
                let line_length = rest.find('\n').unwrap_or(rest.len());
                self.position += line_length;
            } else if let Some(character) = rest.chars().next().filter(|c| c.is_whitespace()) {
                self.position += character.len_utf8();
            } else {
                return;
            }
        }
    }

    pub fn next_token(&mut self) -> Token {
        self.skip_trivia();
        let start = self.position;
        let kind = self.lex_kind();
        Token {
            kind,
            span: Span::new(start, self.position),
        }
    }

    fn lex_kind(&mut self) -> TokenKind {
        let Some(first) = self.peek_char() else {
            return TokenKind::Eof;
        };
        let second = self.peek_char_at(1);
        if first == '\'' || first == '"' {
            return self.lex_quoted_string(first);
        }
        if first == '@' && matches!(second, Some('\'' | '"')) {
            self.position += 1;
            return self.lex_verbatim_string();
        }
        if self.rest().starts_with("```") {
            return self.lex_multiline_string();
        }
        if (first == 'h' || first == 'H') && matches!(second, Some('\'' | '"' | '@')) {
            // Obfuscated strings (h'secret') are plain strings that Kusto hides from its logs.
            let third = self.peek_char_at(2);
            if matches!(second, Some('\'' | '"')) {
                self.position += 1;
                return self.lex_quoted_string(second.unwrap_or('\''));
            }
            if matches!(third, Some('\'' | '"')) {
                self.position += 2;
                return self.lex_verbatim_string();
            }
        }
        if first.is_ascii_digit() || (first == '.' && second.is_some_and(|c| c.is_ascii_digit())) {
            return self.lex_number();
        }
        if is_identifier_start(first) {
            let length: usize = first.len_utf8()
                + self
                    .rest()
                    .chars()
                    .skip(1)
                    .take_while(|c| is_identifier_part(*c))
                    .map(char::len_utf8)
                    .sum::<usize>();
            let name = self.rest().get(..length).unwrap_or("").to_string();
            self.position += length;
            return TokenKind::Ident(name);
        }
        for punctuation in PUNCTUATION {
            if self.rest().starts_with(punctuation) {
                self.position += punctuation.len();
                return TokenKind::Punct(punctuation);
            }
        }
        self.position += first.len_utf8();
        TokenKind::Error(format!("unexpected character '{first}'"))
    }

    /// `'...'` or `"..."` with backslash escapes; may not cross a line end.
    fn lex_quoted_string(&mut self, quote: char) -> TokenKind {
        self.position += 1;
        let mut value = String::new();
        let mut characters = self.rest().char_indices();
        while let Some((index, character)) = characters.next() {
            if character == quote {
                self.position += index + 1;
                return TokenKind::String(value);
            }
            if character == '\n' {
                self.position += index;
                return TokenKind::Error("unterminated string literal".to_string());
            }
            if character != '\\' {
                value.push(character);
                continue;
            }
            let Some((escape_index, escape)) = characters.next() else {
                break;
            };
            let decoded = match escape {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '\\' => '\\',
                '\'' => '\'',
                '"' => '"',
                'u' => {
                    let hex: String = characters.clone().take(4).map(|(_, c)| c).collect();
                    let code = (hex.len() == 4 && hex.chars().all(|c| c.is_ascii_hexdigit()))
                        .then(|| u32::from_str_radix(&hex, 16).ok())
                        .flatten()
                        .and_then(char::from_u32);
                    let Some(decoded) = code else {
                        self.position += escape_index + 1;
                        return TokenKind::Error(format!(
                            "invalid unicode escape '\\u{hex}' in string literal (expected 4 hex digits)"
                        ));
                    };
                    for _ in 0..4 {
                        characters.next();
                    }
                    decoded
                }
                other => {
                    self.position += escape_index + other.len_utf8();
                    return TokenKind::Error(format!(
                        "unknown escape sequence '\\{other}' in string literal"
                    ));
                }
            };
            value.push(decoded);
        }
        self.position = self.text.len();
        TokenKind::Error("unterminated string literal".to_string())
    }

    /// `@'...'` / `@"..."`: no escapes except a doubled quote; may not cross a line end.
    fn lex_verbatim_string(&mut self) -> TokenKind {
        let Some(quote) = self.peek_char() else {
            return TokenKind::Error("unterminated string literal".to_string());
        };
        self.position += 1;
        let mut value = String::new();
        let mut characters = self.rest().char_indices().peekable();
        while let Some((index, character)) = characters.next() {
            if character == '\n' {
                self.position += index;
                return TokenKind::Error("unterminated string literal".to_string());
            }
            if character != quote {
                value.push(character);
                continue;
            }
            if characters.peek().is_some_and(|(_, next)| *next == quote) {
                characters.next();
                value.push(quote);
                continue;
            }
            self.position += index + 1;
            return TokenKind::String(value);
        }
        self.position = self.text.len();
        TokenKind::Error("unterminated string literal".to_string())
    }

    /// ```` ```...``` ````: raw, may span lines.
    fn lex_multiline_string(&mut self) -> TokenKind {
        self.position += 3;
        match self.rest().find("```") {
            Some(length) => {
                let value = self.rest().get(..length).unwrap_or("").to_string();
                self.position += length + 3;
                TokenKind::String(value)
            }
            None => {
                self.position = self.text.len();
                TokenKind::Error(
                    "unterminated multi-line string literal (missing closing ```)".to_string(),
                )
            }
        }
    }

    fn lex_number(&mut self) -> TokenKind {
        let start = self.position;
        let rest = self.rest();
        if rest.starts_with("0x") || rest.starts_with("0X") {
            let digits: usize = rest[2..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            let hex = &rest[2..2 + digits];
            self.position += 2 + digits;
            if digits == 0 || self.peek_char().is_some_and(is_identifier_part) {
                self.skip_identifier_part();
                return TokenKind::Error(format!(
                    "malformed hexadecimal literal '{}'",
                    self.since(start)
                ));
            }
            return match u64::from_str_radix(hex, 16) {
                // Kusto reads 0xFFFFFFFFFFFFFFFF as -1: hex literals are the bits of a long.
                Ok(value) => TokenKind::Long(value as i64),
                Err(_) => TokenKind::Error(format!(
                    "hexadecimal literal '0x{hex}' does not fit in a long"
                )),
            };
        }
        let mut is_real = false;
        self.skip_digits();
        if self.peek_char() == Some('.') && self.peek_char_at(1).is_some_and(|c| c.is_ascii_digit())
        {
            is_real = true;
            self.position += 1;
            self.skip_digits();
        }
        let exponent_follows = matches!(self.peek_char(), Some('e' | 'E'))
            && match self.peek_char_at(1) {
                Some(c) if c.is_ascii_digit() => true,
                Some('+' | '-') => self.peek_char_at(2).is_some_and(|c| c.is_ascii_digit()),
                _ => false,
            };
        if exponent_follows {
            is_real = true;
            self.position += 2;
            self.skip_digits();
        }
        let number_text = self.since(start).to_string();
        if self.peek_char().is_some_and(is_identifier_start) {
            let unit_start = self.position;
            self.skip_identifier_part();
            let unit = self.since(unit_start);
            return match timespan_unit_nanos(unit) {
                Some(unit_nanos) => match scale_to_nanos(&number_text, unit_nanos) {
                    Some(nanos) => TokenKind::TimeSpan(nanos),
                    None => TokenKind::Error(format!(
                        "timespan literal '{}' is out of range",
                        self.since(start)
                    )),
                },
                None => TokenKind::Error(format!(
                    "unknown timespan unit '{unit}' in literal '{}'",
                    self.since(start)
                )),
            };
        }
        if is_real {
            return match number_text.parse::<f64>() {
                Ok(value) if value.is_finite() => TokenKind::Real(value),
                _ => TokenKind::Error(format!("real literal '{number_text}' is out of range")),
            };
        }
        match number_text.parse::<i64>() {
            Ok(value) => TokenKind::Long(value),
            Err(_) => TokenKind::Error(format!(
                "integer literal '{number_text}' does not fit in a long"
            )),
        }
    }

    fn skip_digits(&mut self) {
        let digits = self
            .rest()
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .count();
        self.position += digits;
    }

    fn skip_identifier_part(&mut self) {
        let length: usize = self
            .rest()
            .chars()
            .take_while(|c| is_identifier_part(*c))
            .map(char::len_utf8)
            .sum();
        self.position += length;
    }

    fn since(&self, start: usize) -> &'a str {
        self.text.get(start..self.position).unwrap_or("")
    }

    /// From just after an opening `(` at `start`, the byte offset of the matching `)`, skipping
    /// nested parentheses and string literals (which may contain parentheses). `None` when the
    /// text ends first.
    pub fn find_closing_parenthesis(&self, start: usize) -> Option<usize> {
        let body = self.text.get(start..)?;
        let mut depth: usize = 1;
        let mut characters = body.char_indices();
        while let Some((index, character)) = characters.next() {
            match character {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(start + index);
                    }
                }
                '\'' | '"' => {
                    let quote = character;
                    loop {
                        match characters.next() {
                            None => return None,
                            Some((_, '\\')) => {
                                characters.next();
                            }
                            Some((_, c)) if c == quote => break,
                            Some(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }
}

pub fn is_identifier_start(character: char) -> bool {
    character.is_alphabetic() || character == '_' || character == '$'
}

pub fn is_identifier_part(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// Nanoseconds in one unit of a timespan suffix (`h`, `ms`, `minutes`, ...), as Kusto spells them.
pub fn timespan_unit_nanos(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => NANOS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => NANOS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => NANOS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => NANOS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => NANOS_PER_MILLISECOND,
        "microsecond" | "microseconds" | "micro" | "micros" => NANOS_PER_MICROSECOND,
        "tick" | "ticks" => NANOS_PER_TICK,
        _ => return None,
    })
}

/// `number_text` (digits, optional fraction and exponent) times `unit_nanos`, rounded to the
/// nearest nanosecond; `None` when it does not fit in an i64.
pub fn scale_to_nanos(number_text: &str, unit_nanos: i64) -> Option<i64> {
    if let Ok(whole) = number_text.parse::<i64>() {
        return whole.checked_mul(unit_nanos);
    }
    let value: f64 = number_text.parse().ok()?;
    let nanos = (value * unit_nanos as f64).round();
    // i64::MAX is not representable as f64; compare against the largest f64 below 2^63.
    (nanos.is_finite() && nanos.abs() < 9.223_372_036_854_775e18).then_some(nanos as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let mut lexer = Lexer::new(text);
        let mut kinds = Vec::new();
        loop {
            let token = lexer.next_token();
            if token.kind == TokenKind::Eof {
                return kinds;
            }
            kinds.push(token.kind);
        }
    }

    fn ident(name: &str) -> TokenKind {
        TokenKind::Ident(name.to_string())
    }

    fn string(value: &str) -> TokenKind {
        TokenKind::String(value.to_string())
    }

    // Proves the string forms decode as Kusto documents: escapes, verbatim with doubled quotes,
    // multi-line raw text, and obfuscated h'..' strings.
    #[test]
    fn strings_decode() {
        assert_eq!(
            kinds(r#"'a\'b' "c\"d\\" 'x\ty\n' '\u00e9'"#),
            vec![
                string("a'b"),
                string("c\"d\\"),
                string("x\ty\n"),
                string("é")
            ]
        );
        assert_eq!(
            kinds(r#"@'C:\dir' @"say ""hi""""#),
            vec![string(r"C:\dir"), string("say \"hi\"")]
        );
        assert_eq!(kinds("```line1\nline'2```"), vec![string("line1\nline'2")]);
        assert_eq!(
            kinds(r#"h'secret' H"x" h@'a\b'"#),
            vec![string("secret"), string("x"), string(r"a\b")]
        );
    }

    // Proves malformed strings become error tokens instead of panics or silent truncation.
    #[test]
    fn bad_strings_are_error_tokens() {
        assert!(
            matches!(kinds("'abc").as_slice(), [TokenKind::Error(m)] if m == "unterminated string literal")
        );
        assert!(matches!(kinds("'a\nb'").first(), Some(TokenKind::Error(_))));
        assert!(matches!(kinds(r"'\q'").first(), Some(TokenKind::Error(m)) if m.contains("\\q")));
        assert!(matches!(
            kinds(r"'\u12'").first(),
            Some(TokenKind::Error(_))
        ));
        assert!(matches!(kinds("```abc").first(), Some(TokenKind::Error(_))));
    }

    // Proves number forms: integers, reals with fraction/exponent, leading dot, hex.
    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1 1.5 .5 1e3 1.5e-3 0x1F 0xFFFFFFFFFFFFFFFF"),
            vec![
                TokenKind::Long(1),
                TokenKind::Real(1.5),
                TokenKind::Real(0.5),
                TokenKind::Real(1000.0),
                TokenKind::Real(0.0015),
                TokenKind::Long(31),
                TokenKind::Long(-1)
            ]
        );
        assert!(matches!(
            kinds("99999999999999999999").first(),
            Some(TokenKind::Error(_))
        ));
        assert!(matches!(kinds("1x").first(), Some(TokenKind::Error(m)) if m.contains("'x'")));
    }

    // Proves timespan suffixes scale to nanoseconds (Kusto: 1 tick = 100ns, `m` = minute).
    #[test]
    fn timespans() {
        assert_eq!(
            kinds("1h 1.5d 30m 100ms 2s 3tick 5microseconds 1min 2sec 1days"),
            vec![
                TokenKind::TimeSpan(3_600_000_000_000),
                TokenKind::TimeSpan(129_600_000_000_000),
                TokenKind::TimeSpan(1_800_000_000_000),
                TokenKind::TimeSpan(100_000_000),
                TokenKind::TimeSpan(2_000_000_000),
                TokenKind::TimeSpan(300),
                TokenKind::TimeSpan(5_000),
                TokenKind::TimeSpan(60_000_000_000),
                TokenKind::TimeSpan(2_000_000_000),
                TokenKind::TimeSpan(86_400_000_000_000)
            ]
        );
    }

    // Proves punctuation is longest-match and `..` is not swallowed by a number.
    #[test]
    fn punctuation_and_ranges() {
        assert_eq!(
            kinds("1..5 <| == =~ !~ != <> $left.x"),
            vec![
                TokenKind::Long(1),
                TokenKind::Punct(".."),
                TokenKind::Long(5),
                TokenKind::Punct("<|"),
                TokenKind::Punct("=="),
                TokenKind::Punct("=~"),
                TokenKind::Punct("!~"),
                TokenKind::Punct("!="),
                TokenKind::Punct("<>"),
                ident("$left"),
                TokenKind::Punct("."),
                ident("x")
            ]
        );
        assert_eq!(
            kinds("a // comment | b\n| c"),
            vec![ident("a"), TokenKind::Punct("|"), ident("c")]
        );
    }

    // Proves the raw read finds the matching parenthesis past nested ones and ones inside strings.
    #[test]
    fn raw_parenthesized_read() {
        let text = r#"dynamic({"a": "(", "b": [1, (2)]}) | x"#;
        let lexer = Lexer::new(text);
        let close = lexer.find_closing_parenthesis(8);
        assert_eq!(close, Some(33));
        assert_eq!(&text[8..33], r#"{"a": "(", "b": [1, (2)]}"#);
        assert_eq!(
            Lexer::new("dynamic([1,2]").find_closing_parenthesis(8),
            None
        );
    }
}
