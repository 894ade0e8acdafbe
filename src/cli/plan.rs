//! Stage two: what will run. Flags become engine [`Options`], output choices and resolved
//! [`Location`]s here, once; each command in [`super::cmd`] then only runs its plan.

use std::path::PathBuf;

use ferry::config::{Config, default_config_path, load_file};
use ferry::engine::{Context, Options, Stats};
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::{Location, resolve_location};
use ferry::{Error, Result};

use super::args::Common;

/// How a command reports: JSON lines on stdout, or a progress bar and a summary on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub no_progress: bool,
}

impl Output {
    pub fn of(common: &Common) -> Self {
        Output {
            json: common.json,
            no_progress: common.no_progress,
        }
    }
}

/// The engine's tunables from the transfer flags; a value no transfer can run with is
/// refused here, before anything is resolved.
pub fn engine_options(common: &Common) -> Result<Options> {
    let mut o = Options::default();
    if let Some(t) = common.transfers {
        if t == 0 {
            return Err(Error::BadParameter("--transfers must be at least 1".into()));
        }
        o.transfers = t;
    }
    if let Some(c) = common.chunk_size {
        if c == 0 {
            return Err(Error::BadParameter(
                "--chunk-size must be more than 0".into(),
            ));
        }
        o.chunk_size = Some(c);
    }
    o.bwlimit = common.bwlimit.filter(|b| *b > 0);
    if let Some(r) = common.retries {
        o.retry.max_retries = r;
    }
    Ok(o)
}

/// A run's wiring from the transfer flags: its journal in `--state-dir` (else the
/// default), `stats` hearing its progress.
pub fn engine_context(common: &Common, stats: &std::sync::Arc<Stats>) -> Context {
    let context = Context::new().with_progress(stats.clone());
    match &common.state_dir {
        Some(dir) => context.with_state_dir(dir),
        None => context,
    }
}

/// Turns command-line location arguments into [`Location`]s. The config is read only when
/// an argument names a remote, and then once.
#[derive(Debug)]
pub struct Remotes {
    path: Option<PathBuf>,
    config: Option<Config>,
    retry: RetryPolicy,
}

impl Remotes {
    pub fn new(config: Option<PathBuf>, retry: &RetryPolicy) -> Self {
        Remotes {
            path: config,
            config: None,
            retry: *retry,
        }
    }

    /// The config: `--config`, else the default location, else empty.
    pub fn config(&mut self) -> Result<&Config> {
        if self.config.is_none() {
            let loaded = match self.path.clone().or_else(default_config_path) {
                Some(path) => load_file(&path)?,
                None => Config::default(),
            };
            self.config = Some(loaded);
        }
        Ok(self.config.get_or_insert_default())
    }

    /// A command-line location: a local path, or `<section>:<path>` when the part before the
    /// first colon has no `/` and is not a path that exists.
    pub fn location(&mut self, arg: &str) -> Result<Location> {
        let remote = arg
            .split_once(':')
            .filter(|(section, _)| !section.is_empty() && !section.contains('/'))
            .filter(|_| !std::path::Path::new(arg).exists());
        let Some((section, _)) = remote else {
            return Ok(Location::local(arg));
        };
        let retry = self.retry;
        let config = self.config()?;
        if config.section(section).is_none() {
            return Err(Error::BadConfig(format!(
                "{arg:?}: no section {section:?} in the config (give --config FILE, or write ./{arg} for a local path)"
            )));
        }
        let repo = normalise(arg, config, "/")?;
        resolve_location(&repo, config, &retry)
    }
}
