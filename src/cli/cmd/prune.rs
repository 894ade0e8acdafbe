//! `ferry prune REPO --keep-...`: delete the backups a retention policy does not keep.

use ferry::catalog::{Catalog, Policy, PruneAction, PruneRules};

use super::backups::{catalog, json_failed};
use crate::cli::args::PruneArgs;
use crate::cli::exit::{Exit, Failure};

/// The repository and rules `prune` will apply.
#[derive(Debug)]
pub struct Plan {
    pub catalog: Catalog,
    pub rules: PruneRules,
    pub json: bool,
}

impl Plan {
    pub fn new(args: &PruneArgs) -> Result<Plan, Failure> {
        let policy = Policy {
            last: args.keep_last,
            hourly: args.keep_hourly,
            daily: args.keep_daily,
            weekly: args.keep_weekly,
            monthly: args.keep_monthly,
            yearly: args.keep_yearly,
            within: args.keep_within.unwrap_or_default(),
            within_hourly: args.keep_within_hourly.unwrap_or_default(),
            within_daily: args.keep_within_daily.unwrap_or_default(),
            within_weekly: args.keep_within_weekly.unwrap_or_default(),
            within_monthly: args.keep_within_monthly.unwrap_or_default(),
            within_yearly: args.keep_within_yearly.unwrap_or_default(),
        };
        Ok(Plan {
            catalog: catalog(&args.repo)?,
            rules: PruneRules {
                policy,
                max_age: args.max_age,
                now: chrono::Utc::now(),
                dry_run: args.dry_run,
            },
            json: args.repo.json,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    if plan.rules.policy.is_empty() {
        eprintln!("ferry: no --keep-* rule given: every complete backup is kept");
    }
    let report = plan.catalog.prune(&plan.rules).await?;
    if plan.json {
        println!("{}", serde_json::to_string(&report).map_err(json_failed)?);
    } else {
        let width = report
            .decisions
            .iter()
            .map(|d| d.id.len())
            .max()
            .unwrap_or(0);
        for d in &report.decisions {
            let (verb, why) = match &d.action {
                PruneAction::Keep(reasons) => ("keep", reasons.join(", ")),
                PruneAction::Delete(why) if report.dry_run => ("would delete", why.clone()),
                PruneAction::Delete(why) => ("delete", why.clone()),
                PruneAction::Leave(why) => ("leave", why.clone()),
            };
            println!("{verb:12} {:width$}  {why}", d.id);
        }
    }
    for (id, e) in &report.failed {
        eprintln!("ferry: could not delete all of {id} (left incomplete): {e}");
    }
    let count =
        |f: fn(&PruneAction) -> bool| report.decisions.iter().filter(|d| f(&d.action)).count();
    eprintln!(
        "{} kept, {} {}, {} left alone{}",
        count(|a| matches!(a, PruneAction::Keep(_))),
        count(|a| matches!(a, PruneAction::Delete(_))),
        if report.dry_run {
            "to delete (dry run: nothing deleted)"
        } else {
            "deleted"
        },
        count(|a| matches!(a, PruneAction::Leave(_))),
        if report.dry_run {
            String::new()
        } else {
            format!(" ({} objects removed)", report.deleted_objects)
        },
    );
    Ok(if report.failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Error
    })
}
