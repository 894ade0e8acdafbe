//! `ferry check SRC DST`: read and hash both sides; exit 0 only when every file matches.

use ferry::engine::{self, Options};
use ferry::store::Location;

use crate::cli::args::CheckArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Output, Resolver, Source, engine_options, source};

/// What `check` will compare.
#[derive(Debug)]
pub struct Plan {
    pub src: Location,
    pub dst: Location,
    pub options: Options,
    pub output: Output,
}

impl Plan {
    /// Both sides must be existing directories: a missing one is exit 3, never "0 files
    /// differ".
    pub async fn new(args: &CheckArgs) -> Result<Plan, Failure> {
        let options = engine_options(&args.common)?;
        let mut resolver = Resolver::new(args.common.access.config.clone(), &options.retry);
        let mut tree = async |arg: &str| -> Result<Location, Failure> {
            match source(&resolver.place(arg)?).await? {
                Source::Tree { location, .. } => Ok(location),
                Source::File { .. } => Err(Failure::Usage(format!(
                    "{arg}: a file; check compares directories"
                ))),
            }
        };
        let src = tree(&args.src).await?;
        let dst = tree(&args.dst).await?;
        Ok(Plan {
            src,
            dst,
            options,
            output: Output::of(&args.common),
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
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
