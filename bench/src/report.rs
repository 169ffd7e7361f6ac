//! Writing reports: pretty JSON files (read by the answer checker and the plots).

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// Writes `report` as pretty JSON to `path`, creating its directory.
pub fn write_json(path: &Path, report: &impl Serialize) -> Result<()> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| Error::io(parent, source))?;
    }
    let mut text = serde_json::to_string_pretty(report).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        what: "the report",
        source,
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|source| Error::io(path, source))
}

/// Rounds to `decimals` places for reports (figures to three decimals are plenty and keep the
/// files readable).
pub fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
