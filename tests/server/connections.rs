//! Issue 12, item 5: connections that never send a request cannot starve the server. 300
//! idle or half-sent connections do not keep an authorised request from its answer; the
//! server closes them after `--header-read-timeout`; past `--max-connections`, a connection
//! waits to be accepted until one of those is closed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Options, Server, TIMEOUT};

const PASSWORD: &str = "connections-pa55word";

/// A server requiring basic auth, with extra flags.
async fn server(root: &tempfile::TempDir, args: &[&str]) -> Server {
    let file = root.path().join("pw");
    std::fs::write(&file, PASSWORD).expect("write");
    let mut all = vec!["--password-file".to_owned(), file.display().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    Server::with(Options {
        args: all,
        ..Options::default()
    })
    .await
}

/// `n` connections: even ones send nothing, odd ones half a request head (slowloris).
async fn idle(server: &Server, n: usize) -> Vec<TcpStream> {
    let addr = server.url("").trim_start_matches("http://").to_owned();
    let mut out = Vec::new();
    for i in 0..n {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        if i % 2 == 1 {
            let head = "POST /_admin/backup/list HTTP/1.1\r\nHost: ferry\r\nX-Slow: ";
            stream.write_all(head.as_bytes()).await.expect("write");
        }
        out.push(stream);
    }
    out
}

/// An authorised request on a connection of its own; its status.
async fn authorised(server: &Server) -> u16 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(TIMEOUT)
        .build()
        .expect("client");
    let basic = format!("Basic {}", STANDARD.encode(format!("root:{PASSWORD}")));
    let response = client
        .post(server.url("/_admin/backup/list"))
        .header("Authorization", basic)
        .body("{}")
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer: {e}\n{}", server.stderr()));
    response.status().as_u16()
}

/// Whether the server has closed `stream` (end of file, or a reset), without waiting.
fn closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

#[tokio::test]
async fn idle_connections_neither_starve_requests_nor_stay_open() {
    let root = tempfile::tempdir().expect("tempdir");
    let server = server(&root, &[]).await;
    let streams = idle(&server, 300).await;
    assert_eq!(authorised(&server).await, 200);
    // Every one is closed by the server (the default header-read timeout is 10 s).
    for mut stream in streams {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "an idle connection still open after 60 s");
    }
    assert_eq!(authorised(&server).await, 200);
}

#[tokio::test]
async fn past_the_cap_a_connection_waits_for_a_slot() {
    let root = tempfile::tempdir().expect("tempdir");
    let server = server(
        &root,
        &["--max-connections", "8", "--header-read-timeout", "1s"],
    )
    .await;
    let streams = idle(&server, 8).await;
    // Served only once the server has closed an idle connection and so freed a slot.
    assert_eq!(authorised(&server).await, 200);
    let closed_before = streams.iter().filter(|s| closed(s)).count();
    assert!(
        closed_before > 0,
        "answered while 8 idle connections were open"
    );
}
