//! `ferry check SRC DST`: read and hash both sides; exit 0 only when every file matches.

use ferry::Result;
use ferry::engine::{self, Options};
use ferry::store::Location;

use crate::cli::args::CopyArgs;
use crate::cli::exit::Exit;
use crate::cli::plan::{Output, Remotes, engine_options};

/// What `check` will compare.
#[derive(Debug)]
pub struct Plan {
    pub src: Location,
    pub dst: Location,
    pub options: Options,
    pub output: Output,
}

impl Plan {
    pub fn new(args: &CopyArgs) -> Result<Plan> {
        let options = engine_options(&args.common)?;
        let mut remotes = Remotes::new(args.common.config.clone(), &options.retry);
        Ok(Plan {
            src: remotes.location(&args.src)?,
            dst: remotes.location(&args.dst)?,
            options,
            output: Output::of(&args.common),
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit> {
    let report = engine::check(&plan.src, &plan.dst, &plan.options).await?;
    if plan.output.json {
        for d in &report.differences {
            println!(
                "{}",
                serde_json::json!({"event": "difference", "detail": d.to_string()})
            );
        }
        println!(
            "{}",
            serde_json::json!({"event": "done", "matching": report.matching, "differences": report.differences.len()})
        );
    } else {
        for d in &report.differences {
            println!("{d}");
        }
        eprintln!(
            "{} matching files, {} differences",
            report.matching,
            report.differences.len()
        );
    }
    Ok(if report.is_match() {
        Exit::Ok
    } else {
        Exit::Error
    })
}
