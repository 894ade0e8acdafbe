//! Bad request bodies for every endpoint (issue 7): malformed, truncated, non-UTF-8, with NUL
//! bytes, deeply nested, with huge numbers, wrongly typed, incomplete, naming unknown
//! repository types, too long, oversized. Each must be answered, and answered with the error
//! docs/hot-backup-api.md gives it (§1, §4, §6, §7) in ArangoDB's envelope: never a 5xx, never
//! a hang, and no work done (no backup created, no job started).
//!
//! The cases are a table; the test goes over all of them and reports how many it sent.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Server, error, local_config};

const OPS: [&str; 6] = ["create", "list", "delete", "restore", "upload", "download"];

/// "Answered, not hung": far above the milliseconds these take, far below a test timeout.
const ANSWERED: Duration = Duration::from_secs(10);

/// A well-formed id of a backup that does not exist, so the checks after the id are reached.
const UNKNOWN_ID: &str = "2026-08-04T15.27.49Z_absent";

/// Largest body the server reads (`MAX_BODY` in `src/server/envelope.rs`).
const MAX_BODY: usize = 1 << 20;

/// One request and the error it must get.
#[derive(Debug)]
struct Case {
    op: &'static str,
    body: Vec<u8>,
    code: u16,
    num: i64,
    /// Text the error message must contain (the attribute at fault).
    names: Option<&'static str>,
}

fn case(op: &'static str, body: impl Into<Vec<u8>>, code: u16, num: i64) -> Case {
    Case {
        op,
        body: body.into(),
        code,
        num,
        names: None,
    }
}

fn json_case(op: &'static str, body: &Value, code: u16, num: i64) -> Case {
    case(op, body.to_string(), code, num)
}

/// `depth` nested arrays around `1`.
fn nested_array(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// A body every operation reads past its first attribute: a complete upload start.
fn full_body() -> Value {
    json!({"id": UNKNOWN_ID, "remoteRepository": "local:/tmp/ferry-bad-input",
           "config": local_config(), "label": "x", "timeout": 1})
}

/// Bodies that are not a JSON object (nor empty): 400, errorNum 600, for every operation.
fn not_objects() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        // Invalid JSON.
        &b"{bad"[..],
        b"{\"id\":}",
        b"{'id': 'x'}",
        b"{\"id\": \"x\",}",
        b"{\"id\" \"x\"}",
        b"{\"id\": \"x\"}}",
        b"{} {}",
        b"nul",
        b"tru",
        b"{\"timeout\": 01}",
        b"{\"timeout\": .5}",
        b"{\"timeout\": NaN}",
        b"{\"timeout\": Infinity}",
        b"{\"id\": \"\\x41\"}",
        b"{\"id\": \"\\ud800\"}",
        // Not objects.
        b"null",
        b"true",
        b"42",
        b"-1",
        b"\"create\"",
        b"[]",
        b"[{}]",
        // Non-UTF-8.
        b"\xff",
        b"\xfe\xff{}",
        b"\xef\xbb\xbf{}",
        b"{\"id\": \"\xff\xfe\"}",
        b"{\"label\": \"\xc3\x28\"}",
        b"{\"\xff\": 1}",
        // NUL bytes, raw (never valid JSON).
        b"\0",
        b"{}\0",
        b"\0{}",
        b"{\"id\": \"a\0b\"}",
        b"{\"id\0\": \"a\"}",
        // Huge numbers: out of f64's range.
        b"{\"timeout\": 1e400}",
        b"{\"timeout\": -1e400}",
        b"{\"id\": 1e99999}",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    // Deep nesting beyond the parser's limit, as arrays, objects, and inside an attribute.
    bodies.push(nested_array(100_000).into_bytes());
    bodies.push(format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)).into_bytes());
    bodies.push(format!("{{\"id\": {}}}", nested_array(1_000)).into_bytes());
    // A huge number of digits.
    bodies.push(format!("{{\"timeout\": 1{}}}", "0".repeat(400)).into_bytes());
    // Every truncation of a complete body.
    let full = full_body().to_string();
    bodies.extend((1..full.len()).map(|n| full.as_bytes()[..n].to_vec()));
    bodies
}

/// Values of every JSON type but `kind` (`null` is absent, not wrong).
fn wrong_values(kind: &str) -> Vec<Value> {
    let mut values = vec![
        json!(5),
        json!(-1),
        json!(1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(true),
        json!(false),
        json!("x"),
        json!(""),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"a": "b"}),
        serde_json::from_str(&nested_array(100)).expect("within the parser's limit"),
    ];
    values.retain(|v| match kind {
        "string" => !v.is_string(),
        "bool" => !v.is_boolean(),
        "number" => !v.is_number(),
        "object" => !v.is_object(),
        _ => unreachable!("{kind}"),
    });
    if kind == "number" {
        // Numbers, but not durations.
        values.extend([json!(-1), json!(-0.001), json!(i64::MIN)]);
    }
    values
}

/// `base` with `attribute` set to `value`.
fn with(base: &Value, attribute: &str, value: Value) -> Value {
    let mut body = base.clone();
    body[attribute] = value;
    body
}

/// Each attribute of each operation, wrongly typed, in a body that reaches its check:
/// 400, errorNum 10, the message naming the attribute.
fn wrong_types() -> Vec<Case> {
    let start = json!({"id": UNKNOWN_ID, "remoteRepository": "local:/tmp/ferry-bad-input",
                       "config": local_config()});
    let attributes: Vec<(&'static str, Value, &'static str, &'static str)> = vec![
        ("create", json!({}), "label", "string"),
        ("create", json!({}), "timeout", "number"),
        ("create", json!({}), "allowInconsistent", "bool"),
        ("create", json!({}), "force", "bool"),
        ("list", json!({}), "id", "string"),
        ("delete", json!({}), "id", "string"),
        ("restore", json!({}), "id", "string"),
        (
            "restore",
            json!({"id": UNKNOWN_ID}),
            "ignoreVersion",
            "bool",
        ),
        ("upload", start.clone(), "id", "string"),
        ("upload", start.clone(), "remoteRepository", "string"),
        ("upload", start.clone(), "config", "object"),
        ("upload", json!({}), "uploadId", "string"),
        ("upload", json!({"uploadId": "10000"}), "abort", "bool"),
        ("download", start.clone(), "id", "string"),
        ("download", start.clone(), "remoteRepository", "string"),
        ("download", start, "config", "object"),
        ("download", json!({}), "downloadId", "string"),
        ("download", json!({"downloadId": "10000"}), "abort", "bool"),
    ];
    let mut cases = Vec::new();
    for (op, base, attribute, kind) in attributes {
        for value in wrong_values(kind) {
            cases.push(Case {
                names: Some(attribute),
                ..json_case(op, &with(&base, attribute, value), 400, 10)
            });
        }
    }
    cases
}

/// Required attributes absent or `null`: 400, errorNum 10, naming the first one missing.
fn missing() -> Vec<Case> {
    let (id, repo, config) = (
        json!(UNKNOWN_ID),
        json!("local:/tmp/ferry-bad-input"),
        local_config(),
    );
    let mut cases = Vec::new();
    for op in ["delete", "restore"] {
        for body in [
            json!({}),
            json!({"id": null}),
            json!({"ignoreVersion": true}),
        ] {
            cases.push((op, body, "\"id\""));
        }
    }
    for op in ["upload", "download"] {
        let job = format!("{op}Id");
        for (body, name) in [
            (json!({}), "\"id\""),
            (json!({"id": null}), "\"id\""),
            (json!({ &job: null }), "\"id\""),
            (json!({"abort": true}), "\"id\""),
            (
                json!({"remoteRepository": repo, "config": config}),
                "\"id\"",
            ),
            (json!({"id": id}), "\"remoteRepository\""),
            (json!({"id": id, "config": config}), "\"remoteRepository\""),
            (
                json!({"id": id, "remoteRepository": null, "config": config}),
                "\"remoteRepository\"",
            ),
            (json!({"id": id, "remoteRepository": repo}), "\"config\""),
            (
                json!({"id": id, "remoteRepository": repo, "config": null}),
                "\"config\"",
            ),
        ] {
            cases.push((op, body, name));
        }
    }
    cases
        .into_iter()
        .map(|(op, body, name)| Case {
            names: Some(name),
            ..json_case(op, &body, 400, 10)
        })
        .collect()
}

/// Repositories and configs that cannot be used: 400, errorNum 7008 (docs/hot-backup-api.md
/// §6), for upload and download alike, checked before anything else is done.
fn bad_repositories() -> Vec<Case> {
    let local = local_config();
    let mut pairs: Vec<(String, Value)> = [
        "",
        ":",
        "noob:",
        "local",
        ":/x",
        "/local:/x",
        "loc/al:/x",
        "local:relative/x",
        "local:",
        "other:/x",
        "LOCAL:/x",
        "local:/a\0b",
    ]
    .iter()
    .map(|r| (r.to_string(), local.clone()))
    .collect();
    pairs.push((format!("local:/{}", "a".repeat(5_000)), local.clone()));
    pairs.push((format!("local:/{}", "a/".repeat(100_000)), local));
    for config in [
        json!({}),
        json!({"r": {"type": "ftp"}}),
        json!({"r": {"type": "S3"}}),
        json!({"r": {"type": ""}}),
        json!({"r": {"type": 5}}),
        json!({"r": {"type": null}}),
        json!({"r": {"type": ["s3"]}}),
        json!({"r": {}}),
        json!({"r": "local"}),
        json!({"r": 5}),
        json!({"r": null}),
        json!({"r": ["local"]}),
        json!({"r": {"type": "s3", "region": {"a": 1}}}),
        json!({"r": {"type": "s3", "region": ["eu"]}}),
        json!({"r": {"type": "s3", "force_path_style": "maybe"}}),
        json!({"r": {"type": "s3", "chunk_size": "12Q"}}),
        json!({"r": {"type": "s3", "chunk_size": -1}}),
        json!({"r": {"type": "s3", "upload_concurrency": "many"}}),
        json!({"r": {"type": "s3", "endpoint": "not a url"}}),
        json!({"r": {"type": "s3", "access_key_id": "AKIA"}}),
        json!({"r": {"type": "s3", "secret_access_key": "s"}}),
        json!({"r": {"type": "s3", "server_side_encryption": "rot13"}}),
        json!({"r": {"type": "s3", "acl": "a\nb"}}),
        json!({"r": {"type": "gcs", "service_account_credentials": "{bad"}}),
        json!({"r": {"type": "gcs", "anonymous": "perhaps"}}),
        json!({"r": {"type": "gcs", "endpoint": "::"}}),
        json!({"r": {"type": "azureblob", "sas_url": "nope"}}),
        json!({"r": {"type": "azureblob", "sas_url": "https://a.blob.core.windows.net/c"}}),
        json!({"r": {"type": "azureblob", "use_emulator": "sometimes"}}),
        json!({"r": {"type": "local", "chunk_size": "big"}}),
    ] {
        pairs.push(("r:/bucket/x".to_owned(), config));
    }
    // Object stores need a bucket: the first path segment.
    pairs.push(("r:".to_owned(), json!({"r": {"type": "s3"}})));
    pairs.push(("r:/../".to_owned(), json!({"r": {"type": "gcs"}})));
    let mut cases = Vec::new();
    for op in ["upload", "download"] {
        for (repository, config) in &pairs {
            let body = json!({"id": UNKNOWN_ID, "remoteRepository": repository, "config": config});
            cases.push(json_case(op, &body, 400, 7008));
        }
    }
    cases
}

/// Ids and job ids that name nothing, including path tricks and strings far too long to be ids
/// (docs/hot-backup-api.md §2, §4): 404 with each operation's errorNum, or 400/10 for an id
/// that cannot be a backup id in a transfer.
fn unknown_and_too_long() -> Vec<Case> {
    let ids: Vec<String> = [
        "",
        ".",
        "..",
        "../backups",
        "a/b",
        "/etc",
        "a\0b",
        ".ferry",
        "ünïcödé",
        UNKNOWN_ID,
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "a".repeat(255),
        "a".repeat(100_000),
        format!("{}/x", "../".repeat(1_000)),
    ])
    .collect();
    let mut cases = Vec::new();
    for id in &ids {
        cases.push(json_case("list", &json!({ "id": id }), 404, 404));
        cases.push(json_case("delete", &json!({ "id": id }), 404, 14));
        cases.push(json_case("restore", &json!({ "id": id }), 404, 7007));
        for op in ["upload", "download"] {
            let job = format!("{op}Id");
            cases.push(json_case(op, &json!({ &job: id }), 404, 404));
            cases.push(json_case(op, &json!({ &job: id, "abort": true }), 404, 404));
        }
        // An upload of a backup that is not there; a transfer of something that cannot be
        // an id at all is a bad parameter.
        let (code, num) = if id == UNKNOWN_ID {
            (404, 7007)
        } else {
            (400, 10)
        };
        let body = json!({"id": id, "remoteRepository": "local:/tmp/ferry-bad-input",
                          "config": local_config()});
        cases.push(json_case("upload", &body, code, num));
        if id != UNKNOWN_ID {
            cases.push(json_case("download", &body, code, num));
        }
    }
    // Valid JSON with an escaped NUL: a string, but never an id.
    cases.push(case("delete", r#"{"id": "a\u0000b"}"#, 404, 14));
    cases.push(case("list", r#"{"id": "\u0000"}"#, 404, 404));
    cases
}

/// `text` shortened for a failure message.
fn show(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], body.len()),
        None => format!("{text:?}"),
    }
}

/// Sends one case (under both prefixes, alternately) and checks the answer.
async fn check(server: &Server, n: usize, case: &Case) {
    let prefix = if n.is_multiple_of(2) {
        ""
    } else {
        "/_db/_system"
    };
    let path = format!("{prefix}/_admin/backup/{}", case.op);
    let sent = server.post_raw(&path, &case.body);
    let (code, answer) = tokio::time::timeout(ANSWERED, sent)
        .await
        .unwrap_or_else(|_| panic!("{path} {}: no answer within {ANSWERED:?}", show(&case.body)));
    assert_eq!(code, case.code, "{path} {}: {answer}", show(&case.body));
    let message = error(&answer, case.code, case.num);
    if let Some(name) = case.names {
        assert!(
            message.contains(name),
            "{path} {}: the message must name {name}: {message}",
            show(&case.body)
        );
    }
}

#[tokio::test]
async fn every_bad_body_gets_its_error_on_every_endpoint() {
    let server = Server::start().await;
    let mut cases: Vec<Case> = Vec::new();
    for body in not_objects() {
        for op in OPS {
            cases.push(case(op, body.clone(), 400, 600));
        }
    }
    cases.extend(wrong_types());
    cases.extend(missing());
    cases.extend(bad_repositories());
    cases.extend(unknown_and_too_long());
    for (n, case) in cases.iter().enumerate() {
        check(&server, n, case).await;
    }
    // Nothing was done: no backup, and the first job id was never issued.
    assert!(server.ids().await.is_empty());
    for (op, attr) in [("upload", "uploadId"), ("download", "downloadId")] {
        let (code, answer) = server
            .post(&format!("/_admin/backup/{op}"), json!({ attr: "10000" }))
            .await;
        assert_eq!(code, 404, "a job was started: {answer}");
    }
    eprintln!(
        "bad_input: {} bad bodies answered as docs/hot-backup-api.md says",
        cases.len()
    );
}

#[tokio::test]
async fn oversized_bodies_are_400_on_every_endpoint() {
    let server = Server::start().await;
    let padding = "a".repeat(MAX_BODY);
    let bodies = [
        json!({ "label": padding }).to_string().into_bytes(),
        json!({ "id": padding }).to_string().into_bytes(),
        vec![b' '; MAX_BODY + 1],
        vec![b'['; MAX_BODY + 1],
    ];
    for op in OPS {
        for body in &bodies {
            let path = format!("/_admin/backup/{op}");
            let sent = server.post_alone(&path, body.clone());
            let (code, answer) = tokio::time::timeout(ANSWERED, sent)
                .await
                .unwrap_or_else(|_| panic!("{path} {}: no answer", show(body)));
            assert_eq!(code, 400, "{path} {}: {answer}", show(body));
            let message = error(&answer, 400, 10);
            assert!(message.contains("larger than"), "{message}");
        }
    }
    assert!(server.ids().await.is_empty());
    eprintln!(
        "bad_input: {} oversized bodies refused",
        OPS.len() * bodies.len()
    );
}
