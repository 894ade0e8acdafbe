//! A server that never answers: it accepts TCP connections on loopback, reads nothing,
//! writes nothing, and holds them until it is dropped. A store pointed at it stalls in
//! whatever request it makes first (a listing, a `META` read).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A running silent server.
#[derive(Debug)]
pub struct Silent {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub async fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Silent {
            addr,
            accepted,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// An S3 config (section `S3`) whose endpoint is this server; the repository is
    /// `S3:bucket/backups`.
    pub fn s3_config(&self) -> Value {
        json!({"S3": {
            "type": "s3", "provider": "Other", "endpoint": format!("http://{}", self.addr),
            "access_key_id": "AKIDSILENT", "secret_access_key": "silent-secret",
            "region": "us-east-1", "force_path_style": true,
        }})
    }
}

/// The repository string of [`Silent::s3_config`].
pub const REPO: &str = "S3:bucket/backups";

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}
