//! Ingestion mappings: which part of each record feeds which table column.
//!
//! Owns: reading the mapping JSON Kusto accepts (both the flat `[{"column","path","datatype"}]`
//! form and the `[{"Column","Properties":{"Path"|"Ordinal"|"Field"|"ConstValue"|"Transform"}}]`
//! form, keys in any case), JSON paths (`$.a.b`, `$['x']`, `$.arr[0]`), and resolving a mapping
//! against a table schema into one source per column.
//!
//! Does not own: storing mappings (`.create table T ingestion json mapping` is the catalog's) or
//! evaluating paths (`json_scan`).

use serde_json::{Map, Value};
use tarn_common::{Column, KustoType};

use super::DataFormat;
use super::error::{FormatError, Result};

/// Longest JSON path accepted in a mapping, in steps; deeper paths are surely not real data.
const PATH_STEPS_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestionMapping {
    pub columns: Vec<MappingColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingColumn {
    pub column: String,
    pub source: MappingSource,
    /// The type the mapping declares; informational (the table's type decides the conversion).
    pub datatype: Option<KustoType>,
    pub transform: Option<Transform>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingSource {
    /// A JSON path (JSON formats) or, with a single field step, a column name (Parquet).
    Path(JsonPath),
    /// A field position (CSV-like formats).
    Ordinal(usize),
    /// The same text for every row, read as the column's type.
    Constant(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub text: String,
    /// Empty for `$`, the whole record.
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Field(String),
    Index(usize),
}

/// The mapping transforms Tarn applies; Kusto's others are refused rather than silently skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    DateTimeFromUnixSeconds,
    DateTimeFromUnixMilliseconds,
    DateTimeFromUnixMicroseconds,
    DateTimeFromUnixNanoseconds,
}

impl Transform {
    /// Nanoseconds per unit of the epoch count the transform reads.
    pub fn unit_nanos(self) -> i64 {
        match self {
            Transform::DateTimeFromUnixSeconds => 1_000_000_000,
            Transform::DateTimeFromUnixMilliseconds => 1_000_000,
            Transform::DateTimeFromUnixMicroseconds => 1_000,
            Transform::DateTimeFromUnixNanoseconds => 1,
        }
    }

    fn parse(name: &str) -> Option<Transform> {
        Some(match name.to_ascii_lowercase().as_str() {
            "datetimefromunixseconds" => Transform::DateTimeFromUnixSeconds,
            "datetimefromunixmilliseconds" => Transform::DateTimeFromUnixMilliseconds,
            "datetimefromunixmicroseconds" => Transform::DateTimeFromUnixMicroseconds,
            "datetimefromunixnanoseconds" => Transform::DateTimeFromUnixNanoseconds,
            _ => return None,
        })
    }
}

impl JsonPath {
    /// Parses `$`, `$.a.b`, `$['x']`, `$["x y"]`, `$.arr[0]` and combinations. Wildcards, negative
    /// indexes and filters are refused.
    pub fn parse(text: &str) -> std::result::Result<JsonPath, &'static str> {
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err("a path starts with '$'");
        }
        let mut steps = Vec::new();
        let mut position = 1;
        while position < bytes.len() {
            if steps.len() >= PATH_STEPS_MAX {
                return Err("the path has too many steps");
            }
            match bytes.get(position) {
                Some(b'.') => {
                    let start = position + 1;
                    let mut end = start;
                    while let Some(byte) = bytes.get(end) {
                        if *byte == b'.' || *byte == b'[' {
                            break;
                        }
                        end += 1;
                    }
                    let name = text.get(start..end).ok_or("the path is not valid text")?;
                    if name.is_empty() {
                        return Err("a '.' must be followed by a property name");
                    }
                    if name == "*" {
                        return Err("wildcards are not supported");
                    }
                    steps.push(PathStep::Field(name.to_owned()));
                    position = end;
                }
                Some(b'[') => {
                    let (step, next) = parse_bracket(text, position)?;
                    steps.push(step);
                    position = next;
                }
                _ => return Err("expected '.' or '[' after a step"),
            }
        }
        Ok(JsonPath {
            text: text.to_owned(),
            steps,
        })
    }

    /// A path naming one top-level property, as `$.name` or `$['name']`.
    pub fn top_level_name(&self) -> Option<&str> {
        match self.steps.as_slice() {
            [PathStep::Field(name)] => Some(name),
            _ => None,
        }
    }
}

/// Reads `['name']`, `["name"]` or `[index]` starting at the `[`; returns the step and the position
/// after the `]`.
fn parse_bracket(text: &str, open: usize) -> std::result::Result<(PathStep, usize), &'static str> {
    let bytes = text.as_bytes();
    let first = *bytes.get(open + 1).ok_or("unterminated '['")?;
    if first == b'\'' || first == b'"' {
        let name_start = open + 2;
        let mut name = String::new();
        let mut position = name_start;
        loop {
            let byte = *bytes.get(position).ok_or("unterminated quoted name")?;
            if byte == b'\\' {
                // A backslash quotes the next character (e.g. a quote inside the name).
                let escaped = text
                    .get(position + 1..)
                    .and_then(|rest| rest.chars().next())
                    .ok_or("unterminated quoted name")?;
                name.push(escaped);
                position += 1 + escaped.len_utf8();
                continue;
            }
            if byte == first {
                break;
            }
            let character = text
                .get(position..)
                .and_then(|rest| rest.chars().next())
                .ok_or("the path is not valid text")?;
            name.push(character);
            position += character.len_utf8();
        }
        if bytes.get(position + 1) != Some(&b']') {
            return Err("expected ']' after a quoted name");
        }
        return Ok((PathStep::Field(name), position + 2));
    }
    let close = text
        .get(open..)
        .and_then(|rest| rest.find(']'))
        .map(|offset| open + offset)
        .ok_or("unterminated '['")?;
    let inside = text
        .get(open + 1..close)
        .ok_or("the path is not valid text")?;
    if inside == "*" {
        return Err("wildcards are not supported");
    }
    let index = inside
        .trim()
        .parse::<usize>()
        .map_err(|_| "an index must be a non-negative integer")?;
    Ok((PathStep::Index(index), close + 1))
}

/// Looks a key up in a JSON object ignoring case, as Kusto reads mapping properties.
fn get_ignore_case<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, value)| value)
}

/// A mapping property's text; Kusto writes some numbers (`Ordinal`) as strings and some as numbers.
fn property_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn invalid(reason: impl Into<String>) -> FormatError {
    FormatError::InvalidMapping {
        reason: reason.into(),
    }
}

impl IngestionMapping {
    /// Reads a mapping in either of Kusto's JSON forms.
    pub fn parse(text: &str) -> Result<IngestionMapping> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| invalid(format!("not JSON: {error}")))?;
        let Value::Array(entries) = value else {
            return Err(invalid("a mapping is a JSON array of column entries"));
        };
        let mut columns = Vec::with_capacity(entries.len());
        for (entry_index, entry) in entries.iter().enumerate() {
            let Value::Object(object) = entry else {
                return Err(invalid(format!("entry {entry_index} is not a JSON object")));
            };
            columns.push(parse_entry(entry_index, object)?);
        }
        Ok(IngestionMapping { columns })
    }
}

fn parse_entry(entry_index: usize, object: &Map<String, Value>) -> Result<MappingColumn> {
    let column = get_ignore_case(object, "column")
        .or_else(|| get_ignore_case(object, "name"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("entry {entry_index} has no \"column\"")))?
        .to_owned();
    let properties = match get_ignore_case(object, "properties") {
        Some(Value::Object(properties)) => Some(properties),
        Some(Value::Null) | None => None,
        Some(_) => {
            return Err(invalid(format!(
                "entry {entry_index}: \"Properties\" is not an object"
            )));
        }
    };
    // Flat keys and Properties keys mean the same; Properties wins when both are present.
    let lookup = |key: &str| -> Option<String> {
        properties
            .and_then(|properties| get_ignore_case(properties, key))
            .or_else(|| get_ignore_case(object, key))
            .and_then(property_text)
    };
    let datatype =
        match get_ignore_case(object, "datatype").and_then(Value::as_str) {
            None | Some("") => None,
            Some(name) => Some(KustoType::parse(name).ok_or_else(|| {
                invalid(format!("entry {entry_index}: unknown datatype '{name}'"))
            })?),
        };
    let transform = match lookup("transform") {
        None => None,
        Some(name) if name.is_empty() || name.eq_ignore_ascii_case("none") => None,
        Some(name) => Some(Transform::parse(&name).ok_or_else(|| {
            invalid(format!(
                "entry {entry_index}: transform '{name}' is not supported"
            ))
        })?),
    };
    let source = if let Some(path_text) = lookup("path") {
        let path =
            JsonPath::parse(&path_text).map_err(|reason| FormatError::InvalidMappingPath {
                entry_index,
                path: path_text.clone(),
                reason,
            })?;
        MappingSource::Path(path)
    } else if let Some(field) = lookup("field") {
        MappingSource::Path(JsonPath {
            text: format!("$['{field}']"),
            steps: vec![PathStep::Field(field)],
        })
    } else if let Some(ordinal_text) = lookup("ordinal") {
        let ordinal = ordinal_text.trim().parse::<usize>().map_err(|_| {
            invalid(format!(
                "entry {entry_index}: ordinal '{ordinal_text}' is not a non-negative integer"
            ))
        })?;
        MappingSource::Ordinal(ordinal)
    } else if let Some(constant) = lookup("constvalue") {
        MappingSource::Constant(constant)
    } else {
        return Err(FormatError::MappingColumnWithoutSource { column });
    };
    Ok(MappingColumn {
        column,
        source,
        datatype,
        transform,
    })
}

/// Where one table column's values come from in a given format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnSource {
    Ordinal(usize),
    Path(Vec<PathStep>),
    /// A top-level property (JSON) or a file column (Parquet) of this exact name.
    Name(String),
    Constant(String),
    /// Not mapped: always null.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedColumn {
    pub source: ColumnSource,
    pub transform: Option<Transform>,
}

/// One source per table column, in schema order.
pub(crate) fn resolve_sources(
    schema: &[Column],
    mapping: Option<&IngestionMapping>,
    format: DataFormat,
) -> Result<Vec<ResolvedColumn>> {
    let Some(mapping) = mapping else {
        let resolved = schema
            .iter()
            .enumerate()
            .map(|(index, column)| ResolvedColumn {
                source: if format.is_json() || format == DataFormat::Parquet {
                    ColumnSource::Name(column.name.clone())
                } else {
                    ColumnSource::Ordinal(index)
                },
                transform: None,
            })
            .collect();
        return Ok(resolved);
    };
    let mut resolved = vec![
        ResolvedColumn {
            source: ColumnSource::Missing,
            transform: None
        };
        schema.len()
    ];
    for mapping_column in &mapping.columns {
        let column_index = schema
            .iter()
            .position(|column| column.name == mapping_column.column)
            .ok_or_else(|| FormatError::MappingColumnUnknown {
                column: mapping_column.column.clone(),
            })?;
        let source = match (&mapping_column.source, format) {
            (MappingSource::Constant(text), _) => ColumnSource::Constant(text.clone()),
            (MappingSource::Path(path), format) if format.is_json() => {
                ColumnSource::Path(path.steps.clone())
            }
            (MappingSource::Path(path), DataFormat::Parquet) => match path.top_level_name() {
                Some(name) => ColumnSource::Name(name.to_owned()),
                None => {
                    return Err(invalid(format!(
                        "column '{}': a Parquet mapping names a top-level column, not '{}'",
                        mapping_column.column, path.text
                    )));
                }
            },
            (MappingSource::Ordinal(ordinal), format)
                if !format.is_json() && format != DataFormat::Parquet =>
            {
                ColumnSource::Ordinal(*ordinal)
            }
            (_, format) => {
                return Err(invalid(format!(
                    "column '{}': a {} mapping needs {}",
                    mapping_column.column,
                    format.name(),
                    if format.is_json() || format == DataFormat::Parquet {
                        "a Path"
                    } else {
                        "an Ordinal"
                    }
                )));
            }
        };
        if let Some(slot) = resolved.get_mut(column_index) {
            *slot = ResolvedColumn {
                source,
                transform: mapping_column.transform,
            };
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves both of Kusto's mapping forms read to the same mapping, keys in any case.
    #[test]
    fn both_mapping_forms() -> Result<()> {
        let flat = IngestionMapping::parse(r#"[{"column":"a","path":"$.a","datatype":"long"}]"#)?;
        let nested = IngestionMapping::parse(
            r#"[{"Column":"a","DataType":"long","Properties":{"Path":"$.a"}}]"#,
        )?;
        assert_eq!(flat, nested);
        let expected = MappingColumn {
            column: "a".into(),
            source: MappingSource::Path(JsonPath {
                text: "$.a".into(),
                steps: vec![PathStep::Field("a".into())],
            }),
            datatype: Some(KustoType::Long),
            transform: None,
        };
        assert_eq!(flat.columns, vec![expected]);
        let csv = IngestionMapping::parse(
            r#"[{"Column":"x","Properties":{"Ordinal":"2"}},{"column":"y","Properties":{"ConstValue":"7"}}]"#,
        )?;
        assert_eq!(
            csv.columns
                .iter()
                .map(|column| column.source.clone())
                .collect::<Vec<_>>(),
            vec![
                MappingSource::Ordinal(2),
                MappingSource::Constant("7".into())
            ]
        );
        Ok(())
    }

    /// Proves the path forms Kusto documents parse into steps and the unsupported ones are refused.
    #[test]
    fn path_forms() {
        let field = |name: &str| PathStep::Field(name.to_owned());
        assert_eq!(JsonPath::parse("$").map(|path| path.steps), Ok(vec![]));
        assert_eq!(
            JsonPath::parse("$.a.b").map(|path| path.steps),
            Ok(vec![field("a"), field("b")])
        );
        assert_eq!(
            JsonPath::parse("$['x y']").map(|path| path.steps),
            Ok(vec![field("x y")])
        );
        assert_eq!(
            JsonPath::parse("$[\"q\"].arr[10]").map(|path| path.steps),
            Ok(vec![field("q"), field("arr"), PathStep::Index(10)])
        );
        assert_eq!(
            JsonPath::parse(r"$['it\'s']").map(|path| path.steps),
            Ok(vec![field("it's")])
        );
        assert!(JsonPath::parse("a.b").is_err());
        assert!(JsonPath::parse("$.arr[*]").is_err());
        assert!(JsonPath::parse("$.arr[-1]").is_err());
        assert!(JsonPath::parse("$.").is_err());
        assert!(JsonPath::parse("$['open").is_err());
    }

    /// Proves mapping errors name their cause: unknown columns, missing sources, unsupported transforms.
    #[test]
    fn mapping_errors() {
        assert!(matches!(
            IngestionMapping::parse(r#"[{"column":"a"}]"#),
            Err(FormatError::MappingColumnWithoutSource { .. })
        ));
        assert!(matches!(
            IngestionMapping::parse(
                r#"[{"column":"a","path":"$.a","transform":"SourceLineNumber"}]"#
            ),
            Err(FormatError::InvalidMapping { .. })
        ));
        assert!(matches!(
            IngestionMapping::parse(r#"{"column":"a"}"#),
            Err(FormatError::InvalidMapping { .. })
        ));
        let schema = [Column::new("a", KustoType::Long)];
        let mapping = IngestionMapping::parse(r#"[{"column":"b","path":"$.b"}]"#);
        let resolved =
            mapping.and_then(|mapping| resolve_sources(&schema, Some(&mapping), DataFormat::Json));
        assert!(matches!(
            resolved,
            Err(FormatError::MappingColumnUnknown { .. })
        ));
    }
}
