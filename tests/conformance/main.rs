//! One conformance suite, every backend: the same cases run against each real storage server
//! that `backends/run` started (S3: s3s-fs, moto, LocalStack, rclone serve s3, Garage; Azure: Azurite;
//! GCS: fake-gcs-server), each case under a random prefix. Backends differ only through the
//! capabilities declared in [`servers`].
//!
//! A server whose settings are missing fails its tests loudly: run this suite through
//! README's test command, which starts every server.
//!
//! Ferry's in-memory store runs the suite too, with no server (`cargo test --test
//! conformance memory`): a complement to the real servers, never a replacement. It runs the
//! cases that stay in this process; the ones that kill or interrupt the `ferry` binary need a
//! store another process can reach (tests/engine covers resume and abort on it in-process).

mod cases;
#[path = "../common/mod.rs"]
mod common;
mod servers;

/// A module `name` of the cases that run in this process against `server`, and `extra` tests.
macro_rules! suite {
    ($name:ident => $server:expr, { $($extra:item)* }) => {
        mod $name {
            use super::cases;
            use super::servers::Server;

            fn server() -> Server {
                $server
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn basics() {
                cases::basics(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tree_round_trip() {
                cases::tree_round_trip(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn incremental_server_side_copy() {
                cases::incremental_server_side_copy(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn corrupted_object_detected() {
                cases::corrupted_object_detected(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn resume_with_dropped_upload() {
                cases::resume_with_dropped_upload(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn through_faults() {
                cases::through_faults(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn resume_aborts_unjournalled_upload() {
                cases::resume_aborts_unjournalled_upload(&server()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn lost_create_answer_leaves_no_upload() {
                cases::lost_create_answer_leaves_no_upload(&server()).await;
            }

            $($extra)*
        }
    };
}

/// Every case, including those that run the `ferry` binary, for each real server.
macro_rules! conformance {
    ($($name:ident => $server:expr),* $(,)?) => {
        $(
            suite!($name => $server, {
                #[test]
                fn resume_upload_after_kill() {
                    cases::resume_after_kill(&server(), cases::Direction::Upload);
                }

                #[test]
                fn resume_download_after_kill() {
                    cases::resume_after_kill(&server(), cases::Direction::Download);
                }

                #[test]
                fn cleanup_aborts_old_uploads() {
                    cases::cleanup_aborts_old_uploads(&server());
                }

                #[test]
                fn interrupt_keeps_and_cleanup_discards() {
                    cases::interrupt_keeps_and_cleanup_discards(&server());
                }
            });
        )*
    };
}

conformance! {
    s3s_fs => Server::s3("s3s-fs", "S3S", false),
    moto => Server::s3("moto", "MOTO", true).with_fake_upload_times(),
    localstack => Server::s3("localstack", "LOCALSTACK", true),
    rclone_s3 => Server::s3("rclone serve s3", "RCLONE_S3", true),
    azurite => Server::azurite(),
    fake_gcs => Server::fake_gcs(),
    garage => Server::s3("garage", "GARAGE", true),
}

suite!(memory => Server::memory(), {});
