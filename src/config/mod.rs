//! Repository configuration: named sections of rclone-style options.
//!
//! The API's `config` object and the CLI's config file (JSON, or rclone's INI `rclone.conf`)
//! both become a [`Config`]. A section only knows its backend type and its raw option strings;
//! each provider in [`crate::store`] reads them into its own typed options struct
//! ([`Section::options`]), so option names are written once, beside the code that uses them,
//! and their values are checked by the small types of [`value`].

mod file;
mod options;
mod raw;
pub mod remote;
mod remotes;
mod value;

use std::collections::BTreeMap;
use std::fmt;

pub use file::{default_config_path, load_file};
pub use options::SectionHints;
pub use raw::{RawSections, file_sections};
pub use remotes::Remotes;
pub use value::{Count, Endpoint, Flag, Size, parse_size_str};

use crate::{Error, Result};

/// The storage a section talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Local,
    S3,
    Gcs,
    AzureBlob,
}

impl BackendKind {
    /// The rclone `type` names for each backend.
    pub fn from_type(name: &str) -> Option<Self> {
        match name {
            "local" | "alias" => Some(BackendKind::Local),
            "s3" => Some(BackendKind::S3),
            "google cloud storage" | "gcs" => Some(BackendKind::Gcs),
            "azureblob" => Some(BackendKind::AzureBlob),
            _ => None,
        }
    }
}

/// Option names whose values are credentials: never printed.
const SECRET_OPTIONS: &[&str] = &[
    "access_key_id",
    "secret_access_key",
    "session_token",
    "sse_kms_key_id",
    "sse_customer_key",
    "key",
    "sas_url",
    "service_account_credentials",
    "client_secret",
    "token",
    "password",
];

/// Whether an option's value is a credential.
pub fn is_secret_option(name: &str) -> bool {
    SECRET_OPTIONS.contains(&name)
}

/// One named section: a backend type and its options as strings.
#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub kind: BackendKind,
    options: BTreeMap<String, String>,
}

impl Section {
    /// Builds a section from its `type` and options. `type` itself is not kept as an option.
    pub fn new(name: &str, mut options: BTreeMap<String, String>) -> Result<Self> {
        let type_name = options
            .remove("type")
            .ok_or_else(|| Error::BadConfig(format!("config section {name:?} has no \"type\"")))?;
        let kind = BackendKind::from_type(type_name.trim()).ok_or_else(|| {
            Error::BadConfig(format!(
                "config section {name:?} has unknown type {type_name:?} \
                 (supported: local, s3, google cloud storage, gcs, azureblob)"
            ))
        })?;
        Ok(Section {
            name: name.to_owned(),
            kind,
            options,
        })
    }

    /// The section with `option` set to `value` (a flag that overrides the config file).
    pub fn with_option(mut self, option: &str, value: &str) -> Self {
        self.options.insert(option.to_owned(), value.to_owned());
        self
    }

    /// The raw value of an option, if set and not empty.
    pub fn get(&self, option: &str) -> Option<&str> {
        self.options
            .get(option)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        map.entry(&"name", &self.name).entry(&"kind", &self.kind);
        for (k, v) in &self.options {
            if is_secret_option(k) {
                map.entry(k, &"***");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

/// All sections, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    sections: BTreeMap<String, Section>,
}

impl Config {
    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }

    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.values()
    }

    pub fn insert(&mut self, section: Section) {
        self.sections.insert(section.name.clone(), section);
    }

    /// Reads the API's `config` object: `{"<section>": {"type": "...", "<option>": <scalar>}}`.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        Self::from_raw(raw::json_sections(value)?)
    }

    /// Reads rclone's INI format (`[name]` headers, `key = value` lines).
    pub fn from_ini(text: &str) -> Result<Self> {
        Self::from_raw(raw::ini_sections(text)?)
    }

    /// Every section checked: one of a type Ferry lacks is an error.
    pub(crate) fn from_raw(sections: RawSections) -> Result<Self> {
        let mut config = Config::default();
        for (name, options) in sections {
            config.insert(Section::new(&name, options)?);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_scalars_become_strings() {
        let c = Config::from_json(&json!({
            "s": {"type": "s3", "force_path_style": true, "chunk_size": "16M",
                  "upload_concurrency": 4, "region": null}
        }))
        .expect("valid");
        let s = c.section("s").expect("present");
        assert_eq!(s.kind, BackendKind::S3);
        assert_eq!(s.get("force_path_style"), Some("true"));
        let hints = s.hints().expect("hints");
        assert_eq!(hints.chunk_size, Some(16 << 20));
        assert_eq!(hints.upload_concurrency, Some(4));
        assert_eq!(s.get("region"), None);
    }

    #[test]
    fn bad_sections_are_7008() {
        for bad in [
            json!([]),
            json!({"s": "x"}),
            json!({"s": {}}),
            json!({"s": {"type": "ftp"}}),
            json!({"s": {"type": "s3", "region": {"nested": 1}}}),
        ] {
            let e = Config::from_json(&bad).expect_err("must fail");
            assert_eq!(e.kind(), crate::ErrorKind::BadConfig, "{bad}");
        }
    }

    #[test]
    fn ini_is_read_like_rclone() {
        let text = "\
# comment
[remote]
type = s3
provider = Minio
access_key_id = AKIAXXXX
secret_access_key = s3cr3t/with=chars
endpoint = http://127.0.0.1:9000

[g]
type = google cloud storage
";
        let c = Config::from_ini(text).expect("valid");
        let s = c.section("remote").expect("present");
        assert_eq!(s.kind, BackendKind::S3);
        assert_eq!(s.get("secret_access_key"), Some("s3cr3t/with=chars"));
        assert_eq!(s.get("endpoint"), Some("http://127.0.0.1:9000"));
        assert_eq!(c.section("g").map(|s| s.kind), Some(BackendKind::Gcs));
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Config::from_json(&json!({
            "s": {"type": "s3", "secret_access_key": "TOPSECRET", "region": "eu"}
        }))
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("eu"), "{shown}");
    }
}
