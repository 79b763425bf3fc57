//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `signoff --version`: the version, then the licences.
static LONG_VERSION: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(signoff_core::about::long_version);

/// Sign out of your accounts for real: revoke at the provider, then delete from the keychain.
///
/// Exit status: 0 all done (revoked, already revoked or local only), 3 some pending and none
/// failed, 2 some failed, 1 usage or internal error.
#[derive(Debug, Parser)]
#[command(
    name = "signoff",
    version,
    long_version = LONG_VERSION.as_str(),
    about,
    propagate_version = true
)]
pub struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Keep all data under DIR (same as SIGNOFF_HOME).
    #[arg(long, global = true, value_name = "DIR", env = "SIGNOFF_HOME")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List provider profiles (built-in, system-wide and yours) and any problems in them.
    Providers,
    /// Manage a provider profile.
    Provider {
        #[command(subcommand)]
        cmd: ProviderCmd,
    },
    /// Add, list and forget accounts.
    Account {
        #[command(subcommand)]
        cmd: AccountCmd,
    },
    /// Find the sessions other tools (gh, git, npm, kubectl, Docker, cloud CLIs…) keep on this
    /// computer; they become accounts that `signoff signout` ends for real. Reads only.
    Scan,
    /// Sign accounts out: revoke at the provider, then delete the tokens from the keychain.
    Signout(SignoutArgs),
    /// Show revocations waiting for a retry, or retry them.
    Pending {
        #[command(subcommand)]
        cmd: Option<PendingCmd>,
    },
    /// Show the audit log.
    Audit {
        /// Only entries at or after this time (RFC 3339, e.g. 2026-11-21T00:00:00Z).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },
    /// Admin bulk revoke: tokens one per line on stdin, no accounts needed.
    Revoke(RevokeArgs),
    /// IT admins: sign people out at their identity provider with admin rights.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum ProviderCmd {
    /// Store the provider's client secret in the keychain; the secret is read from stdin.
    Secret {
        /// The provider profile id.
        provider: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Add an account; its tokens are read as JSON from stdin:
    /// {"refresh_token": "...", "access_token": "...", "id_token": "..."} (any subset).
    Add {
        /// The provider profile id (see `signoff providers`).
        provider: String,
        /// A name for the account, shown in lists.
        #[arg(long)]
        label: String,
        /// The user at the provider (e-mail or user name).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Sign in and add the account: through the browser (OpenID Connect with PKCE), on another
    /// device with a code (--device, RFC 8628), or with a user name and password where the
    /// provider takes them (MeshyDB).
    Login {
        /// The provider profile id (see `signoff providers`).
        provider: String,
        /// A name for the account (default: from the provider).
        #[arg(long)]
        label: Option<String>,
        /// Sign in with this user name and a password (asked for on the terminal, or read from
        /// stdin with --password-stdin).
        #[arg(long, value_name = "NAME")]
        username: Option<String>,
        /// Read the password from standard input (for scripts) instead of asking.
        #[arg(long, requires = "username", conflicts_with = "anonymous")]
        password_stdin: bool,
        /// Register a new anonymous user (MeshyDB) and sign it in; --username names it.
        #[arg(long)]
        anonymous: bool,
        /// Sign in on another device (a phone, another computer): prints an address and a code
        /// to enter there (on stderr; one JSON line there with --json), then waits until it is
        /// approved, refused or expires. For machines where no browser runs. Ctrl-C cancels.
        #[arg(long, conflicts_with_all = ["username", "anonymous", "no_browser", "timeout"])]
        device: bool,
        /// Give up after this many seconds (a browser sign-in; with --device the code's own
        /// lifetime counts).
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Do not start a browser ($BROWSER, else xdg-open); only print the short loopback
        /// address to open.
        #[arg(long)]
        no_browser: bool,
    },
    /// Refresh tokens that expire soon; mark accounts whose tokens cannot be refreshed as
    /// needing attention (exit 2 when there is one).
    Check {
        /// Look at tokens expiring within this many seconds.
        #[arg(long, default_value_t = 300)]
        within: u64,
    },
    /// List the accounts you are signed in to.
    List,
    /// List keychain entries of Signoff (service `signoff`, user = an account id) that no
    /// account of this data folder knows, e.g. left by a crash while adding. Signoff cannot
    /// sign them out at a provider (without the account it does not know which provider, nor
    /// its endpoints), so it can only list them and, with --forget, delete them locally.
    /// Only this data folder's entries are listed (each entry names its folder).
    Orphans {
        /// Delete the listed entries (or only IDS) from the keychain WITHOUT revoking anything.
        #[arg(long)]
        forget: bool,
        /// With --forget: only these entries (ids as listed).
        #[arg(requires = "forget")]
        ids: Vec<String>,
        /// Do not ask for confirmation.
        #[arg(long, requires = "forget")]
        yes: bool,
    },
    /// Delete an account locally WITHOUT revoking it at the provider.
    Forget {
        /// The account id (see `signoff account list`).
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct SignoutArgs {
    /// Account ids to sign out.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<String>,
    /// Sign out every account.
    #[arg(long)]
    pub all: bool,
    /// With --all: only accounts of this provider.
    #[arg(long, requires = "all")]
    pub provider: Option<String>,
    /// Afterwards, ask the provider's introspection endpoint whether the tokens are inactive.
    #[arg(long, conflicts_with = "dry_run")]
    pub verify: bool,
    /// Call nothing: show, per account, what would be called and what would end (OpenID
    /// providers' public metadata is read to know their endpoints).
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum PendingCmd {
    /// Retry every pending revocation now (only the due ones with --due).
    Retry {
        /// Retry only those whose next attempt is due (for schedulers).
        #[arg(long)]
        due: bool,
        /// Now, due or not: the default, accepted for older scripts.
        #[arg(long, hide = true, conflicts_with = "due")]
        now: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Store the provider's admin credential (an API token, or the admin app's client secret)
    /// in the keychain; it is read from stdin.
    Login {
        /// The provider profile id (okta, microsoft, …).
        provider: String,
    },
    /// End every session of these people at the provider.
    Signout {
        /// The provider profile id.
        provider: String,
        /// A person's id, login or e-mail (repeat for several).
        #[arg(long = "user", value_name = "USER", required_unless_present = "from")]
        users: Vec<String>,
        /// A file of people, one a line (`-`: stdin); blank lines and `#` comments skipped.
        #[arg(long, value_name = "FILE")]
        from: Option<std::path::PathBuf>,
        /// Show the calls per person; call nothing (no credential needed).
        #[arg(long)]
        dry_run: bool,
    },
    /// Look a person up and list the sessions the provider reports for them (where it can).
    Sessions {
        /// The provider profile id.
        provider: String,
        /// The person's id, login or e-mail.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The provider profile id.
    pub provider: String,
    /// The kind of token on stdin.
    #[arg(long, value_enum, default_value_t = Hint::RefreshToken)]
    pub hint: Hint,
    // 64: the provider always has requests waiting; with 32 it idled between answers on a busy
    // 2-core machine (BENCHMARKS.md).
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Hint {
    RefreshToken,
    AccessToken,
}
