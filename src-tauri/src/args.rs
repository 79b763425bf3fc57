//! `signoff-app`'s command line (clap). It needs only clap and `signoff_core::about`, so the
//! package's generator (`signoff-dist`) includes this very file to write `signoff-app(1)`.

use std::sync::LazyLock;

/// `signoff-app --version`: the version, then the licences.
static LONG_VERSION: LazyLock<String> = LazyLock::new(signoff_core::about::long_version);

/// `signoff-app`'s command line.
#[derive(Debug, clap::Parser)]
#[command(
    name = "signoff-app",
    version,
    long_version = LONG_VERSION.as_str(),
    about = "Signoff's window and tray: the accounts you are signed in to, and a real way out.",
    after_help = "The `signoff` command does the same from a terminal or a script."
)]
pub struct Args {
    /// Start in the tray only, without a window (open it from the tray's "Open Signoff").
    /// On a desktop without a tray the window opens all the same.
    #[arg(long)]
    pub hidden: bool,
    /// Try Signoff with made-up providers and sample accounts in a throwaway folder (in
    /// builds with the `demo` feature: `make run ARGS=--demo`; a packaged Signoff says it has
    /// none).
    #[arg(long)]
    pub demo: bool,
}

/// The command line's definition (for its man page, `signoff-app(1)`).
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}
