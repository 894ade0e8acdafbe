//! `ferry`: parse, run, print the error once, exit with a code.

mod cli;

/// Tunes glibc's allocator for a process whose memory is a few dozen multi-MiB transfer
/// buffers, freed and allocated again all the time.
///
/// - Buffers up to 32 MiB (glibc's maximum) come from the heap, not from a fresh `mmap` each:
///   a fresh mapping costs a page fault and a zeroed page per 4 KiB, which was a fifth of
///   Ferry's CPU on downloads (perf: `exc_page_fault`, `clear_page_erms`).
/// - One arena: glibc's default of 8 per core let every blocking-pool thread keep its own
///   freed buffers, and the process grew far past the engine's in-flight budget (665 MiB
///   copying W1 locally; 240 MiB copying W2 with two arenas, 152 MiB with one). Small
///   allocations mostly come from the per-thread caches and do not take the arena's lock.
/// - Freed memory is kept up to 256 MiB rather than trimmed and faulted in again.
///
/// Measured on W1/W2 (benches/README.md): system CPU down by a third to a half, peak RSS
/// within 160 MiB.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let settings = [
            (libc::M_ARENA_MAX, 1),
            (libc::M_MMAP_THRESHOLD, 32 << 20),
            (libc::M_TRIM_THRESHOLD, 256 << 20),
        ];
        for (option, value) in settings {
            // SAFETY: mallopt only sets an allocator tunable; it is called before other
            // threads exist, with valid options and values.
            #[allow(unsafe_code)]
            unsafe {
                libc::mallopt(option, value);
            }
        }
    }
}

/// Raises the soft limit on open files to the hard one (at most 65,536), as Go's runtime and
/// most servers do: hundreds of files in flight, each with a connection and an open file, and
/// several server jobs at once, would meet the common soft limit of 1,024 (EMFILE).
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write the plain struct passed by reference.
        #[allow(unsafe_code)]
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                let wanted = limit.rlim_max.min(65_536);
                if limit.rlim_cur < wanted {
                    limit.rlim_cur = wanted;
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                }
            }
        }
    }
}

use std::process::ExitCode;

use clap::Parser;

use cli::exit;

fn main() -> ExitCode {
    tune_allocator();
    raise_open_file_limit();
    let cli = cli::Cli::parse();
    // `cleanup` reports everything it did and failed to do itself.
    let default_level = match cli.command {
        cli::Command::Cleanup(_) => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
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
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli));
    // Blocking work still running (a read the run no longer waits for) does not hold up exit.
    runtime.shutdown_background();
    match outcome {
        Ok(exit) => exit.into(),
        Err(failure) => {
            exit::print(&failure);
            ExitCode::from(failure.code())
        }
    }
}
