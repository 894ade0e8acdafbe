//! Stage two: what will run. Flags become engine [`Options`], output choices and resolved
//! [`Place`]s here, once; each command in [`super::cmd`] then only runs its plan.

use std::path::{Path, PathBuf};

use ferry::config::remote::{self, RemoteSpec};
use ferry::config::{BackendKind, Config, Remotes, default_config_path, file_sections};
use ferry::engine::{Context, Options, Stats};
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::{Location, ObjectInfo, resolve_location};

use super::args::Common;
use super::exit::Failure;

type Result<T, E = Failure> = std::result::Result<T, E>;

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

/// The engine's tunables from the transfer flags; a value no transfer can run with is a
/// usage error, found before anything is resolved.
pub fn engine_options(common: &Common) -> Result<Options> {
    let mut o = Options::default();
    if let Some(t) = common.transfers {
        if t == 0 {
            return Err(Failure::Usage("--transfers must be at least 1".into()));
        }
        o.transfers = t;
    }
    if let Some(c) = common.chunk_size {
        if c == 0 {
            return Err(Failure::Usage("--chunk-size must be more than 0".into()));
        }
        o.chunk_size = Some(c);
    }
    o.bwlimit = common.bwlimit.clone();
    if let Some(r) = common.access.retries {
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

/// A resolved command-line location, and where it is on this machine when it is local.
#[derive(Debug, Clone)]
pub struct Place {
    pub location: Location,
    /// The directory or file, for local places: what a listing cannot tell (does it exist,
    /// is it a file) is asked of the file system.
    pub local: Option<PathBuf>,
    /// For remote places, the remote's name (`remote` of `remote,opt=v:path`, options
    /// aside) and the clean path (`bucket/dir`): what [`super::overlap`] compares, as
    /// rclone's `SameConfig` and roots.
    pub remote: Option<(String, String)>,
}

/// Turns command-line location arguments into [`Place`]s. The config file is read only when
/// an argument names a remote, and then once; the `RCLONE_*` environment is read with it.
#[derive(Debug)]
pub struct Resolver {
    path: Option<PathBuf>,
    remotes: Option<Remotes>,
    retry: RetryPolicy,
}

impl Resolver {
    pub fn new(config: Option<PathBuf>, retry: &RetryPolicy) -> Self {
        Resolver {
            path: config,
            remotes: None,
            retry: *retry,
        }
    }

    /// The config file's sections (kept raw: only a section that is used must be of a type
    /// Ferry has) and the environment's remotes.
    fn remotes(&mut self) -> Result<&Remotes> {
        if self.remotes.is_none() {
            let file = match self.path.clone().or_else(default_config_path) {
                Some(path) => file_sections(&path)?,
                None => Default::default(),
            };
            self.remotes = Some(Remotes::with_process_env(file));
        }
        Ok(self.remotes.get_or_insert_default())
    }

    /// The whole config, every section checked: what the API's job form (`upload`,
    /// `download`) is given.
    pub fn config(&mut self) -> Result<Config> {
        let path = self.path.clone().or_else(default_config_path);
        Ok(match path {
            Some(path) => ferry::config::load_file(&path)?,
            None => Config::default(),
        })
    }

    /// A command-line location, as rclone reads it: `remote:path`, `remote,opt=v:path`,
    /// `:backend,opt=v:path`, else a local path. An argument that names an existing local
    /// path is that path unless it starts with `:` (write `./a:b` for a local `a:b`).
    pub fn place(&mut self, arg: &str) -> Result<Place> {
        let spec = remote::parse(arg).map_err(|e| Failure::Usage(e.to_string()))?;
        let spec = match spec {
            Some(spec) if arg.starts_with(':') || !Path::new(arg).exists() => spec,
            _ => {
                return Ok(Place {
                    location: Location::local(arg),
                    local: Some(PathBuf::from(arg)),
                    remote: None,
                });
            }
        };
        let retry = self.retry;
        let remotes = self.remotes()?;
        if spec.on_the_fly().is_none() && !remotes.knows(&spec.name) {
            return Err(Failure::Ferry(ferry::Error::BadConfig(format!(
                "{}:{}: no remote {:?} in the config or the environment (give --config FILE, or write ./{}:{} for a local path)",
                spec.name, spec.path, spec.name, spec.name, spec.path
            ))));
        }
        let section = remotes.section(&spec)?;
        place_of(&spec, section, &retry)
    }
}

/// The place a parsed remote names, with its section resolved.
fn place_of(
    spec: &RemoteSpec,
    section: ferry::config::Section,
    retry: &RetryPolicy,
) -> Result<Place> {
    // Repository rules (a clean path; an absolute one for local sections) are applied under
    // a stand-in name: `normalise` splits at the first colon, and `:s3` has one.
    let mut stand_in = section.clone();
    stand_in.name = "remote".into();
    let mut lookup = Config::default();
    lookup.insert(stand_in);
    let mut repo =
        normalise(&format!("remote:{}", spec.path), &lookup, "/").map_err(ferry::Error::from)?;
    repo.section = spec.name.clone();
    let local = (section.kind == BackendKind::Local).then(|| PathBuf::from(&repo.path));
    let mut config = Config::default();
    config.insert(section);
    let mut location = resolve_location(&repo, &config, retry)?;
    location.display = format!("{}:{}", remote::display_name(spec), repo.path);
    let remote = local
        .is_none()
        .then(|| (spec.name.clone(), repo.path.trim_matches('/').to_owned()));
    Ok(Place {
        location,
        local,
        remote,
    })
}

/// What a SRC argument names, found by looking (rclone's `NewFsFile`): a directory tree, or
/// one file, which is then copied (listed, read) alone.
#[derive(Debug)]
pub enum Source {
    /// A directory and every file below it, keys relative to it.
    Tree {
        location: Location,
        files: Vec<ObjectInfo>,
    },
    /// One file: the directory it is in, and its entry there.
    File { parent: Location, file: ObjectInfo },
}

impl Source {
    /// Where the files are, and the files.
    pub fn into_parts(self) -> (Location, Vec<ObjectInfo>) {
        match self {
            Source::Tree { location, files } => (location, files),
            Source::File { parent, file } => (parent, vec![file]),
        }
    }
}

/// Looks at what `place` names. Nothing there is [`Failure::DirNotFound`] (exit 3): a
/// missing source must never look like an empty one.
pub async fn source(place: &Place) -> Result<Source> {
    let location = &place.location;
    let missing = || Failure::DirNotFound(location.display.clone());
    if let Some(path) = &place.local {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(ferry::Error::io(path, e).into()),
            Ok(m) if m.is_file() => {
                let (parent, name) = local_parent(path)?;
                return Ok(Source::File {
                    parent,
                    file: ObjectInfo {
                        key: name,
                        size: m.len(),
                    },
                });
            }
            Ok(_) => {}
        }
    }
    let files = location.backend.list(&location.root).await.map_err(|e| {
        if e.is_not_found() {
            missing()
        } else {
            e.into()
        }
    })?;
    if !files.is_empty() || place.local.is_some() {
        return Ok(Source::Tree {
            location: location.clone(),
            files,
        });
    }
    // An object store has no directories: an empty listing is a file of that name, the
    // (existing, empty) bucket itself, or nothing.
    let Some((parent, name)) = split_root(&location.root) else {
        return Ok(Source::Tree {
            location: location.clone(),
            files,
        });
    };
    // The listing just worked, so a failing look at the key says no file either (s3s-fs
    // answers 500 for a key that is an emptied directory on its disk); asked once, as the
    // answer only chooses between two ways of saying "nothing here".
    let stat = location.backend.stat(&location.root).await;
    if let Err(e) = &stat {
        tracing::debug!(error = %e, "no object at {}", location.display);
    }
    match stat.ok().flatten() {
        Some(stat) => Ok(Source::File {
            parent: Location {
                root: parent.to_owned(),
                display: location.display.clone(),
                ..location.clone()
            },
            file: ObjectInfo {
                key: name.to_owned(),
                size: stat.size,
            },
        }),
        None => Err(missing()),
    }
}

/// `a/b/c` → (`a/b`, `c`); `c` → (``, `c`); `` → none.
fn split_root(root: &str) -> Option<(&str, &str)> {
    if root.is_empty() {
        return None;
    }
    Some(root.rsplit_once('/').unwrap_or(("", root)))
}

/// A DST that names a file (`copyto`, `moveto`): the directory it is in and its name, as
/// rclone's `NewFsDstFile` splits it. A bucket alone names no file.
pub fn file_target(place: &Place) -> Result<(Location, String)> {
    if let Some(path) = &place.local {
        return local_parent(path);
    }
    let location = &place.location;
    let (parent, name) = split_root(&location.root)
        .ok_or_else(|| Failure::Usage(format!("{}: not a file name", location.display)))?;
    let display = location
        .display
        .trim_end_matches(name)
        .trim_end_matches('/');
    Ok((
        Location {
            root: parent.to_owned(),
            display: display.to_owned(),
            ..location.clone()
        },
        name.to_owned(),
    ))
}

/// A local file's directory (`.` for a bare name) and its name.
fn local_parent(path: &Path) -> Result<(Location, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Failure::Usage(format!("{}: not a file name", path.display())))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((Location::local(parent), name.to_owned()))
}

/// The files `filter` includes (rclone's filters apply to every listing a command uses).
pub fn filtered(mut files: Vec<ObjectInfo>, filter: &ferry::filter::Filter) -> Vec<ObjectInfo> {
    if !filter.is_empty() {
        files.retain(|f| filter.include(&f.key, f.size));
    }
    files
}
