//! The `ferry` command line, in two stages as ripgrep's: [`args`] is what was typed (clap
//! definitions only), [`plan`] turns it into what will run (engine options, resolved
//! locations, each command's plan), and [`cmd`] holds one small module per command that runs
//! its plan. [`exit`] maps the outcome to an exit code and prints an error once.

pub mod args;
mod cmd;
pub mod exit;
mod interrupt;
mod plan;
mod progress;

pub use args::{Cli, Command};
use exit::Exit;
use ferry::Result;
use ferry::jobs::Direction;

/// Plans and runs a parsed command.
pub async fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Copy(args) => cmd::copy::run(cmd::copy::Plan::new(&args)?).await,
        Command::Check(args) => cmd::check::run(cmd::check::Plan::new(&args)?).await,
        Command::Cleanup(args) => cmd::cleanup::run(cmd::cleanup::Plan::new(&args)?).await,
        Command::Serve(args) => cmd::serve::run(cmd::serve::plan(args)?).await,
        Command::Upload(args) => {
            cmd::backup::run(cmd::backup::Plan::new(Direction::Upload, &args)?).await
        }
        Command::Download(args) => {
            cmd::backup::run(cmd::backup::Plan::new(Direction::Download, &args)?).await
        }
    }
}
