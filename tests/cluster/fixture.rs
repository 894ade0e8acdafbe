//! Three DB servers and a coordinator in front of them.

use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Options, Server};

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    pub dbservers: Vec<Server>,
    pub coordinator: Server,
}

/// An address nothing listens on.
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// `serve` flags of a coordinator in front of `urls`.
pub fn coordinator_args(urls: &[String]) -> Vec<String> {
    let mut args: Vec<String> = urls
        .iter()
        .flat_map(|u| ["--dbserver".to_owned(), u.clone()])
        .collect();
    // Unreachable servers are given up quickly in tests (ArangoDB: 120 s).
    args.extend(["--dbserver-retry".to_owned(), "1".to_owned()]);
    args
}

impl Cluster {
    /// `n` DB servers on sample data (each different) and a coordinator; `extra` flags for
    /// every process (authentication).
    pub async fn start_with(n: usize, extra: &[String]) -> Cluster {
        let mut dbservers = Vec::new();
        for i in 0..n {
            let server = Server::with(Options {
                args: extra.to_vec(),
                ..Options::default()
            })
            .await;
            crate::common::write(
                &server.data.join(format!("engine-rocksdb/piece-{i}.sst")),
                &crate::common::bytes(100 + i as u64, 10_000 * (i + 1)),
            );
            dbservers.push(server);
        }
        let coordinator = Cluster::coordinator_of(&dbservers, extra).await;
        Cluster {
            dbservers,
            coordinator,
        }
    }

    pub async fn start(n: usize) -> Cluster {
        Cluster::start_with(n, &[]).await
    }

    pub async fn coordinator_of(dbservers: &[Server], extra: &[String]) -> Server {
        let urls: Vec<String> = dbservers.iter().map(|s| s.url("")).collect();
        let mut args = coordinator_args(&urls);
        args.extend(extra.iter().cloned());
        Server::with(Options {
            args,
            empty: true,
            ..Options::default()
        })
        .await
    }

    /// Where DB server `i` keeps its piece of `id`.
    pub fn piece(&self, i: usize, id: &str) -> PathBuf {
        self.dbservers[i].backups.join(id)
    }

    /// DB server `i`'s own list entry of `id` (its piece), if it has one.
    pub async fn local_entry(&self, i: usize, id: &str) -> Option<Value> {
        let list = self.dbservers[i].list().await;
        list["list"].get(id).cloned()
    }

    /// The id of DB server `i` as a DB server (`PRMR-…`), from its internal route.
    pub async fn prmr_id(&self, i: usize) -> String {
        let (code, answer) = self.dbservers[i]
            .post("/_ferry/cluster/id", serde_json::json!({}))
            .await;
        assert_eq!(code, 200, "{answer}");
        answer["result"]["id"].as_str().expect("id").to_owned()
    }
}
