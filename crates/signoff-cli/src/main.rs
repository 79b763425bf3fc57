//! `signoff`: the command for admins and scripts. Parses arguments, calls the core, prints.
//!
//! Exit codes: 0 done, 1 usage or internal error (more arrive with sign-out: 2 failed, 3 pending).

mod args;
mod output;

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use signoff_core::{AccountId, NewAccount, Paths, Signoff, TokenBundle};

use args::{AccountCmd, Cli, Command};
use output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let out = Output::new(cli.json);
    let paths = match cli.home.clone() {
        Some(home) => Paths::under(&home),
        None => match Paths::from_env() {
            Ok(p) => p,
            Err(e) => return out.error(&e),
        },
    };
    let _log = match signoff_core::logging::init(&paths, "signoff-cli") {
        Ok(g) => g,
        Err(e) => return out.error(&e),
    };
    match run(cli.command, paths, &out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn run(command: Command, paths: Paths, out: &Output) -> signoff_core::Result<ExitCode> {
    let core = Signoff::open(paths)?;
    match command {
        Command::Account {
            cmd: AccountCmd::List,
        } => {
            out.accounts(&core.list_accounts()?);
        }
        Command::Account {
            cmd:
                AccountCmd::Add {
                    provider,
                    label,
                    subject,
                },
        } => {
            let tokens = TokenBundle::from_json(read_stdin_secret()?.expose_secret())?;
            let account = core.add_account(
                NewAccount {
                    provider_id: provider,
                    label,
                    subject,
                },
                tokens,
            )?;
            out.added(&account);
        }
        Command::Account {
            cmd: AccountCmd::Forget { id, yes },
        } => {
            let id = AccountId::parse(&id)?;
            let account = core.account(&id)?;
            if !yes
                && !output::confirm(&format!(
                    "Forget \"{}\" locally without signing out at {}? The server session may live on.",
                    account.label, account.provider_id
                ))
            {
                eprintln!("Nothing changed.");
                return Ok(ExitCode::from(1));
            }
            core.forget(&id)?;
            out.forgotten(&account);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads all of stdin into a secret (tokens and client secrets never come from argv).
fn read_stdin_secret() -> signoff_core::Result<signoff_core::SecretString> {
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|source| signoff_core::Error::Io {
            action: "cannot read tokens from",
            path: "standard input".into(),
            source,
        })?;
    Ok(signoff_core::SecretString::new(buf))
}
