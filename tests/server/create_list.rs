//! docs/hot-backup-api.md §2-§4.2: create (ids, labels, the write lock) and list (META, server
//! id, odd entries).

use std::fs;

use serde_json::{Value, json};

use crate::harness::{
    Server, backup_data_digest, data_digest, parse, sha256sum_check, success, sums,
};

/// `2026-08-04T15.27.49Z` and the label, or a panic.
fn split_id(id: &str) -> (&str, &str) {
    assert!(id.len() > 21 && id.is_char_boundary(20), "bad id {id:?}");
    let (stamp, rest) = id.split_at(20);
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H.%M.%SZ").is_ok(),
        "bad id timestamp {id:?}"
    );
    let label = rest
        .strip_prefix('_')
        .unwrap_or_else(|| panic!("no '_' after the timestamp: {id:?}"));
    (stamp, label)
}

fn assert_uuid_v4(label: &str) {
    let uuid = uuid::Uuid::parse_str(label).unwrap_or_else(|e| panic!("{label:?}: {e}"));
    assert_eq!(uuid.get_version_num(), 4, "{label}");
    assert_eq!(
        label,
        uuid.hyphenated().to_string(),
        "lower-case, hyphenated"
    );
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

const META_KEYS: [&str; 11] = [
    "id",
    "version",
    "datetime",
    "keys",
    "sizeInBytes",
    "nrFiles",
    "nrDBServers",
    "available",
    "nrPiecesPresent",
    "potentiallyInconsistent",
    "countIncludesFilesOnly",
];

#[tokio::test]
async fn create_answers_201_and_the_backup_is_the_data() {
    let server = Server::start().await;
    let result = server.create(Some("foo")).await;
    assert_eq!(
        sorted_keys(&result),
        [
            "datetime",
            "id",
            "nrDBServers",
            "nrFiles",
            "potentiallyInconsistent",
            "sizeInBytes"
        ],
        "{result}"
    );
    let id = result["id"].as_str().expect("id");
    let (stamp, label) = split_id(id);
    assert_eq!(label, "foo");
    assert_eq!(result["datetime"], stamp.replace('.', ":"), "{result}");
    assert_eq!(result["nrDBServers"], 1);
    assert_eq!(result["potentiallyInconsistent"], false);

    let data = data_digest(&server.data);
    // As ArangoDB's release tests count (`countIncludesFilesOnly`): every file of the backup
    // directory but META, so SHA256SUMS too.
    let dir = server.backups.join(id);
    let counted: Vec<(String, String)> = crate::common::tree_digest(&dir)
        .into_iter()
        .filter(|(p, _)| p != "META")
        .collect();
    let size: u64 = counted
        .iter()
        .map(|(p, _)| fs::metadata(dir.join(p)).expect("stat").len())
        .sum();
    assert_eq!(counted.len(), data.len() + 1, "the data and SHA256SUMS");
    assert_eq!(result["nrFiles"], counted.len(), "{result}");
    assert_eq!(result["sizeInBytes"], size, "{result}");

    assert_eq!(backup_data_digest(&dir), data, "the backup holds the data");
    assert!(dir.join("META").is_file());
    assert_eq!(sums(&dir), data, "SHA256SUMS lists every data file");
    sha256sum_check(&dir);
    assert!(!dir.join(".ferry-write.lock").exists());
}

#[tokio::test]
async fn labels_are_sanitised_and_missing_labels_are_uuids() {
    let server = Server::start().await;
    for (label, expected) in [
        ("Today's Hot Backup", "Today.s_Hot_Backup"),
        ("1\"2#3,14159", "1.2.3.14159"),
        ("a-b_c.d", "a-b_c.d"),
        ("tab\there/../x", "tab_here....x"),
    ] {
        let id = server.create_id(label).await;
        assert_eq!(split_id(&id).1, expected, "{label:?} → {id}");
        assert!(server.backups.join(&id).join("META").is_file());
    }
    let mut uuids = Vec::new();
    for body in [json!({}), json!({"label": ""}), json!({"label": null})] {
        let result = server.ok("create", body.clone(), 201).await;
        let id = result["id"].as_str().expect("id").to_owned();
        let label = split_id(&id).1.to_owned();
        assert_uuid_v4(&label);
        uuids.push(label);
    }
    uuids.dedup();
    assert_eq!(uuids.len(), 3, "random labels differ: {uuids:?}");
    // An empty body is "no label" too.
    let (code, answer) = server.post_raw("/_admin/backup/create", b"").await;
    assert_eq!(code, 201, "{answer}");
    assert_uuid_v4(split_id(success(&answer, 201)["id"].as_str().expect("id")).1);
}

#[tokio::test]
async fn a_longest_id_works_everywhere() {
    let server = Server::start().await;
    let id = server.create_id(&"x".repeat(300)).await;
    assert_eq!(id.len(), 254, "ids are cut to 254 characters");
    assert_eq!(server.ids().await, [id.as_str()]);
    server.ok("list", json!({ "id": id }), 200).await;
    server.ok("restore", json!({ "id": id }), 200).await;
    let repo_dir = server.root.path().join("repo");
    let repo = crate::harness::local_repo(&repo_dir);
    let config = crate::harness::local_config();
    let job = server
        .start_job(crate::harness::Kind::Upload, &id, &repo, config.clone())
        .await;
    server
        .wait_completed(crate::harness::Kind::Upload, &job)
        .await;
    let original = crate::common::tree_digest(&server.backups.join(&id));
    server.ok("delete", json!({ "id": id }), 200).await;
    let job = server
        .start_job(crate::harness::Kind::Download, &id, &repo, config)
        .await;
    server
        .wait_completed(crate::harness::Kind::Download, &job)
        .await;
    assert_eq!(
        crate::common::tree_digest(&server.backups.join(&id)),
        original
    );
}

#[tokio::test]
async fn same_second_same_label_gives_distinct_ids() {
    let server = Server::start().await;
    let data = data_digest(&server.data);
    let mut same_second = false;
    for _ in 0..5 {
        let body = json!({"label": "twin"});
        let (a, b) = tokio::join!(
            server.ok("create", body.clone(), 201),
            server.ok("create", body, 201)
        );
        let (a, b) = (a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
        assert_ne!(a, b, "two creates must not share an id");
        for id in [a, b] {
            assert_eq!(backup_data_digest(&server.backups.join(id)), data, "{id}");
            sha256sum_check(&server.backups.join(id));
        }
        let ids = server.ids().await;
        assert!(ids.contains(&a.to_owned()) && ids.contains(&b.to_owned()));
        if a[..20] == b[..20] {
            same_second = true;
            break;
        }
    }
    assert!(same_second, "never two creates in the same second");
}

#[tokio::test]
async fn write_lock_held_by_a_writer_times_out_unless_inconsistent_allowed() {
    let server = Server::start().await;
    let lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(server.data.join(".ferry-write.lock"))
        .expect("open lock file");
    lock.lock_shared()
        .expect("shared lock, as a writer takes it");

    let message = server.fails("create", json!({"timeout": 1}), 408, 18).await;
    assert!(!message.is_empty());
    server
        .fails("create", json!({"timeout": 0.2, "force": true}), 408, 18)
        .await;
    assert!(
        server.ids().await.is_empty(),
        "a timed-out create leaves nothing"
    );

    let result = server
        .ok(
            "create",
            json!({"label": "dirty", "timeout": 0.2, "allowInconsistent": true}),
            201,
        )
        .await;
    assert_eq!(result["potentiallyInconsistent"], true, "{result}");
    let id = result["id"].as_str().expect("id").to_owned();
    let listed = server.ok("list", json!({ "id": id }), 200).await;
    assert_eq!(listed["list"][&id]["potentiallyInconsistent"], true);

    lock.unlock().expect("unlock");
    drop(lock);
    let result = server
        .ok(
            "create",
            json!({"label": "clean", "timeout": 5, "force": true, "allowInconsistent": true}),
            201,
        )
        .await;
    assert_eq!(result["potentiallyInconsistent"], false, "{result}");
}

#[tokio::test]
async fn list_all_by_id_and_meta_in_spec_order() {
    let server = Server::start().await;
    let first = server.create(Some("one")).await;
    let second = server.create(Some("two")).await;
    let (a, b) = (
        first["id"].as_str().expect("id"),
        second["id"].as_str().expect("id"),
    );

    let all = server.list().await;
    assert_eq!(sorted_keys(&all), ["list", "server"]);
    assert_eq!(sorted_keys(&all["list"]), [a, b]);
    let server_id = all["server"].as_str().expect("server id");
    let uuid = server_id
        .strip_prefix("SNGL-")
        .unwrap_or_else(|| panic!("{server_id}"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{server_id}");

    let (code, text) = server
        .request(
            "POST",
            "/_admin/backup/list",
            Some(json!({ "id": a }).to_string().into_bytes()),
        )
        .await;
    assert_eq!(code, 200, "{text}");
    let result = success(&parse(&text), 200);
    assert_eq!(sorted_keys(&result["list"]), [a], "{text}");
    let meta = &result["list"][a];
    let keys: Vec<&str> = meta
        .as_object()
        .expect("META object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, META_KEYS, "{text}");
    // The raw text too: the keys appear in this order.
    let at: Vec<usize> = META_KEYS
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "key order: {text}");

    assert_eq!(meta["id"], a);
    assert!(meta["version"].is_string());
    assert_eq!(meta["datetime"], first["datetime"]);
    assert_eq!(meta["keys"], json!([]));
    assert_eq!(meta["sizeInBytes"], first["sizeInBytes"]);
    assert_eq!(meta["nrFiles"], first["nrFiles"]);
    assert_eq!(meta["nrDBServers"], 1);
    assert_eq!(meta["available"], true);
    assert_eq!(meta["nrPiecesPresent"], 1);
    assert_eq!(meta["potentiallyInconsistent"], false);
    assert_eq!(meta["countIncludesFilesOnly"], true);

    // META on disk: the same document, keys in the same order.
    let on_disk = fs::read_to_string(server.backups.join(a).join("META")).expect("META");
    assert_eq!(&parse(&on_disk), meta);
    let at: Vec<usize> = META_KEYS
        .iter()
        .map(|k| on_disk.find(&format!("\"{k}\"")).expect("key in META"))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "META key order: {on_disk}"
    );
}

#[tokio::test]
async fn unknown_ids_and_path_tricks_are_404_without_touching_anything() {
    let server = Server::start().await;
    let id = server.create_id("real").await;
    // Something that looks like a backup outside the backup directory, and one under a
    // scratch name inside it.
    let outside = server.root.path().join("outside");
    fs::create_dir_all(&outside).expect("mkdir");
    fs::copy(server.backups.join(&id).join("META"), outside.join("META")).expect("copy");
    let scratch = server.backups.join(".downloading-x");
    fs::create_dir_all(&scratch).expect("mkdir");
    fs::copy(server.backups.join(&id).join("META"), scratch.join("META")).expect("copy");
    let data_before = data_digest(&server.data);

    for bad in [
        "2020-01-01T00.00.00Z_nope",
        "../outside",
        "..",
        ".",
        "a/b",
        "x\u{0}",
        "/etc",
        ".downloading-x",
        &format!("{id}/META"),
        &format!("../backups/{id}"),
    ] {
        server.fails("list", json!({ "id": bad }), 404, 404).await;
        server
            .fails("restore", json!({ "id": bad }), 404, 7007)
            .await;
        server.fails("delete", json!({ "id": bad }), 404, 14).await;
    }
    assert!(outside.join("META").is_file(), "outside untouched");
    assert!(scratch.join("META").is_file(), "scratch untouched");
    assert_eq!(
        data_digest(&server.data),
        data_before,
        "no restore happened"
    );
    assert_eq!(server.ids().await, [id]);
}

#[tokio::test]
async fn server_id_is_kept_across_restarts() {
    let mut server = Server::start().await;
    let before = server.list().await["server"].clone();
    assert!(before.as_str().is_some_and(|s| s.starts_with("SNGL-")));
    server.restart().await;
    assert_eq!(server.list().await["server"], before);
    server.kill();
    server.launch().await;
    assert_eq!(server.list().await["server"], before);
}

#[tokio::test]
async fn corrupt_meta_is_an_entry_and_scratch_dirs_are_never_listed() {
    let server = Server::start().await;
    let id = server.create_id("good").await;
    let meta = server.backups.join(&id).join("META");
    let broken = "2020-01-01T00.00.00Z_broken";
    crate::common::write(&server.backups.join(broken).join("META"), b"{not json");
    crate::common::write(&server.backups.join(broken).join("f.sst"), b"data");
    for scratch in [
        format!(".downloading-{id}x"),
        ".creating-2020-01-01T00.00.00Z_c".to_owned(),
        ".deleting-2020-01-01T00.00.00Z_d".to_owned(),
        ".downloading-2020-01-01T00.00.00Z_e".to_owned(),
    ] {
        let dir = server.backups.join(scratch);
        fs::create_dir_all(&dir).expect("mkdir");
        fs::copy(&meta, dir.join("META")).expect("copy META");
    }
    // A directory with an id's name but no META is unfinished.
    crate::common::write(
        &server.backups.join("2020-01-01T00.00.00Z_nometa/f.sst"),
        b"x",
    );

    let list = server.list().await;
    assert_eq!(sorted_keys(&list["list"]), [broken, id.as_str()], "{list}");
    let entry = &list["list"][broken];
    assert!(entry["errorNum"].as_i64().is_some_and(|n| n > 0), "{entry}");
    assert!(
        entry["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{entry}"
    );
    assert_eq!(list["list"][&id]["id"], id);

    // The broken backup cannot be restored as if it were whole.
    let data = data_digest(&server.data);
    let (code, answer) = server
        .post("/_admin/backup/restore", json!({ "id": broken }))
        .await;
    assert!(code >= 400, "{answer}");
    assert_eq!(answer["error"], true);
    assert_eq!(data_digest(&server.data), data);
}
