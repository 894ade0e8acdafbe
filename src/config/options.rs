//! A section's options read into a provider's typed options struct.
//!
//! Each provider declares its options once, as a `serde` struct whose field names are
//! rclone's option names (in `crate::store::<provider>`). [`Section::options`] feeds the
//! section's option strings to it: a value is a string (JSON scalars became strings when
//! the section was read), an empty value counts as absent, a value the field's type refuses
//! is an error naming the section and the option, and the options neither the struct nor
//! [`SectionHints`] knows are collected and logged in one warning (rclone configs carry
//! options Ferry has no use for, but a typo must not pass unnoticed).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

use super::Section;
use super::value::{Count, Size};
use crate::{Error, Result};

/// Transfer settings any section may carry; the engine reads them from the location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SectionHints {
    #[serde(deserialize_with = "Size::option")]
    pub chunk_size: Option<u64>,
    #[serde(deserialize_with = "Size::option")]
    pub upload_cutoff: Option<u64>,
    #[serde(deserialize_with = "Count::option")]
    pub upload_concurrency: Option<usize>,
}

impl Section {
    /// The section's options as `T`, warning once about every option that neither `T` nor
    /// [`SectionHints`] knows.
    pub fn options<T: DeserializeOwned>(&self) -> Result<T> {
        let hints = fields_of::<SectionHints>();
        self.read(Some(hints))
    }

    /// The section's transfer settings; other options are left to the provider.
    pub fn hints(&self) -> Result<SectionHints> {
        self.read(None)
    }

    fn read<T: DeserializeOwned>(&self, warn_beside: Option<&'static [&'static str]>) -> Result<T> {
        T::deserialize(SectionDeserializer {
            section: self,
            warn_beside,
        })
        .map_err(|e| Error::BadConfig(e.0))
    }
}

/// A deserialisation failure: the message of the [`Error::BadConfig`] it becomes.
#[derive(Debug)]
struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl de::Error for Failure {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failure(msg.to_string())
    }
}

/// The names of the fields of `T`, as `serde` declares them to a deserializer.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Spy(Option<&'static [&'static str]>);
    struct Probe<'a>(&'a mut Spy);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Failure;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Failure> {
            Err(Failure("not a struct".into()))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Failure> {
            self.0.0 = Some(fields);
            Err(Failure("probed".into()))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut spy = Spy(None);
    let _ = T::deserialize(Probe(&mut spy));
    spy.0.unwrap_or(&[])
}

/// A section as a map from option names to strings.
struct SectionDeserializer<'a> {
    section: &'a Section,
    /// `Some`: warn about options that are neither the struct's fields nor these.
    warn_beside: Option<&'static [&'static str]>,
}

impl<'de> de::Deserializer<'de> for SectionDeserializer<'_> {
    type Error = Failure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        self.deserialize_struct("", &[], visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let known = |name: &str| fields.contains(&name);
        if let Some(beside) = self.warn_beside {
            let unknown: Vec<&str> = self
                .section
                .options
                .keys()
                .map(String::as_str)
                .filter(|name| !known(name) && !beside.contains(name))
                .collect();
            if !unknown.is_empty() {
                tracing::warn!(section = %self.section.name, options = %unknown.join(", "), "unknown config options ignored");
            }
        }
        let entries = self
            .section
            .options
            .iter()
            .filter(|(name, value)| known(name) && !value.is_empty());
        visitor.visit_map(Options {
            section: &self.section.name,
            entries,
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// The known options of a section, one by one; a value's failure is said with its option.
struct Options<'a, I> {
    section: &'a str,
    entries: I,
    current: Option<(&'a String, &'a String)>,
}

impl<'de, 'a, I> MapAccess<'de> for Options<'a, I>
where
    I: Iterator<Item = (&'a String, &'a String)>,
{
    type Error = Failure;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Failure> {
        self.current = self.entries.next();
        match self.current {
            Some((name, _)) => seed
                .deserialize(name.as_str().into_deserializer())
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Failure> {
        let (name, value) = self
            .current
            .ok_or_else(|| Failure("a value without its option".into()))?;
        seed.deserialize(Text(value)).map_err(|e| {
            Failure(format!(
                "config section {:?}: option {name:?}: {e}",
                self.section
            ))
        })
    }
}

/// One option's value: a string, present.
struct Text<'a>(&'a str);

impl<'de> de::Deserializer<'de> for Text<'_> {
    type Error = Failure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        visitor.visit_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct seq tuple tuple_struct map enum struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Endpoint, Flag};
    use crate::secret::Secret;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Sample {
        on: Flag,
        #[serde(default = "Flag::yes")]
        default_on: Flag,
        endpoint: Option<Endpoint>,
        key: Option<Secret>,
        #[serde(deserialize_with = "Size::option")]
        size: Option<u64>,
    }

    fn section(options: serde_json::Value) -> Section {
        let config =
            crate::config::Config::from_json(&serde_json::json!({"s": options})).expect("config");
        config.section("s").expect("section").clone()
    }

    #[test]
    fn options_are_typed_from_strings_and_scalars() {
        let s = section(serde_json::json!({
            "type": "s3", "on": true, "endpoint": "http://h:9", "key": "k", "size": "1M",
            "chunk_size": 5, "default_on": "", "typo": "x",
        }));
        let read: Sample = s.options().expect("reads");
        assert!(read.on.0);
        assert!(read.default_on.0, "an empty value is absent");
        assert_eq!(read.endpoint.expect("endpoint").url.port(), Some(9));
        assert_eq!(read.key.expect("key").expose(), "k");
        assert_eq!(read.size, Some(1 << 20));
        assert_eq!(s.hints().expect("hints").chunk_size, Some(5 << 10));
        assert_eq!(
            fields_of::<SectionHints>(),
            ["chunk_size", "upload_cutoff", "upload_concurrency"]
        );
    }

    #[test]
    fn a_bad_value_names_section_and_option() {
        for (option, value, says) in [
            ("on", "maybe", "must be true or false, got \"maybe\""),
            ("size", "lots", "must be a size such as 16M"),
            ("endpoint", "ftp://h", "http(s) URL"),
        ] {
            let s = section(serde_json::json!({"type": "s3", option: value}));
            let err = s.options::<Sample>().expect_err(option).to_string();
            assert!(
                err.starts_with(&format!("config section \"s\": option {option:?}: ")),
                "{err}"
            );
            assert!(err.contains(says), "{err}");
        }
        let s = section(serde_json::json!({"type": "s3", "upload_concurrency": "many"}));
        let err = s.hints().expect_err("count").to_string();
        assert!(
            err.contains("\"upload_concurrency\": must be a whole number"),
            "{err}"
        );
    }

    #[test]
    fn secrets_stay_hidden_in_debug() {
        let s = section(serde_json::json!({"type": "s3", "key": "TOPSECRET"}));
        let read: Sample = s.options().expect("reads");
        assert!(!format!("{read:?}").contains("TOPSECRET"));
    }
}
