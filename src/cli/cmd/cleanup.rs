//! `ferry cleanup REMOTE`: abort pending multipart uploads older than `--max-age`, and end
//! them in this machine's resume journals. That is how an interrupted copy is discarded
//! (see [`crate::cli::interrupt`]): its rerun then starts those files afresh instead of
//! asking the store for parts of an upload that is gone (which some servers answer with a
//! retryable 500, not 404).

use std::time::Duration;

use ferry::engine;
use ferry::engine::journal::{Journal, default_state_dir};
use ferry::store::Location;

use crate::cli::args::CleanupArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::Resolver;

/// Where `cleanup` will look (its store retries with `--retries`), and for how old uploads.
#[derive(Debug)]
pub struct Plan {
    pub location: Location,
    pub max_age: Duration,
}

impl Plan {
    pub fn new(args: &CleanupArgs) -> Result<Plan, Failure> {
        let retry = args.access.retry();
        let location = Resolver::new(args.access.config.clone(), &retry)
            .place(&args.remote)?
            .location;
        Ok(Plan {
            location,
            max_age: args.max_age,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    let location = &plan.location;
    let report = engine::cleanup(location, plan.max_age).await?;
    let relative = |key: &str| {
        key.strip_prefix(location.root.as_str())
            .map(|k| k.trim_start_matches('/'))
            .unwrap_or(key)
            .to_owned()
    };
    for u in &report.aborted {
        let begun = u
            .initiated
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        println!(
            "aborted {} (upload {}, begun {begun})",
            relative(&u.key),
            u.upload
        );
    }
    forget_in_journals(report.aborted.iter().map(|u| u.upload.as_str()).collect());
    for (u, e) in &report.failed {
        eprintln!("ferry: could not abort {}: {e}", relative(&u.key));
    }
    eprintln!(
        "{} pending uploads aborted, {} younger than {}s kept, {} failed",
        report.aborted.len(),
        report.kept,
        plan.max_age.as_secs(),
        report.failed.len()
    );
    Ok(if report.failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Error
    })
}

/// Ends, in every journal of the state directory (`$FERRY_STATE_DIR`, …), the uploads whose
/// ids were just aborted. A journal in use by a running copy is left alone: that copy
/// finds its upload gone and starts the file again.
fn forget_in_journals(aborted: std::collections::HashSet<&str>) {
    if aborted.is_empty() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(default_state_dir().join("journals")) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let Ok(journal) = Journal::open(&path) else {
            continue;
        };
        for (key, open) in journal.open_uploads() {
            if aborted.contains(open.upload.as_str())
                && let Err(e) = journal.end(key)
            {
                eprintln!("ferry: {}: {e}", path.display());
            }
        }
    }
}
