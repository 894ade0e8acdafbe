//! The options of a Google Cloud Storage section, by rclone's names.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::config::{Endpoint, Flag};
use crate::secret::Secret;

/// rclone's `google cloud storage` options Ferry reads; the rest are warned about and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct GcsOptions {
    pub service_account_file: Option<String>,
    /// The service account's JSON key itself.
    pub service_account_credentials: Option<Secret>,
    /// For creating buckets, which Ferry never does.
    pub project_number: Option<IgnoredAny>,
    /// Requests go unsigned (public buckets, the emulator).
    pub anonymous: Flag,
    pub endpoint: Option<Endpoint>,
    /// Object ACLs Ferry never sets.
    pub bucket_policy_only: Option<IgnoredAny>,
    /// For creating buckets, which Ferry never does.
    pub location: Option<IgnoredAny>,
    pub storage_class: Option<String>,
}
