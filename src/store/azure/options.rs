//! The options of an Azure Blob section, by rclone's names.

use serde::Deserialize;

use crate::config::{Endpoint, Flag};
use crate::secret::Secret;

/// rclone's `azureblob` options Ferry reads; the rest are warned about and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AzureOptions {
    pub account: Option<String>,
    /// The account's shared key (base64).
    pub key: Option<Secret>,
    /// A container or account URL with a SAS token as its query.
    pub sas_url: Option<Secret>,
    pub endpoint: Option<Endpoint>,
    /// Azurite's well-known account and endpoint.
    pub use_emulator: Flag,
    /// Credentials from the environment (`AZURE_*`).
    pub env_auth: Flag,
    /// A managed identity: taken from the environment like `env_auth`.
    pub use_msi: Flag,
    pub access_tier: Option<String>,
}
