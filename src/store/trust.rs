//! Who wrote a config section, and so what resolving it may use of the host.
//!
//! The CLI runs as the machine's own user, and a section the operator wrote (the CLI's
//! config, `ferry serve --config FILE`) may use everything the host has: credentials from
//! the environment, the instance's role, a managed identity, Google's application default
//! credentials or a key file on disk. A section that arrives through the API was written by
//! whoever may call it: used with the host's credentials, it would send them to an endpoint
//! of the caller's choosing (issue 12). Such sections must bring their own credentials (or
//! go anonymous) unless the operator allows ambient ones explicitly
//! (`ferry serve --allow-ambient-credentials`).

use std::sync::Arc;

use super::endpoint_policy::EndpointPolicy;
use crate::Error;
use crate::config::Section;

/// What a section may use of the host while it is resolved into a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// Credentials the host has rather than the section: `AWS_*` variables and the
    /// instance's metadata service, `AZURE_*` and managed identities, Google's application
    /// default credentials and metadata server, files on the server.
    pub ambient_credentials: bool,
    /// Where its stores may send requests; `None`: anywhere.
    pub endpoints: Option<Arc<EndpointPolicy>>,
}

impl Trust {
    /// A section the machine's user or the operator wrote: everything allowed.
    pub const HOST: Trust = Trust {
        ambient_credentials: true,
        endpoints: None,
    };

    /// A section an API client sent; `ambient` is the operator's explicit opt-in, its
    /// stores keep to `endpoints`.
    pub fn client(ambient: bool, endpoints: Arc<EndpointPolicy>) -> Trust {
        Trust {
            ambient_credentials: ambient,
            endpoints: Some(endpoints),
        }
    }

    /// `Ok` when the section's `endpoint` is one the policy lets its stores reach: its
    /// host as written, and every address it resolves to now (resolved again, and checked
    /// again, at every connection). A name that does not resolve is left to that check.
    pub(super) fn check_endpoint(&self, section: &Section) -> crate::Result<()> {
        let (Some(policy), Some(endpoint)) = (&self.endpoints, section.get("endpoint")) else {
            return Ok(());
        };
        let refused = |why: String| {
            Error::BadConfig(format!(
                "config section {:?}: option \"endpoint\": {why}",
                section.name
            ))
        };
        let Ok(url) = url::Url::parse(endpoint) else {
            return Ok(()); // the provider refuses it, naming the option
        };
        policy.check_url(&url).map_err(refused)?;
        if let Some(url::Host::Domain(name)) = url.host()
            && let Ok(addrs) = std::net::ToSocketAddrs::to_socket_addrs(&(name, 0))
        {
            for addr in addrs {
                policy
                    .check_resolved(name, addr.ip())
                    .map_err(|e| refused(format!("{name}: {e}")))?;
            }
        }
        Ok(())
    }

    /// `Ok` when the section may use the host's credentials for `what` (the option or the
    /// fallback that would); else 7008 naming it and the operator's way out. The message
    /// says nothing about the host (whether a file exists, which variables are set).
    pub(super) fn ambient(&self, section: &Section, what: &str) -> crate::Result<()> {
        if self.ambient_credentials {
            return Ok(());
        }
        Err(Error::BadConfig(format!(
            "config section {:?}: {what} would use the server's own credentials, which \
             configs sent through the API may not (the server's operator can allow it with \
             --allow-ambient-credentials, or name a section of the server's --config)",
            section.name
        )))
    }
}
