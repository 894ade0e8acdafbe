//! Config files read as they are: named sections of option strings, `type` included and not
//! yet checked. A [`super::Config`] is built from these; the CLI keeps them raw so that a
//! section of a type Ferry lacks fails only when it is used.

use std::collections::BTreeMap;

use crate::{Error, Result};

/// Section name → option → value, as written (JSON scalars as strings).
pub type RawSections = BTreeMap<String, BTreeMap<String, String>>;

/// The API's `config` object: `{"<section>": {"type": "...", "<option>": <scalar>}}`.
pub fn json_sections(value: &serde_json::Value) -> Result<RawSections> {
    let object = value
        .as_object()
        .ok_or_else(|| Error::BadConfig("config must be a JSON object of sections".into()))?;
    let mut sections = RawSections::new();
    for (name, section) in object {
        let options = section.as_object().ok_or_else(|| {
            Error::BadConfig(format!("config section {name:?} must be a JSON object"))
        })?;
        let mut raw = BTreeMap::new();
        for (option, v) in options {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => continue,
                _ => {
                    return Err(Error::BadConfig(format!(
                        "config section {name:?}: option {option:?} must be a string, \
                         number or boolean"
                    )));
                }
            };
            raw.insert(option.clone(), text);
        }
        sections.insert(name.clone(), raw);
    }
    Ok(sections)
}

/// rclone's INI format (`[name]` headers, `key = value` lines).
pub fn ini_sections(text: &str) -> Result<RawSections> {
    if text.trim_start().starts_with("RCLONE_ENCRYPT_V0:") {
        return Err(Error::BadConfig(
            "the rclone config is encrypted; decrypt it with `rclone config show` first".into(),
        ));
    }
    let ini = ini::Ini::load_from_str_noescape(text)
        .map_err(|e| Error::BadConfig(format!("rclone config: {e}")))?;
    let mut sections = RawSections::new();
    for (name, props) in ini.iter() {
        let Some(name) = name else {
            if props.iter().next().is_some() {
                return Err(Error::BadConfig(
                    "rclone config: options before the first [section]".into(),
                ));
            }
            continue;
        };
        let raw = props
            .iter()
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        sections.insert(name.to_owned(), raw);
    }
    Ok(sections)
}

/// A config file's sections: a JSON object (the API's `config` form) or rclone's INI.
/// Errors name the file.
pub fn file_sections(path: &std::path::Path) -> Result<RawSections> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let located = |e: Error| match e {
        Error::BadConfig(m) => Error::BadConfig(format!("{}: {m}", path.display())),
        other => other,
    };
    if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::BadConfig(format!("{}: not valid JSON: {e}", path.display())))?;
        json_sections(&value).map_err(located)
    } else {
        ini_sections(&text).map_err(located)
    }
}
