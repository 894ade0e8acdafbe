//! `ferry man [DIR]`: manual pages rendered by clap_mangen from the clap definitions, so
//! they say what `--help` says. rclone ships one `rclone.1` built from its docs; Ferry's
//! top page lists every command, and with DIR each command also gets its own
//! `ferry-<command>.1` (what packagers install under `man1/`).

use clap::CommandFactory;

use crate::cli::args::{Cli, ManArgs};
use crate::cli::cmd::completion::write_out;
use crate::cli::exit::{Exit, Failure};

pub fn run(args: &ManArgs) -> Result<Exit, Failure> {
    let cmd = Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| ferry::Error::io(dir, e))?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| ferry::Error::io(dir, e))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(|e| ferry::Error::io("man page", e))?;
            write_out(None, &page)?;
        }
    }
    Ok(Exit::Ok)
}
