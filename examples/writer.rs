//! A minimal writer of a data directory that follows Ferry's write-lock protocol, so that a
//! hot backup taken meanwhile is consistent (see `ferry::backup::lock`).
//!
//! ```sh
//! cargo run --example writer -- <data-dir> <file name> <content>
//! ```
//!
//! It takes the lock shared, writes `<data-dir>/<file name>` atomically (a temporary file,
//! fsync, rename, fsync of the directory) and releases the lock. Paths in the data directory
//! are resolved only once the lock is held: a restore may have replaced the directory while
//! the writer waited.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use ferry::backup::WriteLock;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data_dir, name, content] = args.as_slice() else {
        return Err("usage: writer <data-dir> <file name> <content>".into());
    };
    if name.contains('/') || name.starts_with('.') {
        return Err("the file name must be a plain name not starting with '.'".into());
    }
    let data_dir = Path::new(data_dir);

    // Blocks while a backup is being taken; many writers may hold it together.
    let lock = WriteLock::shared(data_dir)?;

    let target = data_dir.join(name);
    let staged = data_dir.join(format!(".{name}.writing"));
    let mut file = File::create(&staged)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    fs::rename(&staged, &target)?;
    File::open(data_dir)?.sync_all()?;

    // Dropping the guard releases the lock; a waiting backup may now proceed.
    drop(lock);
    println!("wrote {}", target.display());
    Ok(())
}
