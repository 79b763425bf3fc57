//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Sign out of your accounts for real: revoke at the provider, then delete from the keychain.
#[derive(Debug, Parser)]
#[command(name = "signoff", version, about, propagate_version = true)]
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
    /// Add, list and forget accounts.
    Account {
        #[command(subcommand)]
        cmd: AccountCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Add an account; its tokens are read as JSON from stdin:
    /// {"refresh_token": "...", "access_token": "...", "id_token": "..."} (any subset).
    Add {
        /// The provider profile id (for example meshydb, hyperid, matar).
        provider: String,
        /// A name for the account, shown in lists.
        #[arg(long)]
        label: String,
        /// The user at the provider (e-mail or user name).
        #[arg(long)]
        subject: Option<String>,
    },
    /// List the accounts you are signed in to.
    List,
    /// Delete an account locally WITHOUT revoking it at the provider.
    Forget {
        /// The account id (see `signoff account list`).
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}
