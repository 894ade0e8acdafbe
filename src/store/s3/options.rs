//! The options of an S3 section, by rclone's names.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::config::{Endpoint, Flag};
use crate::secret::Secret;

/// rclone's `s3` options Ferry reads; the rest are warned about and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct S3Options {
    /// Which S3 implementation: rclone tunes quirks by it, Ferry needs none.
    pub provider: Option<IgnoredAny>,
    /// Credentials from the environment (`AWS_*`, instance metadata) when none are given.
    pub env_auth: Flag,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    pub region: Option<String>,
    pub endpoint: Option<Endpoint>,
    /// For creating buckets, which Ferry never does.
    pub location_constraint: Option<IgnoredAny>,
    /// Canned ACL (`x-amz-acl`) of every object written.
    pub acl: Option<String>,
    /// rclone's default is path style; virtual-hosted style only when asked for.
    #[serde(default = "Flag::yes")]
    pub force_path_style: Flag,
    /// Ferry never checks or creates buckets.
    pub no_check_bucket: Option<IgnoredAny>,
    pub storage_class: Option<String>,
    pub server_side_encryption: Option<String>,
    pub sse_kms_key_id: Option<Secret>,
    /// Ferry's: lock every object written for this long (`30d`) with S3 Object Lock.
    pub object_lock_retention: Option<String>,
    /// Ferry's: `GOVERNANCE` (the default) or `COMPLIANCE`.
    pub object_lock_mode: Option<String>,
}
