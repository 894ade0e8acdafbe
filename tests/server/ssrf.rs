//! The endpoint policy (issue 12, item 2): a config sent through the API cannot make the
//! server reach loopback, private or link-local addresses or metadata names, in any of
//! their forms, through a name that resolves to one, or through a redirect; the operator's
//! `--allow-endpoint` lets named ones through (the harness allows 127.0.0.1).

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::fake::{Fake, answer};
use crate::harness::{Kind, Options, Server, job_state};

fn sections(endpoint: &str) -> [Value; 3] {
    [
        json!({"type": "s3", "endpoint": endpoint, "access_key_id": "a", "secret_access_key": "b"}),
        json!({"type": "gcs", "endpoint": endpoint, "anonymous": true}),
        json!({"type": "azureblob", "account": "acct", "key": "a2V5", "endpoint": endpoint}),
    ]
}

fn upload(id: &str, section: &Value) -> Value {
    json!({"id": id, "remoteRepository": "r:bucket/x", "config": {"r": section}})
}

#[tokio::test]
async fn refused_endpoints_are_7008_before_any_request() {
    let target = Fake::echo().await;
    let port = target.addr.port();
    let server = Server::with(Options {
        guard_loopback: true,
        ..Options::default()
    })
    .await;
    let id = server.create_id("ssrf").await;
    for endpoint in [
        format!("http://127.0.0.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://0x7f000001:{port}"),
        format!("http://[::1]:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost:{port}"),
        "http://169.254.169.254".to_owned(),
        "http://2852039166".to_owned(),
        "http://[fe80::1]".to_owned(),
        "http://metadata.google.internal".to_owned(),
        "http://10.0.0.1".to_owned(),
    ] {
        for section in sections(&endpoint) {
            for kind in ["upload", "download"] {
                let message = server.fails(kind, upload(&id, &section), 400, 7008).await;
                assert!(
                    message.contains("--allow-endpoint"),
                    "{endpoint}: {message}"
                );
            }
        }
    }
    assert_eq!(target.calls(), Vec::<String>::new());
}

/// A redirect is not followed: the job fails and the target is never asked.
#[tokio::test]
async fn redirects_are_not_followed() {
    let metadata = Fake::status(200, "{\"Token\": \"host-secret\"}").await;
    let location = format!("{}/latest/meta-data/iam/", metadata.url());
    let other: IpAddr = "127.0.0.2".parse().expect("address");
    let redirect = Fake::start_on(
        other,
        Arc::new(move |_: &str| {
            let mut response = answer(307, "");
            let value = location.parse().expect("location");
            response.headers_mut().insert("location", value);
            response
        }),
    )
    .await;
    let server = Server::with(Options {
        guard_loopback: true,
        args: vec!["--allow-endpoint".into(), "127.0.0.2".into()],
        ..Options::default()
    })
    .await;
    let id = server.create_id("redirect").await;
    for section in sections(&redirect.url()) {
        let job = server
            .start_job(Kind::Upload, &id, "r:bucket/x", json!({ "r": section }))
            .await;
        let status = server.wait_job(Kind::Upload, &job).await;
        assert_eq!(job_state(&status), "FAILED", "{status}");
    }
    assert!(!redirect.calls().is_empty());
    assert_eq!(metadata.calls(), Vec::<String>::new());
}

/// An endpoint that echoes the request back, with its credentials, in an error document and
/// in a huge body: the job's message has the provider's code and a short message, and no
/// credential reaches the status, the record or the log (issue 12, item 3).
#[tokio::test]
async fn echoed_credentials_and_bodies_stay_out_of_messages() {
    let xml = Fake::start(Arc::new(|head: &str| {
        answer(
            403,
            &format!(
                "<?xml version=\"1.0\"?><Error><Code>Echo</Code><Message>{head}</Message></Error>"
            ),
        )
    }))
    .await;
    let json = Fake::start(Arc::new(|head: &str| {
        let body = json!({"error": {"code": 403, "message": head}, "authorization": head});
        answer(403, &body.to_string())
    }))
    .await;
    let huge = Fake::start(Arc::new(|head: &str| answer(400, &head.repeat(8_000)))).await;
    let server = Server::start().await;
    let id = server.create_id("echo").await;
    let token = "FwoGZXIvYXdzEJr//////////wEaDEchoedSessionToken1234";
    for fake in [&xml, &json, &huge] {
        let section = json!({"type": "s3", "endpoint": fake.url(), "access_key_id": "AKIAECHOEDKEY0000001",
                             "secret_access_key": "echoed-secret", "session_token": token});
        let job = server
            .start_job(Kind::Upload, &id, "r:bucket/x", json!({ "r": section }))
            .await;
        let status = server.wait_job(Kind::Upload, &job).await;
        assert_eq!(job_state(&status), "FAILED", "{status}");
        let message = status["DBServers"]["SNGL"]["ErrorMessage"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.len() <= 1_000, "{} bytes: {message}", message.len());
        let calls = fake.calls();
        assert!(
            calls.iter().any(|c| c.contains(token)),
            "the fake saw the token: {calls:?}"
        );
        let record =
            std::fs::read_to_string(server.state.join(format!("jobs/{job}.json"))).expect("record");
        let record: Value = serde_json::from_str(&record).expect("record JSON");
        for text in [&message, &server.stderr()] {
            assert!(!text.contains("EchoedSessionToken"), "{text}");
            assert!(!text.contains("AKIAECHOEDKEY"), "{text}");
            assert!(!text.contains("Signature="), "{text}");
        }
        // The record keeps the config (mode 0600), but its message holds no echo.
        let recorded = record["errorMessage"].to_string();
        assert!(!recorded.contains(token), "{record}");
    }
    let xml_job = server.wait_job(Kind::Upload, "10000").await;
    let message = xml_job["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .unwrap_or("");
    assert!(
        message.contains("Echo"),
        "the provider's code is kept: {message}"
    );
}
