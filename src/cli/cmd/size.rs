//! `ferry size REMOTE`: how many files and bytes are below REMOTE, as `rclone size` says it.

use crate::cli::args::SizeArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

pub async fn run(args: &SizeArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let count = files.len() as u64;
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"count": count, "bytes": bytes, "sizeless": 0, "fs": location.display})
        );
        return Ok(Exit::Ok);
    }
    let suffixed = count_suffix(count);
    if suffixed == count.to_string() {
        println!("Total objects: {count}");
    } else {
        println!("Total objects: {suffixed} ({count})");
    }
    println!("Total size: {} ({bytes} Byte)", byte_unit(bytes));
    Ok(Exit::Ok)
}

/// `value` scaled by `base` with rclone's suffixes: a whole number as is, else 3 decimals.
fn scaled(value: u64, base: f64, suffixes: &[&str]) -> (String, String) {
    if value == 0 {
        return ("0".into(), String::new());
    }
    let mut x = value as f64;
    let mut i = 0;
    while x >= base && i + 1 < suffixes.len() {
        x /= base;
        i += 1;
    }
    let number = if x.floor() == x {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    };
    (number, suffixes[i].to_owned())
}

/// rclone's `CountSuffix`: `1.234k`, `12`.
pub fn count_suffix(n: u64) -> String {
    let (v, s) = scaled(n, 1000.0, &["", "k", "M", "G", "T", "P", "E"]);
    v + &s
}

/// rclone's `SizeSuffix.ByteUnit`: `1.234 KiB`, `512 B`, `0 B`.
pub fn byte_unit(n: u64) -> String {
    let (v, s) = scaled(n, 1024.0, &["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]);
    format!("{v} {s}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rclone_units() {
        assert_eq!(byte_unit(0), "0 B");
        assert_eq!(byte_unit(512), "512 B");
        assert_eq!(byte_unit(1264), "1.234 KiB");
        assert_eq!(byte_unit(3 << 20), "3 MiB");
        assert_eq!(count_suffix(12), "12");
        assert_eq!(count_suffix(1234), "1.234k");
        assert_eq!(count_suffix(2000), "2k");
    }
}
