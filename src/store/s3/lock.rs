//! S3 Object Lock: the retention Ferry puts on every object it writes when a section asks
//! for it (`object_lock_retention`, `object_lock_mode`), and reads back before a backup is
//! deleted.
//!
//! `object_store` sends neither `x-amz-object-lock-*` headers per request nor
//! Put/GetObjectRetention, so the lock is set by PutObjectRetention right after each write
//! (put, completed upload, server-side copy) and read by GetObjectRetention, both through
//! [`BucketRequests`]. Whether the bucket can lock at all is asked once
//! (GetObjectLockConfiguration): on a bucket or server without Object Lock no object is
//! locked, and no object is asked about (moto answers GetObjectRetention there with a 500).

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method};
use serde::Deserialize;
use sha2::Digest as _;
use tokio::sync::OnceCell;

use super::request::{BucketRequests, Call};
use crate::store::{LockMode, Retention};
use crate::{Error, Result};

/// The lock a section puts on what it writes: a mode, and for how long from the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    pub mode: LockMode,
    pub period: Duration,
}

impl LockPolicy {
    /// The section's `object_lock_retention` (a duration: `30d`, `1y`) and
    /// `object_lock_mode` (`GOVERNANCE`, the default, or `COMPLIANCE`).
    pub fn from_options(
        retention: Option<&str>,
        mode: Option<&str>,
    ) -> std::result::Result<Option<LockPolicy>, (&'static str, String)> {
        let mode = match mode {
            None => LockMode::Governance,
            Some(m) => LockMode::parse(m).ok_or((
                "object_lock_mode",
                "must be GOVERNANCE or COMPLIANCE".to_owned(),
            ))?,
        };
        let Some(retention) = retention else {
            return Ok(None);
        };
        let period = humantime::parse_duration(retention.trim()).map_err(|e| {
            (
                "object_lock_retention",
                format!("a duration such as 30d: {e}"),
            )
        })?;
        if period.is_zero() {
            return Err(("object_lock_retention", "must be more than 0".to_owned()));
        }
        Ok(Some(LockPolicy { mode, period }))
    }

    /// The retention of an object written at `now`.
    pub fn retention(&self, now: DateTime<Utc>) -> Retention {
        let period = chrono::Duration::from_std(self.period).unwrap_or(chrono::Duration::MAX);
        Retention {
            mode: self.mode,
            until: now
                .checked_add_signed(period)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

/// Object retention on one bucket.
#[derive(Debug)]
pub struct S3Locks {
    requests: std::sync::Arc<BucketRequests>,
    /// What this section locks its writes with; `None`: it does not.
    pub policy: Option<LockPolicy>,
    /// Whether the bucket has Object Lock enabled, once asked.
    enabled: OnceCell<bool>,
}

/// A `<Retention>` document (Put/GetObjectRetention).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetentionXml {
    mode: Option<String>,
    retain_until_date: Option<String>,
}

impl S3Locks {
    pub fn new(requests: std::sync::Arc<BucketRequests>, policy: Option<LockPolicy>) -> Self {
        S3Locks {
            requests,
            policy,
            enabled: OnceCell::new(),
        }
    }

    /// Locks `key` as the section's policy says, if it says so.
    pub async fn after_write(&self, key: &str) -> Result<()> {
        match &self.policy {
            Some(policy) => self.set(key, &policy.retention(Utc::now())).await,
            None => Ok(()),
        }
    }

    /// PutObjectRetention.
    pub async fn set(&self, key: &str, retention: &Retention) -> Result<()> {
        let what = "lock (PutObjectRetention)";
        let body = format!(
            "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>{}</Mode><RetainUntilDate>{}</RetainUntilDate></Retention>",
            retention.mode,
            retention
                .until
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        // The operation requires a checksum of its body (Content-MD5 or a flexible one).
        let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body));
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/xml"));
        headers.insert(
            "x-amz-sdk-checksum-algorithm",
            HeaderValue::from_static("SHA256"),
        );
        headers.insert(
            "x-amz-checksum-sha256",
            HeaderValue::from_str(&sha).map_err(|e| Error::Other(e.to_string()))?,
        );
        let (status, text) = self
            .requests
            .send(Call {
                method: Method::PUT,
                key,
                query: vec![("retention", "")],
                headers,
                body: body.into(),
                what,
            })
            .await?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        if text.contains("Object Lock") || text.contains("object lock") {
            return Err(Error::BadConfig(format!(
                "{}: cannot lock {key:?}: the bucket has no Object Lock (it must be created with Object Lock enabled; docs/repository.md)",
                self.requests.name
            )));
        }
        Err(self
            .requests
            .failure(what, Some(status), &excerpt(status, &text)))
    }

    /// GetObjectRetention; `None` when the object has none or the bucket cannot lock.
    pub async fn get(&self, key: &str) -> Result<Option<Retention>> {
        if !self.bucket_locks().await? {
            return Ok(None);
        }
        let what = "read its lock (GetObjectRetention)";
        let (status, text) = self
            .requests
            .send(Call {
                method: Method::GET,
                key,
                query: vec![("retention", "")],
                headers: HeaderMap::new(),
                body: Default::default(),
                what,
            })
            .await?;
        match status {
            200..300 => parse_retention(&text).map_err(|e| {
                self.requests
                    .failure(what, Some(status), &format!("unreadable answer: {e}"))
            }),
            // NoSuchObjectLockConfiguration (no lock on it), NoSuchKey (gone meanwhile).
            404 => Ok(None),
            _ => Err(self
                .requests
                .failure(what, Some(status), &excerpt(status, &text))),
        }
    }

    /// Whether the bucket has Object Lock enabled (GetObjectLockConfiguration, asked once).
    async fn bucket_locks(&self) -> Result<bool> {
        let what = "read its Object Lock configuration";
        let ask = || async {
            let (status, text) = self
                .requests
                .send(Call {
                    method: Method::GET,
                    key: "",
                    query: vec![("object-lock", "")],
                    headers: HeaderMap::new(),
                    body: Default::default(),
                    what,
                })
                .await?;
            match status {
                // A server that ignores the query answers with a listing: no lock there.
                200..300 => Ok(text.contains("<ObjectLockEnabled>Enabled</ObjectLockEnabled>")),
                // ObjectLockConfigurationNotFoundError; a server without the operation.
                400 | 404 | 405 | 501 => Ok(false),
                _ => Err(self
                    .requests
                    .failure(what, Some(status), &excerpt(status, &text))),
            }
        };
        self.enabled.get_or_try_init(ask).await.copied()
    }
}

fn excerpt(status: u16, text: &str) -> String {
    let excerpt: String = text.chars().take(500).collect();
    format!("HTTP {status}: {excerpt}")
}

fn parse_retention(text: &str) -> std::result::Result<Option<Retention>, String> {
    let xml: RetentionXml = quick_xml::de::from_str(text).map_err(|e| e.to_string())?;
    let (Some(mode), Some(until)) = (xml.mode, xml.retain_until_date) else {
        return Ok(None);
    };
    let mode = LockMode::parse(&mode).ok_or_else(|| format!("unknown mode {mode:?}"))?;
    let until = DateTime::parse_from_rfc3339(until.trim())
        .map_err(|e| format!("RetainUntilDate {until:?}: {e}"))?
        .to_utc();
    Ok(Some(Retention { mode, until }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_retention_and_a_policy() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>COMPLIANCE</Mode><RetainUntilDate>2027-01-02T03:04:05.000Z</RetainUntilDate></Retention>"#;
        let r = parse_retention(xml).expect("parses").expect("a lock");
        assert_eq!(r.mode, LockMode::Compliance);
        assert_eq!(r.until.to_rfc3339(), "2027-01-02T03:04:05+00:00");
        assert_eq!(parse_retention("<Retention/>").expect("parses"), None);

        let p = LockPolicy::from_options(Some("30d"), None)
            .expect("valid")
            .expect("a policy");
        assert_eq!(p.mode, LockMode::Governance);
        assert_eq!(p.period, Duration::from_secs(30 * 86_400));
        assert_eq!(LockPolicy::from_options(None, Some("compliance")), Ok(None));
        assert!(LockPolicy::from_options(Some("30d"), Some("strict")).is_err());
        assert!(LockPolicy::from_options(Some("0s"), None).is_err());
        assert!(LockPolicy::from_options(Some("soon"), None).is_err());
        let now = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .expect("date")
            .to_utc();
        assert_eq!(
            p.retention(now).until.to_rfc3339(),
            "2026-12-31T00:00:00+00:00"
        );
    }
}
