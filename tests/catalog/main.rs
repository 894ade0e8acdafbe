//! Repository management (`ferry backups`, `verify`, `prune`: `ferry::catalog`) on a local
//! repository and on every real storage server `backends/run` starts; and the retention
//! policy against restic's own results.

mod cases;
mod cli;
mod cluster;
#[path = "../common/mod.rs"]
mod common;
mod fixture;
mod lock;
mod policy;
#[path = "../conformance/servers.rs"]
#[allow(dead_code)]
mod servers;

macro_rules! repository_cases {
    ($($name:ident => $repo:expr),* $(,)?) => {
        $(
            mod $name {
                use super::cases;
                #[allow(unused_imports)]
                use super::servers::{Server, random_prefix};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn listing_states() {
                    let (repo, _tmp) = $repo;
                    cases::listing_states(repo).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn verify_finds_damage() {
                    let (repo, _tmp) = $repo;
                    cases::verify_finds_damage(repo).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn prune_by_policy() {
                    let (repo, _tmp) = $repo;
                    cases::prune_by_policy(repo).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn prune_incomplete_and_damaged() {
                    let (repo, _tmp) = $repo;
                    cases::prune_incomplete_and_damaged(repo).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn cluster_backups() {
                    let (repo, _tmp) = $repo;
                    super::cluster::cluster_backups(repo).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn dry_run_every_policy() {
                    let (repo, _tmp) = $repo;
                    cases::dry_run_every_policy(repo).await;
                }
            }
        )*
    };
}

/// A repository on a local path, and the directory that holds it.
fn local() -> (ferry::store::Location, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("tempdir");
    (ferry::store::Location::local(tmp.path().join("repo")), tmp)
}

/// A repository in a fresh in-memory store (a strict S3).
fn memory() -> (ferry::store::Location, ()) {
    let store = std::sync::Arc::new(ferry::store::memory::MemoryBackend::new());
    (store.location("repo"), ())
}

/// A repository under a fresh prefix of a real server.
fn on(server: servers::Server) -> (ferry::store::Location, ()) {
    (server.location(&servers::random_prefix("catalog")), ())
}

repository_cases! {
    local => super::local(),
    memory => super::memory(),
    s3s_fs => super::on(Server::s3("s3s-fs", "S3S", false)),
    moto => super::on(Server::s3("moto", "MOTO", true)),
    localstack => super::on(Server::s3("localstack", "LOCALSTACK", true)),
    rclone_s3 => super::on(Server::s3("rclone serve s3", "RCLONE_S3", true)),
    azurite => super::on(Server::azurite()),
    fake_gcs => super::on(Server::fake_gcs()),
}
