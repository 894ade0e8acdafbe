//! The repositories a server's jobs may reach: the sections API clients send, and the
//! operator's own (`ferry serve --config FILE`), which clients name without seeing them.
//!
//! A request's `config` is either the name of one of the operator's sections
//! (`"config": "backups"`) or an object of sections, where a section the operator defines may
//! be left out or sent empty (`{"backups": {}}`) to mean the operator's. The job record keeps
//! what the request sent, never the operator's options, so its secrets stay in the
//! operator's file. An operator's section is resolved with the host's trust; a client's
//! with [`Trust::client`] (see `crate::store::Trust`).

use std::sync::Arc;

use serde_json::Value;

use super::OwnDirs;
use crate::config::{BackendKind, Config};
use crate::repository::normalise;
use crate::retry::RetryPolicy;
use crate::store::endpoint_policy::EndpointPolicy;
use crate::store::{Location, Trust, resolve_trusted};
use crate::{Error, Result};

/// The operator's sections and how far client sections are trusted.
#[derive(Debug, Clone, Default)]
pub struct Repositories {
    /// The operator's named sections.
    pub sections: Config,
    /// Client sections may use the host's credentials (`--allow-ambient-credentials`).
    pub allow_ambient_credentials: bool,
    /// Where client sections' stores may send requests (`--allow-endpoint`).
    pub endpoints: Arc<EndpointPolicy>,
    /// The server's own directories, where no local repository may lie.
    pub own_dirs: OwnDirs,
}

impl Repositories {
    /// The location `repository` names under the request's `config`.
    pub fn resolve(
        &self,
        config: &Value,
        repository: &str,
        local_prefix: &str,
        retry: &RetryPolicy,
    ) -> Result<Location> {
        let config = self.config(config)?;
        let repo = normalise(repository, &config, local_prefix)?;
        if config
            .section(&repo.section)
            .is_some_and(|s| s.kind == BackendKind::Local)
        {
            self.own_dirs.check(&repo.path)?;
        }
        let operators = self.sections.section(&repo.section).is_some()
            && config.section(&repo.section) == self.sections.section(&repo.section);
        let trust = if operators {
            Trust::HOST
        } else {
            Trust::client(self.allow_ambient_credentials, self.endpoints.clone())
        };
        resolve_trusted(&repo, &config, retry, trust)
    }

    /// The client's sections with the operator's filled in.
    fn config(&self, value: &Value) -> Result<Config> {
        if let Some(name) = value.as_str() {
            let section = self.sections.section(name).ok_or_else(|| {
                Error::BadConfig(format!("the server has no config section {name:?}"))
            })?;
            let mut config = Config::default();
            config.insert(section.clone());
            return Ok(config);
        }
        let mut client = value.clone();
        let mut named = Vec::new();
        if let Some(object) = client.as_object_mut() {
            for section in self.sections.sections() {
                match object.get(&section.name) {
                    None => {}
                    Some(Value::Object(o)) if o.is_empty() => {
                        object.remove(&section.name);
                        named.push(section.clone());
                    }
                    Some(_) => {
                        return Err(Error::BadConfig(format!(
                            "config section {:?} is the server's: send it empty or leave it out",
                            section.name
                        )));
                    }
                }
            }
        }
        let mut config = Config::from_json(&client)?;
        for section in self.sections.sections() {
            if config.section(&section.name).is_none() {
                named.push(section.clone());
            }
        }
        for section in named {
            config.insert(section);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server() -> Repositories {
        let sections = Config::from_json(&json!({
            "ops": {"type": "s3", "env_auth": true, "region": "eu-west-1"},
        }))
        .expect("config");
        Repositories {
            sections,
            ..Repositories::default()
        }
    }

    fn err(config: Value, repository: &str) -> String {
        server()
            .resolve(&config, repository, "/", &RetryPolicy::quick())
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_operators_sections_keep_the_hosts_trust() {
        let repos = server();
        let retry = RetryPolicy::quick();
        for config in [json!("ops"), json!({}), json!({"ops": {}})] {
            repos
                .resolve(&config, "ops:bucket/dir", "/", &retry)
                .unwrap_or_else(|e| panic!("{config}: {e}"));
        }
        // The same section sent by a client may not use the host's credentials.
        let own = json!({"mine": {"type": "s3", "env_auth": true, "region": "eu-west-1"}});
        let message = err(own, "mine:bucket/dir");
        assert!(message.contains("--allow-ambient-credentials"), "{message}");
        let message = err(json!({"ops": {"type": "s3"}}), "ops:bucket/dir");
        assert!(message.contains("the server's"), "{message}");
        let message = err(json!("nope"), "nope:bucket/dir");
        assert!(message.contains("no config section"), "{message}");
        let allowed = Repositories {
            allow_ambient_credentials: true,
            ..server()
        };
        let own = json!({"mine": {"type": "s3", "env_auth": true, "region": "eu-west-1"}});
        allowed
            .resolve(&own, "mine:bucket/dir", "/", &retry)
            .expect("allowed by the operator");
    }
}
