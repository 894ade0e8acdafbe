//! A remote's options gathered as rclone gathers them, most specific first:
//!
//! 1. the remote string itself (`remote,region=eu:path`, `:s3,provider=Other:path`);
//! 2. `RCLONE_CONFIG_<REMOTE>_<OPTION>`, which can also define a whole remote
//!    (`RCLONE_CONFIG_MYS3_TYPE=s3`);
//! 3. `RCLONE_<BACKEND>_<OPTION>` (`RCLONE_S3_REGION`), for every remote of that backend;
//! 4. the config file's section.
//!
//! The config file is kept raw: only the section a command uses becomes a [`Section`], so a
//! file with sections of types Ferry lacks (`drive`, `crypt`, ...) still serves its S3 ones.

use std::collections::BTreeMap;

use super::remote::RemoteSpec;
use super::{BackendKind, RawSections, Section};
use crate::{Error, Result};

/// The config file's sections and the `RCLONE_` environment, from which remotes are built.
#[derive(Clone, Default)]
pub struct Remotes {
    file: RawSections,
    env: BTreeMap<String, String>,
}

impl std::fmt::Debug for Remotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be credentials: names only.
        f.debug_struct("Remotes")
            .field("file", &self.file.keys().collect::<Vec<_>>())
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// rclone's environment name of a remote's option (`fs.ConfigToEnv`).
fn remote_env(remote: &str, option: &str) -> String {
    format!("RCLONE_CONFIG_{}_{}", remote, option.replace('-', "_")).to_uppercase()
}

/// The prefix of a backend's options in the environment (`RCLONE_S3_`); rclone's `Prefix`.
fn backend_env_prefix(type_name: &str) -> Option<&'static str> {
    Some(match BackendKind::from_type(type_name.trim())? {
        BackendKind::S3 => "RCLONE_S3_",
        BackendKind::Gcs => "RCLONE_GCS_",
        BackendKind::AzureBlob => "RCLONE_AZUREBLOB_",
        BackendKind::Local => "RCLONE_LOCAL_",
    })
}

impl Remotes {
    /// From a config file's sections and environment variables (only `RCLONE_*` are kept).
    pub fn new(file: RawSections, env: impl IntoIterator<Item = (String, String)>) -> Self {
        Remotes {
            file,
            env: env
                .into_iter()
                .filter(|(k, _)| k.starts_with("RCLONE_"))
                .collect(),
        }
    }

    /// From a config file's sections and this process's environment.
    pub fn with_process_env(file: RawSections) -> Self {
        Remotes::new(
            file,
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Options of every `<prefix><OPTION>` variable, option names lowercased.
    fn env_options(&self, prefix: &str) -> impl Iterator<Item = (String, String)> + '_ {
        let prefix = prefix.to_owned();
        self.env.iter().filter_map(move |(k, v)| {
            let option = k.strip_prefix(&prefix)?;
            (!option.is_empty()).then(|| (option.to_lowercase(), v.clone()))
        })
    }

    /// The backend type of a named remote; `None` when neither the file nor the environment
    /// defines it.
    fn type_of(&self, spec: &RemoteSpec) -> Option<String> {
        if let Some(t) = spec.on_the_fly() {
            return Some(t.to_owned());
        }
        spec.overrides
            .get("type")
            .or_else(|| self.env.get(&remote_env(&spec.name, "type")))
            .or_else(|| self.file.get(&spec.name)?.get("type"))
            .filter(|t| !t.is_empty())
            .cloned()
    }

    /// Whether `name` is a remote of the file or the environment.
    pub fn knows(&self, name: &str) -> bool {
        self.file.contains_key(name) || self.env.contains_key(&remote_env(name, "type"))
    }

    /// The section `spec` names, with every source merged. A remote of a type Ferry lacks is
    /// an error naming that type.
    pub fn section(&self, spec: &RemoteSpec) -> Result<Section> {
        let type_name = self.type_of(spec).ok_or_else(|| {
            Error::BadConfig(format!(
                "didn't find section in config file ({:?})",
                spec.name
            ))
        })?;
        let mut options: BTreeMap<String, String> = BTreeMap::new();
        if spec.on_the_fly().is_none()
            && let Some(file) = self.file.get(&spec.name)
        {
            options.extend(file.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(prefix) = backend_env_prefix(&type_name) {
            options.extend(self.env_options(prefix));
        }
        if spec.on_the_fly().is_none() {
            let prefix = remote_env(&spec.name, "");
            options.extend(self.env_options(&prefix));
        }
        options.extend(spec.overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        options.insert("type".to_owned(), type_name);
        Section::new(&spec.name, options)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote::parse;
    use super::*;

    fn spec(arg: &str) -> RemoteSpec {
        parse(arg).expect("parses").expect("remote")
    }

    fn file() -> RawSections {
        let mut f = RawSections::new();
        f.insert(
            "mys3".into(),
            [
                ("type", "s3"),
                ("region", "file"),
                ("endpoint", "http://file"),
            ]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
        );
        f.insert(
            "gdrive".into(),
            [("type".to_owned(), "drive".to_owned())].into(),
        );
        f
    }

    #[test]
    fn precedence_is_rclones() {
        let env = [
            ("RCLONE_S3_REGION", "backend-env"),
            ("RCLONE_S3_ACL", "private"),
            ("RCLONE_CONFIG_MYS3_REGION", "remote-env"),
            ("RCLONE_CONFIG_MYS3_STORAGE_CLASS", "GLACIER"),
            ("HOME", "/ignored"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let remotes = Remotes::new(file(), env);
        let s = remotes.section(&spec("mys3:b")).expect("section");
        assert_eq!(s.get("region"), Some("remote-env"));
        assert_eq!(s.get("acl"), Some("private"));
        assert_eq!(s.get("storage_class"), Some("GLACIER"));
        assert_eq!(s.get("endpoint"), Some("http://file"));
        let s = remotes
            .section(&spec("mys3,region=string:b"))
            .expect("section");
        assert_eq!(s.get("region"), Some("string"));
        // On the fly: no file, no remote env; the backend's env still applies.
        let s = remotes
            .section(&spec(":s3,endpoint='http://x':b"))
            .expect("section");
        assert_eq!(s.get("region"), Some("backend-env"));
        assert_eq!(s.get("endpoint"), Some("http://x"));
        assert_eq!(s.kind, BackendKind::S3);
    }

    #[test]
    fn environment_remotes() {
        let env = [
            ("RCLONE_CONFIG_CI_TYPE", "s3"),
            ("RCLONE_CONFIG_CI_REGION", "r"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let remotes = Remotes::new(RawSections::new(), env);
        assert!(remotes.knows("ci") && remotes.knows("CI"));
        let s = remotes.section(&spec("ci:b/p")).expect("section");
        assert_eq!((s.kind, s.get("region")), (BackendKind::S3, Some("r")));
    }

    #[test]
    fn unsupported_types_fail_only_when_used_and_name_the_type() {
        let remotes = Remotes::new(file(), []);
        assert!(remotes.section(&spec("mys3:b")).is_ok());
        let e = remotes.section(&spec("gdrive:x")).expect_err("drive");
        assert!(e.to_string().contains("\"drive\""), "{e}");
        let e = remotes.section(&spec(":crypt:x")).expect_err("crypt");
        assert!(e.to_string().contains("\"crypt\""), "{e}");
        let e = remotes.section(&spec("nosuch:x")).expect_err("unknown");
        assert!(e.to_string().contains("nosuch"), "{e}");
    }
}
