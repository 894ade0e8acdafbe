//! `ferry`: parse, run, print the error once, exit with a code.

mod cli;

/// Pins glibc's mmap threshold at 128 KiB. glibc raises it after every free of a large
/// block, after which multi-MiB transfer buffers come from per-thread arenas that keep them:
/// with many blocking-pool threads the process grew far past the engine's in-flight budget
/// (665 MiB peak copying W1 locally; 148 MiB pinned, and faster). mimalloc did worse (859 MiB).
fn pin_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; it is called once, before other threads
    // exist, with a valid option and value.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

use clap::Parser;

fn main() {
    pin_mmap_threshold();
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry: error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    let code = match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(ferry::Error::Cancelled) => {
            eprintln!("ferry: cancelled");
            130
        }
        Err(e) => {
            eprintln!("ferry: error: {e}");
            1
        }
    };
    std::process::exit(code);
}
