//! A DB server that cannot be reached: list gives up with 7012, create with 7010, and
//! nothing is left behind on the servers that could be reached.

use serde_json::json;

use crate::fixture::{Cluster, dead_url};
use crate::harness::{Options, Server};

#[tokio::test]
async fn list_and_create_with_a_db_server_down() {
    let cluster = Cluster::start(2).await;
    let mut urls: Vec<String> = cluster.dbservers.iter().map(|s| s.url("")).collect();
    urls.push(dead_url());
    let c = Server::with(Options {
        args: crate::fixture::coordinator_args(&urls),
        empty: true,
        ..Options::default()
    })
    .await;
    let message = c.fails("list", json!({}), 503, 7012).await;
    assert!(message.contains(&urls[2]), "{message}");
    c.fails("create", json!({"timeout": 3}), 503, 7010).await;
    for s in &cluster.dbservers {
        assert_eq!(s.list().await["list"], json!({}));
    }
    // The DB servers' locks were released: the reachable cluster still takes backups.
    cluster.coordinator.create_id("after").await;
}

#[tokio::test]
async fn a_db_server_down_then_back_is_listed_again() {
    let mut cluster = Cluster::start(2).await;
    let id = cluster.coordinator.create_id("kept").await;
    cluster.dbservers[1].kill();
    cluster
        .coordinator
        .fails("list", json!({}), 503, 7012)
        .await;
    cluster.dbservers[1].launch().await;
    // It listens on a new port: a coordinator that knows it there.
    let c = Cluster::coordinator_of(&cluster.dbservers, &[]).await;
    assert_eq!(c.list().await["list"][id.as_str()]["available"], true);
}
