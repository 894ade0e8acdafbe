//! A cluster backup from its pieces: how a coordinator merges its DB servers' lists
//! (spec `hot-backup-cluster.md`, "list").
//!
//! Per id: `sizeInBytes` and `nrFiles` summed; `nrPiecesPresent` the number of DB servers
//! holding a piece; `available` only when every piece is available and their number is
//! both the cluster's number of DB servers and the backup's `nrDBServers`. Pieces of one id
//! with different `version`s leave the backup out. A piece whose `META` could not be read
//! (an entry with `errorNum`) is present but not available.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// One backup as the coordinator lists it, from the pieces that hold it.
fn merge_one(pieces: &[&Value], nr_servers: usize) -> Option<Value> {
    let good: Vec<&Value> = pieces
        .iter()
        .copied()
        .filter(|p| p.get("errorNum").is_none())
        .collect();
    let Some(first) = good.first() else {
        // No piece readable: the first error says why.
        return pieces.first().map(|p| (*p).clone());
    };
    if good.iter().any(|p| p["version"] != first["version"]) {
        tracing::warn!(id = %first["id"], "pieces of different versions: backup left out of the list");
        return None;
    }
    let sum = |key: &str| good.iter().filter_map(|p| p[key].as_u64()).sum::<u64>();
    let nr_db_servers = good
        .iter()
        .filter_map(|p| p["nrDBServers"].as_u64())
        .max()
        .unwrap_or(1);
    let present = pieces.len();
    let available = good.len() == present
        && good.iter().all(|p| p["available"] != Value::Bool(false))
        && present == nr_servers
        && present as u64 == nr_db_servers;
    let datetime = good.iter().filter_map(|p| p["datetime"].as_str()).min();
    Some(json!({
        "id": first["id"],
        "version": first["version"],
        "datetime": datetime,
        "keys": first.get("keys").cloned().unwrap_or_else(|| json!([])),
        "sizeInBytes": sum("sizeInBytes"),
        "nrFiles": sum("nrFiles"),
        "nrDBServers": nr_db_servers,
        "available": available,
        "nrPiecesPresent": present,
        "potentiallyInconsistent": good.iter().any(|p| p["potentiallyInconsistent"] == Value::Bool(true)),
        "countIncludesFilesOnly": good.iter().all(|p| p["countIncludesFilesOnly"] == Value::Bool(true)),
    }))
}

/// The cluster's list from the `list` maps of its `nr_servers` DB servers, sorted by id.
pub fn merge(lists: &[Map<String, Value>], nr_servers: usize) -> Map<String, Value> {
    let mut by_id: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for list in lists {
        for (id, piece) in list {
            by_id.entry(id).or_default().push(piece);
        }
    }
    by_id
        .into_iter()
        .filter_map(|(id, pieces)| Some((id.to_owned(), merge_one(&pieces, nr_servers)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(id: &str, size: u64, files: u64, nr: u32, version: &str) -> Value {
        json!({"id": id, "version": version, "datetime": "2026-12-01T10:00:00Z", "keys": [],
            "sizeInBytes": size, "nrFiles": files, "nrDBServers": nr, "available": true,
            "nrPiecesPresent": 1, "potentiallyInconsistent": false, "countIncludesFilesOnly": true})
    }

    fn list(entries: &[Value]) -> Map<String, Value> {
        entries
            .iter()
            .map(|e| (e["id"].as_str().unwrap_or_default().to_owned(), e.clone()))
            .collect()
    }

    #[test]
    fn sums_and_counts_pieces() {
        let a = list(&[piece("b1", 10, 2, 3, "v"), piece("b2", 1, 1, 3, "v")]);
        let b = list(&[piece("b1", 20, 3, 3, "v")]);
        let c = list(&[piece("b1", 30, 4, 3, "v")]);
        let merged = merge(&[a, b, c], 3);
        assert_eq!(merged["b1"]["sizeInBytes"], 60);
        assert_eq!(merged["b1"]["nrFiles"], 9);
        assert_eq!(merged["b1"]["nrPiecesPresent"], 3);
        assert_eq!(merged["b1"]["available"], true);
        assert_eq!(merged["b2"]["nrPiecesPresent"], 1);
        assert_eq!(merged["b2"]["available"], false);
    }

    #[test]
    fn available_needs_every_count_to_agree() {
        let two = |nr| {
            let l = list(&[piece("b", 1, 1, nr, "v")]);
            merge(&[l.clone(), l], 2)["b"]["available"].clone()
        };
        assert_eq!(two(2), true);
        // The backup was taken on three servers: two pieces are not all of it.
        assert_eq!(two(3), false);
        let l = list(&[piece("b", 1, 1, 2, "v")]);
        // Two pieces of a two-server backup, listed by a three-server cluster.
        assert_eq!(merge(&[l.clone(), l], 3)["b"]["available"], false);
    }

    #[test]
    fn mixed_versions_and_unreadable_pieces() {
        let a = list(&[piece("b", 1, 1, 2, "v1")]);
        let b = list(&[piece("b", 1, 1, 2, "v2")]);
        assert!(merge(&[a.clone(), b], 2).is_empty());
        let broken = list(&[json!({"id": "b", "errorNum": 7001, "errorMessage": "bad META"})]);
        let merged = merge(&[a, broken], 2);
        assert_eq!(merged["b"]["nrPiecesPresent"], 2);
        assert_eq!(merged["b"]["available"], false);
    }
}
