//! The results of ArangoDB-style async requests (`x-arango-async: store`), kept until the
//! client fetches or deletes them.
//!
//! ArangoDB keeps them in memory: a restart loses every one. Ferry keeps each in
//! `<state-dir>/async/<id>.json` (mode 0600, written atomically) because the request that
//! matters most is a create: kube-arangodb creates asynchronously, and a create whose
//! answer is lost leaves a backup nobody tracks while the operator makes another. A graceful stop
//! waits for the requests running; one still running when the server died cannot be
//! finished by the next start, and its stored answer becomes 503 (errorNum 30) saying so. Limits (docs/clients.md): at most
//! [`MAX_RUNNING`] requests running and [`MAX_KEPT`] results kept; past either, a new
//! async request is refused with 503, errorNum 21 (queue full) as ArangoDB refuses one, and
//! nothing is done. Finished results are dropped after the jobs' retention
//! ([`crate::jobs::Limits`]), at the start and on the server's schedule ([`AsyncStore::prune`]):
//! otherwise [`MAX_KEPT`] results nobody fetched would refuse every new request until a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio_util::task::TaskTracker;

use crate::{Error, Result};

/// Async requests running at once.
pub const MAX_RUNNING: usize = 64;

/// Results (running and finished) kept at once.
pub const MAX_KEPT: usize = 1024;

/// An answer as it will be replayed: status, headers, body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Base64 (answers are JSON, but a result is replayed byte for byte).
    body: String,
}

impl Stored {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> Self {
        Stored {
            status,
            headers,
            body: base64::engine::general_purpose::STANDARD.encode(body),
        }
    }

    pub fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body)
            .unwrap_or_default()
    }
}

/// One async request: running (`answer` none) or finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    id: u64,
    /// Unix time (seconds) the request was accepted; `DELETE /_api/job/expired` compares it.
    created: f64,
    /// Stored (`store`) or not (`true`: run and forget).
    keep: bool,
    answer: Option<Stored>,
}

/// What the job API sees of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Unknown,
    Pending,
    Done(Stored),
}

/// Why a request was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    QueueFull,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    /// How long a result is kept.
    retention: Duration,
    jobs: Mutex<BTreeMap<u64, Record>>,
    /// The last id issued, also in `<dir>/last-id` so that ids are never reused.
    last: Mutex<u64>,
    /// The requests running, waited for at a graceful stop.
    tracker: TaskTracker,
}

/// The async requests of one server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AsyncStore {
    inner: Arc<Inner>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// The answer of a request the server's stop interrupted.
fn interrupted() -> Stored {
    let body = serde_json::json!({
        "error": true, "code": 503, "errorNum": crate::ErrorNum::ShuttingDown.code(),
        "errorMessage": "the server stopped before this request finished: it may not have \
                         taken effect (list the backups to see)",
    });
    Stored::new(
        503,
        vec![("content-type".into(), "application/json".into())],
        body.to_string().as_bytes(),
    )
}

impl AsyncStore {
    /// Reads the kept results under `state_dir`; requests interrupted by a stop are answered
    /// as such, results older than the retention are dropped.
    pub fn open(state_dir: &Path, retention: Duration) -> Result<Self> {
        let dir = state_dir.join("async");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let last_file = dir.join("last-id");
        let mut last: u64 = std::fs::read_to_string(&last_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let mut jobs = BTreeMap::new();
        let cutoff = now() - retention.as_secs_f64();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let record = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Record>(&b).ok());
            let Some(mut record) = record else {
                tracing::warn!(path = %path.display(), "unreadable async job record skipped");
                continue;
            };
            last = last.max(record.id);
            if record.created < cutoff {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            if record.answer.is_none() {
                record.answer = Some(interrupted());
                save(&dir, &record)?;
            }
            jobs.insert(record.id, record);
        }
        Ok(AsyncStore {
            inner: Arc::new(Inner {
                dir,
                retention,
                jobs: Mutex::new(jobs),
                last: Mutex::new(last),
                tracker: TaskTracker::new(),
            }),
        })
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Record>> {
        self.inner.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new request (`keep`: its answer is stored); its id.
    pub fn accept(&self, keep: bool) -> Result<u64, Refused> {
        let mut jobs = self.jobs();
        let running = jobs.values().filter(|r| r.answer.is_none()).count();
        if running >= MAX_RUNNING || jobs.len() >= MAX_KEPT {
            return Err(Refused::QueueFull);
        }
        let id = {
            let mut last = self.inner.last.lock().unwrap_or_else(|p| p.into_inner());
            *last += 1;
            let file = self.inner.dir.join("last-id");
            if let Err(e) = std::fs::write(&file, last.to_string()) {
                tracing::error!(error = %e, "could not record the last async job id");
            }
            *last
        };
        let record = Record {
            id,
            created: now(),
            keep,
            answer: None,
        };
        if keep && let Err(e) = save(&self.inner.dir, &record) {
            tracing::error!(job = id, error = %e, "could not save an async job record");
        }
        jobs.insert(id, record);
        Ok(id)
    }

    /// Runs request `id` in the background and stores its answer.
    pub fn run(&self, id: u64, work: impl Future<Output = Stored> + Send + 'static) {
        let this = self.clone();
        self.inner.tracker.spawn(async move {
            let answer = work.await;
            this.finish(id, answer);
        });
    }

    /// A graceful stop: waits until the requests running have finished and their answers
    /// are kept, as the server waits for a request answered directly.
    pub async fn shutdown(&self) {
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    /// Stores the answer of request `id`; a request deleted meanwhile, or not kept, is
    /// forgotten.
    fn finish(&self, id: u64, answer: Stored) {
        let mut jobs = self.jobs();
        let Some(record) = jobs.get_mut(&id) else {
            return;
        };
        if !record.keep {
            jobs.remove(&id);
            return;
        }
        record.answer = Some(answer);
        if let Err(e) = save(&self.inner.dir, record) {
            tracing::error!(job = id, error = %e, "could not save an async job result");
        }
    }

    /// The state of request `id`; with `take`, a finished one is removed (fetched once).
    pub fn lookup(&self, id: u64, take: bool) -> Lookup {
        let mut jobs = self.jobs();
        let answer = match jobs.get(&id) {
            Some(r) if r.keep => r.answer.clone(),
            _ => return Lookup::Unknown,
        };
        match answer {
            None => Lookup::Pending,
            Some(answer) => {
                if take {
                    jobs.remove(&id);
                    self.forget(id);
                }
                Lookup::Done(answer)
            }
        }
    }

    /// Ids of finished (`done`) or running requests whose answer is kept, oldest first.
    pub fn ids(&self, done: bool, count: usize) -> Vec<u64> {
        self.jobs()
            .values()
            .filter(|r| r.keep && r.answer.is_some() == done)
            .map(|r| r.id)
            .take(count)
            .collect()
    }

    /// Deletes the results of the requests `which` selects (a running one goes on, and its
    /// answer is dropped); how many there were.
    pub fn delete(&self, which: impl Fn(u64, f64) -> bool) -> usize {
        let mut jobs = self.jobs();
        let gone: Vec<u64> = jobs
            .values()
            .filter(|r| r.keep && which(r.id, r.created))
            .map(|r| r.id)
            .collect();
        for id in &gone {
            jobs.remove(id);
            self.forget(*id);
        }
        gone.len()
    }

    /// Forgets the finished results older than the retention; the server calls it on a
    /// schedule.
    pub fn prune(&self) {
        let cutoff = now() - self.inner.retention.as_secs_f64();
        let mut jobs = self.jobs();
        let old: Vec<u64> = (jobs.values())
            .filter(|r| r.answer.is_some() && r.created < cutoff)
            .map(|r| r.id)
            .collect();
        for id in old {
            jobs.remove(&id);
            self.forget(id);
        }
    }

    /// Whether request `id` is known (kept, running or finished).
    pub fn known(&self, id: u64) -> bool {
        self.jobs().get(&id).is_some_and(|r| r.keep)
    }

    fn forget(&self, id: u64) {
        let path = self.inner.dir.join(format!("{id}.json"));
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "could not remove an async job record");
        }
    }
}

/// Writes a record atomically, readable by the owner only (an answer may name paths).
fn save(dir: &Path, record: &Record) -> Result<()> {
    let data = serde_json::to_vec(record).map_err(|e| Error::Other(e.to_string()))?;
    crate::durable::write_private(dir, &format!("{}.json", record.id), &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Stored {
        Stored::new(
            status,
            vec![("content-type".into(), "text/plain".into())],
            b"ok",
        )
    }

    #[test]
    fn results_are_fetched_once_and_survive_a_restart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = AsyncStore::open(tmp.path(), crate::jobs::RETENTION).expect("open");
        let (a, b, c) = (
            store.accept(true).expect("a"),
            store.accept(true).expect("b"),
            store.accept(false).expect("c"),
        );
        assert!(a < b && b < c);
        assert_eq!(store.lookup(a, false), Lookup::Pending);
        store.finish(a, answer(201));
        store.finish(c, answer(200));
        assert_eq!(store.lookup(c, true), Lookup::Unknown, "not kept");
        assert_eq!(store.ids(true, 100), [a]);
        assert_eq!(store.ids(false, 100), [b]);
        drop(store);

        let store = AsyncStore::open(tmp.path(), crate::jobs::RETENTION).expect("reopen");
        assert_eq!(store.lookup(a, false), Lookup::Done(answer(201)));
        let Lookup::Done(stopped) = store.lookup(b, false) else {
            panic!("a running request is answered after a restart");
        };
        assert_eq!(stopped.status, 503);
        assert_eq!(store.lookup(a, true), Lookup::Done(answer(201)));
        assert_eq!(store.lookup(a, true), Lookup::Unknown, "fetched once");
        assert!(store.accept(true).expect("d") > c, "ids are not reused");
        assert_eq!(store.delete(|_, _| true), 2);
        assert!(store.ids(true, 100).is_empty());
    }

    #[test]
    fn finished_results_past_the_retention_are_pruned_and_running_ones_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = AsyncStore::open(tmp.path(), Duration::ZERO).expect("open");
        let (done, running) = (
            store.accept(true).expect("a"),
            store.accept(true).expect("b"),
        );
        store.finish(done, answer(200));
        // The clock moves past the acceptance (a retention of zero, strictly older).
        std::thread::sleep(Duration::from_millis(5));
        store.prune();
        assert_eq!(store.lookup(done, false), Lookup::Unknown);
        assert_eq!(store.lookup(running, false), Lookup::Pending);
        assert!(!tmp.path().join(format!("async/{done}.json")).exists());
        assert!(tmp.path().join(format!("async/{running}.json")).exists());
    }

    #[test]
    fn too_many_running_requests_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = AsyncStore::open(tmp.path(), crate::jobs::RETENTION).expect("open");
        for _ in 0..MAX_RUNNING {
            store.accept(false).expect("accepted");
        }
        assert_eq!(store.accept(true), Err(Refused::QueueFull));
    }
}
