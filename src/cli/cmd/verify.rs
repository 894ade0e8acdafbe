//! `ferry verify ID REPO`: is a backup of a repository whole? Exit 0 only when it is.

use ferry::backup::BackupId;
use ferry::catalog::{Catalog, VerifyOptions};
use ferry::{Error, Result};

use super::backups::{catalog, json_failed};
use crate::cli::args::VerifyArgs;
use crate::cli::exit::{Exit, Failure};

/// The backup `verify` will check, and how.
#[derive(Debug)]
pub struct Plan {
    pub catalog: Catalog,
    pub id: BackupId,
    pub options: VerifyOptions,
    pub json: bool,
}

impl Plan {
    pub fn new(args: &VerifyArgs) -> Result<Plan, Failure> {
        let id = BackupId::parse(&args.id).map_err(|e| Error::BadParameter(e.to_string()))?;
        let mut options = VerifyOptions {
            read_data: args.read_data,
            ..VerifyOptions::default()
        };
        if let Some(t) = args.transfers {
            if t == 0 {
                return Err(Failure::Usage("--transfers must be at least 1".into()));
            }
            options.files_in_flight = t;
        }
        Ok(Plan {
            catalog: catalog(&args.repo)?,
            id,
            options,
            json: args.repo.json,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    // No such backup is a directory not found (exit 3), as for a missing SRC.
    let report = match plan.catalog.verify(&plan.id, &plan.options).await {
        Err(e) if e.is_not_found() => {
            let repository = &plan.catalog.repository.display;
            return Err(Failure::DirNotFound(format!(
                "backup {} in {repository}",
                plan.id
            )));
        }
        r => r?,
    };
    if plan.json {
        println!("{}", serde_json::to_string(&report).map_err(json_failed)?);
    } else {
        for p in &report.problems {
            println!("{p}");
        }
    }
    let how = format!(
        "{} files: {} by the hash the store keeps, {} read ({})",
        report.files,
        report.checked_by_stored_hash,
        report.checked_by_reading,
        indicatif::HumanBytes(report.bytes_read)
    );
    if report.is_whole() {
        eprintln!("backup {} is whole; {how}", report.id);
        Ok(Exit::Ok)
    } else {
        eprintln!(
            "backup {} is NOT whole: {} problems; {how}",
            report.id,
            report.problems.len()
        );
        Ok(Exit::Error)
    }
}
