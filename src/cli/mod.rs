//! The `ferry` command line, in two stages as ripgrep's: [`args`] is what was typed (clap
//! definitions only), [`plan`] turns it into what will run (engine options, resolved
//! places, each command's plan), and [`cmd`] holds one small module per command that runs
//! its plan. [`exit`] maps the outcome to rclone's exit codes and prints an error once.

pub mod args;
mod cmd;
pub mod exit;
mod interrupt;
mod overlap;
mod plan;
mod progress;
mod renamed;

pub use args::{Cli, Command};
use cmd::copy::{Plan, Verb};
use exit::{Exit, Failure};
use ferry::jobs::Direction;

/// Plans and runs a parsed command.
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Copy(args) => cmd::copy::run(Plan::new(&args, Verb::Copy).await?).await,
        Command::Copyto(args) => cmd::copy::run(Plan::new(&args, Verb::CopyTo).await?).await,
        Command::Move(args) => cmd::moves::run(&args, Verb::Move).await,
        Command::Moveto(args) => cmd::moves::run(&args, Verb::MoveTo).await,
        Command::Sync(args) => cmd::sync::run(&args).await,
        Command::Check(args) => cmd::check::run(cmd::check::Plan::new(&args).await?).await,
        Command::Cleanup(args) => cmd::cleanup::run(cmd::cleanup::Plan::new(&args)?).await,
        Command::Serve(args) => cmd::serve::run(cmd::serve::plan(args)?).await,
        Command::Upload(args) => {
            cmd::backup::run(cmd::backup::Plan::new(Direction::Upload, &args)?).await
        }
        Command::Download(args) => {
            cmd::backup::run(cmd::backup::Plan::new(Direction::Download, &args)?).await
        }
        Command::Ls(args) => cmd::ls::run(&args, false).await,
        Command::Lsl(args) => cmd::ls::run(&args, true).await,
        Command::Lsd(args) => cmd::lsd::run(&args).await,
        Command::Lsjson(args) => cmd::lsjson::run(&args).await,
        Command::Size(args) => cmd::size::run(&args).await,
        Command::Cat(args) => cmd::cat::run(&args).await,
        Command::Delete(args) => cmd::delete::run(&args).await,
        Command::Purge(args) => cmd::purge::run(&args).await,
        Command::Mkdir(args) => cmd::mkdir::run(&args).await,
        Command::Completion(args) => cmd::completion::run(&args),
        Command::Man(args) => cmd::man::run(&args),
        Command::Backups(args) => cmd::backups::run(cmd::backups::Plan::new(&args)?).await,
        Command::Verify(args) => cmd::verify::run(cmd::verify::Plan::new(&args)?).await,
        Command::Prune(args) => cmd::prune::run(cmd::prune::Plan::new(&args)?).await,
    }
}
