//! `tarnd`'s configuration: embedded defaults, a TOML file (`--config`), then flags, each
//! overriding the one before.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub http_addr: String,
    pub node_id: u64,
    /// How often the background merge and retention pass runs.
    pub maintenance_interval_ms: u64,
    /// Memory for decoded columns of hot extents, in MiB; `None`: a quarter of the machine's
    /// memory (or of a lower cgroup limit); 0 turns the cache off.
    pub column_cache_mb: Option<u64>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./tarn-data"),
            http_addr: "127.0.0.1:8080".to_string(),
            node_id: 1,
            maintenance_interval_ms: 5_000,
            column_cache_mb: None,
        }
    }
}

/// The TOML file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub data_dir: Option<PathBuf>,
    pub http_addr: Option<String>,
    pub node_id: Option<u64>,
    pub maintenance_interval_ms: Option<u64>,
    pub column_cache_mb: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
}

impl Config {
    /// The column cache's capacity in bytes.
    pub fn column_cache_bytes(&self) -> usize {
        match self.column_cache_mb {
            Some(megabytes) => usize::try_from(megabytes).unwrap_or(usize::MAX).saturating_mul(1 << 20),
            None => tarn_storage::StoreOptions::default().column_cache_bytes,
        }
    }

    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let file: ConfigFile = toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_path_buf(), source })?;
        if let Some(data_dir) = file.data_dir {
            self.data_dir = data_dir;
        }
        if let Some(http_addr) = file.http_addr {
            self.http_addr = http_addr;
        }
        if let Some(node_id) = file.node_id {
            self.node_id = node_id;
        }
        if let Some(interval) = file.maintenance_interval_ms {
            self.maintenance_interval_ms = interval;
        }
        if let Some(megabytes) = file.column_cache_mb {
            self.column_cache_mb = Some(megabytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves a TOML file overrides the defaults it names and leaves the others, and that an
    /// unknown key is an error rather than silently ignored.
    #[test]
    fn file_overrides_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tarn.toml");
        std::fs::write(&path, "http_addr = \"127.0.0.1:9000\"\nnode_id = 3\ncolumn_cache_mb = 64\n").expect("write config");
        let mut config = Config::default();
        config.apply_file(&path).expect("valid file");
        assert_eq!(config.http_addr, "127.0.0.1:9000");
        assert_eq!(config.node_id, 3);
        assert_eq!(config.column_cache_mb, Some(64));
        assert_eq!(config.maintenance_interval_ms, 5_000);
        assert_eq!(config.data_dir, PathBuf::from("./tarn-data"));
        std::fs::write(&path, "http_adr = \"x\"\n").expect("write config");
        assert!(matches!(Config::default().apply_file(&path), Err(ConfigError::Parse { .. })));
    }
}
