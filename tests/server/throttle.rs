//! A bandwidth-limited TCP proxy in front of a storage server, so that a transfer is slow
//! enough to be caught in the middle (aborted, or its server killed), whatever the disk.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// A running proxy; stops (and drops its connections) when dropped.
#[derive(Debug)]
pub struct Throttle {
    pub addr: SocketAddr,
    budget: Arc<Budget>,
    task: tokio::task::JoinHandle<()>,
}

/// One budget shared by every connection and direction: `rate` bytes per second.
#[derive(Debug)]
struct Budget {
    rate: u64,
    next: Mutex<Instant>,
    /// Bytes passed towards the storage server, and back, on connections of the current
    /// generation.
    up: AtomicU64,
    down: AtomicU64,
    generation: AtomicU64,
}

impl Budget {
    /// Waits until `n` more bytes may pass.
    async fn take(&self, n: usize) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + Duration::from_secs_f64(n as f64 / self.rate as f64);
            *next
        };
        tokio::time::sleep_until(at).await;
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    budget: Arc<Budget>,
    up: bool,
    generation: u64,
) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if budget.generation.load(Ordering::SeqCst) == generation {
            let counter = if up { &budget.up } else { &budget.down };
            counter.fetch_add(n as u64, Ordering::SeqCst);
        }
        budget.take(n).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Throttle {
    /// Proxies `127.0.0.1:<new port>` to `upstream` (`http://host:port`) at `rate` bytes/s.
    pub async fn start(upstream: &str, rate: u64) -> Throttle {
        let url = url::Url::parse(upstream).expect("endpoint URL");
        let target = format!(
            "{}:{}",
            url.host_str().expect("host"),
            url.port_or_known_default().expect("port")
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let budget = Arc::new(Budget {
            rate,
            next: Mutex::new(Instant::now()),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        });
        let shared = budget.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let budget = budget.clone();
                let generation = budget.generation.load(Ordering::SeqCst);
                connections.spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(
                        pump(cr, sw, budget.clone(), true, generation),
                        pump(sr, cw, budget.clone(), false, generation)
                    );
                });
            }
        });
        Throttle {
            addr,
            budget: shared,
            task,
        }
    }

    /// Starts counting afresh, on connections accepted from now on only (bytes still
    /// buffered on older connections, e.g. of a killed client, are not counted).
    pub fn new_generation(&self) {
        self.budget.generation.fetch_add(1, Ordering::SeqCst);
        self.budget.up.store(0, Ordering::SeqCst);
        self.budget.down.store(0, Ordering::SeqCst);
    }

    /// Bytes passed towards the storage server (`true`) or from it (`false`) on
    /// connections of the current generation.
    pub fn bytes(&self, up: bool) -> u64 {
        let counter = if up {
            &self.budget.up
        } else {
            &self.budget.down
        };
        counter.load(Ordering::SeqCst)
    }

    /// The endpoint to put in a config section.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Throttle {
    fn drop(&mut self) {
        // Aborting the accept loop drops the JoinSet, which aborts every connection.
        self.task.abort();
    }
}
