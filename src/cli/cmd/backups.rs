//! `ferry backups REPO`: every backup under a repository path and its state.

use ferry::catalog::{BackupState, Catalog};

use crate::cli::args::RepoArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::Resolver;

/// The repository `backups` will list, and how to print it.
#[derive(Debug)]
pub struct Plan {
    pub catalog: Catalog,
    pub json: bool,
}

/// The catalog of the repository a command names (`backups`, `verify`, `prune`).
pub fn catalog(args: &RepoArgs) -> Result<Catalog, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.repo)?;
    Ok(Catalog::new(place.location))
}

impl Plan {
    pub fn new(args: &RepoArgs) -> Result<Plan, Failure> {
        Ok(Plan {
            catalog: catalog(args)?,
            json: args.json,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    let listing = plan.catalog.list().await?;
    if plan.json {
        println!(
            "{}",
            serde_json::to_string(&listing.backups).map_err(json_failed)?
        );
    } else {
        let width = listing
            .backups
            .iter()
            .map(|b| b.id.len())
            .max()
            .unwrap_or(2);
        println!(
            "{:width$}  {:20}  {:>6}  {:>10}  STATE",
            "ID", "DATETIME", "FILES", "SIZE"
        );
        for b in &listing.backups {
            let datetime = b
                .datetime
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            // A cluster backup: how many of its DB servers' pieces are whole.
            let pieces = b
                .pieces
                .map(|p| format!(" ({}/{} pieces)", p.present, p.expected))
                .unwrap_or_default();
            println!(
                "{:width$}  {:20}  {:>6}  {:>10}  {}{pieces}",
                b.id,
                datetime.as_deref().unwrap_or("-"),
                b.files,
                indicatif::HumanBytes(b.bytes).to_string(),
                b.state
            );
            for p in &b.problems {
                println!("    {p}");
            }
        }
    }
    if !listing.other.is_empty() {
        eprintln!("not backups (left alone): {}", listing.other.join(", "));
    }
    let count = |s| listing.backups.iter().filter(|b| b.state == s).count();
    eprintln!(
        "{} backups: {} complete, {} incomplete, {} damaged",
        listing.backups.len(),
        count(BackupState::Complete),
        count(BackupState::Incomplete),
        count(BackupState::Damaged)
    );
    Ok(Exit::Ok)
}

/// Serialising a report cannot fail; if it did, say so as any other error.
pub fn json_failed(e: serde_json::Error) -> ferry::Error {
    ferry::Error::Other(format!("cannot write JSON: {e}"))
}
