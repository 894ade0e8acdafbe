//! Request bodies sent to the real router of `ferry serve`, in process (`tower::oneshot`).
//!
//! The server state lives in a temporary directory (`$TMPDIR`; `fuzz/run` points it at
//! tmpfs): a data directory with one small file, an empty backup directory, and a local path
//! prefix inside the temporary directory. Whatever a request makes is undone at once so that
//! a million runs stay as cheap as the first: a created backup is deleted, a started job is
//! aborted, and after [`JOBS_PER_STATE`] started jobs the whole state is replaced.
//! Storage clients are pointed at a closed proxy port, so no request ever leaves the machine.

use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use ferry::backup::CreateOptions;
use ferry::engine::Options;
use ferry::retry::RetryPolicy;
use ferry::server::{AppState, ServerConfig, auth::Auth, router};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// Longest a request may take before it counts as a hang.
const ANSWER: Duration = Duration::from_secs(10);

/// Started jobs (each keeps a record on disk and in memory) before the state is replaced.
const JOBS_PER_STATE: usize = 256;

/// One in-process server: its router, its state and the directory holding both.
struct Server {
    router: Router,
    state: Arc<AppState>,
    jobs_started: usize,
    _dir: tempfile::TempDir,
}

impl Server {
    fn open(runtime: &Runtime) -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir).expect("mkdir data");
        std::fs::write(data_dir.join("000001.sst"), b"fuzz").expect("write data");
        let prefix = dir.path().join("repos");
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir,
            backup_dir: dir.path().join("backups"),
            local_path_prefix: prefix.to_string_lossy().into_owned(),
            state_dir: dir.path().join("state"),
            create: CreateOptions::default(),
            transfer: Options {
                retry: RetryPolicy {
                    max_retries: 0,
                    ..RetryPolicy::quick()
                },
                state_dir: dir.path().join("state"),
                ..Options::default()
            },
            auth: Auth::default(),
        };
        let _runtime = runtime.enter();
        let state = AppState::open(&config).expect("server state");
        Server {
            router: router(state.clone(), Auth::default()),
            state,
            jobs_started: 0,
            _dir: dir,
        }
    }
}

struct Harness {
    runtime: Runtime,
    server: Mutex<Server>,
}

/// Bodies of the last jobs started. A job runs in a task of its own while the fuzzer goes
/// on, so a panic in it is reported with a later input (often an empty one): the panic
/// hook prints these too, and one of them is the culprit.
static RECENT_JOBS: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// How many of [`RECENT_JOBS`] are kept.
const RECENT: usize = 32;

fn print_recent_jobs_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(jobs) = RECENT_JOBS.try_lock() {
            eprintln!(
                "== bodies of the last {} jobs started, newest last:",
                jobs.len()
            );
            for body in jobs.iter() {
                eprintln!("{body}");
            }
        }
        previous(info);
    }));
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    print_recent_jobs_on_panic();
    // Read by reqwest when a storage client is built; set before any thread is started.
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ] {
        // SAFETY: runs once, on the fuzzing thread, before the runtime starts any thread.
        unsafe { std::env::set_var(var, "http://127.0.0.1:9") }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = Mutex::new(Server::open(&runtime));
    Harness { runtime, server }
});

/// Sends `body` to `POST /_admin/backup/<op>` (under `/_db/_system` for odd lengths, so both
/// prefixes are covered) and checks the answer; then undoes what the request made.
pub fn post(op: &str, body: &[u8]) {
    let harness = &*HARNESS;
    let mut server = harness.server.lock().unwrap_or_else(|p| p.into_inner());
    let prefix = if body.len().is_multiple_of(2) {
        ""
    } else {
        "/_db/_system"
    };
    let path = format!("{prefix}/_admin/backup/{op}");
    let (status, answer) = harness
        .runtime
        .block_on(send(&server.router, &path, body.to_vec()));
    check_answer(status, &answer, body);
    match (op, status) {
        ("create", 201) => {
            let id = answer["result"]["id"].clone();
            let (status, answer) = harness.runtime.block_on(send(
                &server.router,
                "/_admin/backup/delete",
                json!({ "id": id }).to_string().into_bytes(),
            ));
            assert_eq!(status, 200, "deleting the backup just created: {answer}");
        }
        ("upload" | "download", 202) => {
            let attr = format!("{op}Id");
            let Some(job) = answer["result"][&attr].as_str() else {
                return; // An abort: nothing was started.
            };
            {
                let mut recent = RECENT_JOBS.lock().unwrap_or_else(|p| p.into_inner());
                if recent.len() >= RECENT {
                    recent.pop_front();
                }
                recent.push_back(String::from_utf8_lossy(body).into_owned());
            }
            let abort = json!({ attr: job, "abort": true }).to_string().into_bytes();
            let (status, answer) = harness.runtime.block_on(send(&server.router, &path, abort));
            assert_eq!(status, 202, "aborting the job just started: {answer}");
            server.jobs_started += 1;
            if server.jobs_started >= JOBS_PER_STATE {
                harness.runtime.block_on(server.state.jobs.shutdown());
                *server = Server::open(&harness.runtime);
            }
        }
        _ => {}
    }
}

async fn send(router: &Router, path: &str, body: Vec<u8>) -> (u16, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = match tokio::time::timeout(ANSWER, router.clone().oneshot(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => panic!("POST {path}: no answer within {ANSWER:?}"),
    };
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("response body");
    let answer = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "POST {path}: {status} answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, answer)
}

/// ArangoDB's envelope, never a 5xx, and 400/600 for any body that is neither empty nor a
/// JSON object (behaviour spec §1).
fn check_answer(status: u16, answer: &Value, body: &[u8]) {
    let shown = String::from_utf8_lossy(body);
    assert!(status < 500, "{status} for body {shown:?}: {answer}");
    assert_eq!(answer["code"], status, "{answer}");
    assert_eq!(answer["error"], status >= 400, "{answer}");
    if status >= 400 {
        assert!(answer["errorNum"].is_i64(), "{answer}");
        assert!(answer["errorMessage"].is_string(), "{answer}");
    } else {
        assert!(answer["result"].is_object(), "{answer}");
    }
    let empty = body.iter().all(u8::is_ascii_whitespace);
    let object = matches!(serde_json::from_slice::<Value>(body), Ok(Value::Object(_)));
    if !empty && !object {
        assert_eq!(status, 400, "body {shown:?}: {answer}");
        assert_eq!(answer["errorNum"], 600, "body {shown:?}: {answer}");
    }
}
