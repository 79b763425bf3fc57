//! Logging: `tracing` to stderr and to a daily rolling file in the data dir.
//!
//! The level comes from `SIGNOFF_LOG` (an `EnvFilter` directive such as `debug` or
//! `signoff_core=trace`), default `info`. Secrets never reach a log line: they are
//! [`crate::SecretString`]s, which print `[redacted]`.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{
    EnvFilter, Layer as _, fmt, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::error::Result;
use crate::paths::Paths;

/// The environment variable holding the log filter.
pub const LOG_ENV: &str = "SIGNOFF_LOG";

/// How many log lines may wait for the file writer's thread. The crate's default, 128,000,
/// is a queue allocated and touched in full as it is made: 4 MiB of every Signoff process's
/// memory (the window's and each `signoff` command's). At this many a line waits only if the
/// disk falls this far behind, and it then waits instead of being dropped.
const BUFFERED_LINES: usize = 4096;

/// Keep this alive for as long as the program runs: dropping it flushes the log file.
#[derive(Debug)]
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Installs the global subscriber. `app` names the log file (`signoff-app.log.<date>`).
/// Calling it twice in one process keeps the first subscriber.
pub fn init(paths: &Paths, app: &str) -> Result<LogGuard> {
    paths.ensure()?;
    let dir = paths.log_dir();
    crate::paths::create_private_dir(&dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(app)
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .map_err(|e| crate::Error::Io {
            action: "cannot open log file in",
            path: dir.clone(),
            source: std::io::Error::other(e),
        })?;
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .lossy(false)
        .finish(appender);
    let filter = || EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
                )
                .with_filter(filter()),
        )
        .with(
            fmt::layer()
                .with_writer(file_writer)
                .with_ansi(false)
                .with_filter(filter()),
        )
        .try_init();
    Ok(LogGuard { _file: guard })
}
