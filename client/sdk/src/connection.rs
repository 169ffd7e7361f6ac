//! Connection strings: Kusto's `Key=Value;...` form or a bare URL.
//!
//! Understood keys (case and spaces ignored): `Data Source` (aliases `Addr`, `Address`,
//! `Network Address`, `Server`, `Cluster`), holding one URL or several separated by commas (the
//! nodes of a cluster, tried in order with failover); `Initial Catalog` (alias `Database`);
//! `Application Token` / `User Token` / `Token` (a bearer token). Keys about Azure AD
//! (`Fed`, `AAD Federated Security`, ...) are accepted and ignored.
//!
//! ```
//! use tarn_client::ConnectionString;
//!
//! let parsed = ConnectionString::parse(
//!     "Data Source=http://node-a:8080,http://node-b:8080;Initial Catalog=Telemetry;Fed=False",
//! )?;
//! assert_eq!(parsed.urls, vec!["http://node-a:8080", "http://node-b:8080"]);
//! assert_eq!(parsed.database.as_deref(), Some("Telemetry"));
//!
//! let bare = ConnectionString::parse("http://127.0.0.1:8080/")?;
//! assert_eq!(bare.urls, vec!["http://127.0.0.1:8080"]);
//! assert!(ConnectionString::parse("Data Source=ftp://x").is_err());
//! # Ok::<(), tarn_client::Error>(())
//! ```

use crate::{Error, Result};

/// A parsed connection string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionString {
    /// Node URLs, without a trailing slash.
    pub urls: Vec<String>,
    pub database: Option<String>,
    pub token: Option<String>,
}

/// Checks one node URL and drops a trailing slash.
pub(crate) fn normalize_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed)
        .map_err(|error| Error::config(format!("'{trimmed}' is not a URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "'{trimmed}' must be an http:// or https:// URL"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::config(format!("'{trimmed}' has no host")));
    }
    Ok(trimmed.to_string())
}

impl ConnectionString {
    pub fn parse(text: &str) -> Result<ConnectionString> {
        let text = text.trim();
        if !text.contains('=') {
            return Ok(ConnectionString {
                urls: vec![normalize_url(text)?],
                ..ConnectionString::default()
            });
        }
        let mut parsed = ConnectionString::default();
        for pair in text
            .split(';')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
        {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Error::config(format!("'{pair}' is not Key=Value")));
            };
            let key: String = key
                .chars()
                .filter(|character| !character.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "datasource" | "addr" | "address" | "networkaddress" | "server" | "cluster" => {
                    for url in value.split(',').filter(|url| !url.trim().is_empty()) {
                        parsed.urls.push(normalize_url(url)?);
                    }
                }
                "initialcatalog" | "database" => parsed.database = Some(value.to_string()),
                "applicationtoken" | "usertoken" | "token" => {
                    parsed.token = Some(value.to_string())
                }
                "fed"
                | "aadfederatedsecurity"
                | "federated"
                | "federatedsecurity"
                | "applicationnameforotracing"
                | "applicationname" => {}
                _ => {
                    return Err(Error::config(format!(
                        "connection string key '{key}' is not supported"
                    )));
                }
            }
        }
        if parsed.urls.is_empty() {
            return Err(Error::config("the connection string has no Data Source"));
        }
        Ok(parsed)
    }
}
