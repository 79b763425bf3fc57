//! `signoff`: the command for admins and scripts. Parses arguments, calls the core, prints.
//!
//! Exit status: 0 all done, 3 some pending and none failed, 2 some failed, 1 usage or internal
//! error. Secrets (tokens, client secrets) are read from stdin, never from arguments.

mod output;

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use signoff_core::api::{AccountFilter, SignOutOptions, SignOutSummary};
use signoff_core::audit::Actor;
use signoff_core::profile::{SignInMethod, TokenKind};
use signoff_core::signin;
use signoff_core::{AccountId, Error, NewAccount, Paths, SecretString, Signoff, TokenBundle};

use output::Output;
use signoff_cli::args::{AccountCmd, AdminCmd, Cli, Command, Hint, PendingCmd, ProviderCmd};

const EXIT_FAILED: u8 = 2;
const EXIT_PENDING: u8 = 3;

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
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "signoff",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
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
    // A bulk revoke is one stream of provider calls driven from one task: on one thread it
    // never hands a wake-up to another (BENCHMARKS.md, 2). Sign-outs run keychain and database
    // work on the blocking pool next to the calls and keep the worker threads.
    let mut builder = if matches!(cli.command, Command::Revoke(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return out.error(&Error::Io {
                action: "cannot start",
                path: "the async runtime".into(),
                source: e,
            });
        }
    };
    match runtime.block_on(run(cli.command, paths, &out)) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

async fn run(command: Command, paths: Paths, out: &Output) -> signoff_core::Result<ExitCode> {
    let core = Arc::new(Signoff::open(paths)?);
    let actor = Actor::Admin;
    match command {
        Command::Completions { .. } => unreachable!("handled before opening the data dir"),
        Command::Providers => {
            let set = core.providers();
            out.providers(&set);
        }
        Command::Provider {
            cmd: ProviderCmd::Secret { provider },
        } => {
            let secret = read_stdin_secret("the client secret")?;
            core.set_client_secret(&provider, secret, actor)?;
            out.message(
                &serde_json::json!({ "provider": provider, "client_secret": "stored" }),
                &format!("Stored the client secret for {provider} in the keychain."),
            );
        }
        Command::Account {
            cmd: AccountCmd::List,
        } => out.accounts(&core.list_accounts()?),
        Command::Scan => out.scan(&core.scan_computer()?),
        Command::Account {
            cmd: AccountCmd::Check { within },
        } => {
            let checks = core
                .check_tokens(std::time::Duration::from_secs(within), actor)
                .await?;
            out.checks(&checks);
            let attention = checks
                .iter()
                .any(|c| c.result == signoff_core::api::TokenCheckResult::NeedsAttention);
            return Ok(if attention {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::SUCCESS
            });
        }
        Command::Account {
            cmd:
                AccountCmd::Login {
                    provider,
                    label,
                    timeout,
                    no_browser,
                    username,
                    password_stdin,
                    anonymous,
                    device,
                },
        } => {
            let method = core.providers().get(&provider)?.sign_in_method();
            let account = if device {
                let show = |code: &signoff_core::signin::device::DeviceCode| out.device_code(code);
                let (cancel, ctrl_c) = cancel_on_ctrl_c()?;
                let signed_in = core
                    .sign_in_on_another_device(&provider, label, show, cancel.cancelled(), actor)
                    .await;
                ctrl_c.abort();
                signed_in?
            } else if anonymous {
                core.sign_in_anonymously(&provider, username, label, actor)
                    .await?
            } else if let Some(username) = username {
                let password = read_password(password_stdin)?;
                core.sign_in_with_password(&provider, &username, &password, label, actor)
                    .await?
            } else if method == SignInMethod::Password {
                return Err(Error::InvalidInput {
                    field: "username",
                    reason: format!(
                        "{provider} signs in with a user name and password: give --username NAME \
                         (or --anonymous for a new anonymous user)"
                    ),
                });
            } else {
                browser_login(&core, &provider, label, no_browser, timeout, actor).await?
            };
            out.added(&account);
        }
        Command::Account {
            cmd:
                AccountCmd::Add {
                    provider,
                    label,
                    subject,
                },
        } => {
            let json = read_stdin_secret("the tokens")?;
            let tokens = TokenBundle::from_json(json.expose_secret())?;
            let account = core
                .add_pasted_account(
                    NewAccount {
                        provider_id: provider,
                        label,
                        subject,
                    },
                    tokens,
                    actor,
                )
                .await?;
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
            core.forget(&id, actor)?;
            out.forgotten(&account);
        }
        Command::Account {
            cmd: AccountCmd::Orphans { forget, ids, yes },
        } => {
            let wanted = ids
                .iter()
                .map(|id| AccountId::parse(id))
                .collect::<signoff_core::Result<Vec<_>>>()?;
            let orphans = core.orphans_named(&wanted)?;
            if !forget {
                out.orphans(&orphans);
                return Ok(ExitCode::SUCCESS);
            }
            if !orphans.is_empty()
                && !yes
                && !output::confirm(&format!(
                    "Delete {} orphaned keychain entr{} locally? Nothing is revoked; the server sessions may live on.",
                    orphans.len(),
                    if orphans.len() == 1 { "y" } else { "ies" }
                ))
            {
                eprintln!("Nothing changed.");
                return Ok(ExitCode::from(1));
            }
            for orphan in &orphans {
                core.forget_orphan(orphan, actor)?;
            }
            out.orphans_forgotten(&orphans);
        }
        Command::Signout(args) if args.dry_run => {
            let filter = AccountFilter {
                provider: args.provider,
                ids: args
                    .ids
                    .iter()
                    .map(|s| AccountId::parse(s))
                    .collect::<signoff_core::Result<Vec<_>>>()?,
            };
            out.dry_run(&core.sign_out_preview(&filter).await?);
        }
        Command::Signout(args) => {
            if let Err(e) = core.resume_adding() {
                tracing::warn!(error = %e, "half-added accounts not resumed this time");
            }
            let options = SignOutOptions {
                actor,
                verify: args.verify,
            };
            let progress = out.progress_lines();
            let summary = if args.all {
                let filter = AccountFilter {
                    provider: args.provider,
                    ..AccountFilter::default()
                };
                core.sign_out_all(&filter, options, |r| progress.receipt(r))
                    .await?
            } else {
                let ids = args
                    .ids
                    .iter()
                    .map(|s| AccountId::parse(s))
                    .collect::<signoff_core::Result<Vec<_>>>()?;
                core.sign_out(&ids, options, |r| progress.receipt(r))
                    .await?
            };
            out.summary(&summary);
            return Ok(exit_for(&summary));
        }
        Command::Pending { cmd: None } => out.pending(&core.pending()?),
        Command::Pending {
            cmd: Some(PendingCmd::Retry { due, now: _ }),
        } => {
            let options = SignOutOptions {
                actor,
                verify: false,
            };
            let progress = out.progress_lines();
            let summary = core
                .retry_pending(!due, options, |r| progress.receipt(r))
                .await?;
            out.retried(&summary, &core.pending()?);
            return Ok(exit_for(&summary));
        }
        Command::Audit { since } => {
            let since = since
                .map(|s| {
                    time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| Error::InvalidInput {
                            field: "since",
                            reason: format!(
                                "{s:?} is not an RFC 3339 time such as 2026-11-21T09:00:00Z"
                            ),
                        })
                })
                .transpose()?;
            out.audit(&core.audit(since)?);
        }
        Command::Admin {
            cmd: AdminCmd::Login { provider },
        } => {
            let secret = read_stdin_secret("the admin credential")?;
            core.set_admin_secret(&provider, secret, actor)?;
            out.message(
                &serde_json::json!({ "provider": provider, "admin_credential": "stored" }),
                &format!("Stored the admin credential for {provider} in the keychain."),
            );
        }
        Command::Admin {
            cmd: AdminCmd::Sessions { provider, user },
        } => {
            let person = core.admin_lookup(&provider, &user).await?;
            out.admin_person(&person);
            return Ok(match (&person.problem, person.pending) {
                (None, _) => ExitCode::SUCCESS,
                (Some(_), true) => ExitCode::from(EXIT_PENDING),
                (Some(_), false) => ExitCode::from(EXIT_FAILED),
            });
        }
        Command::Admin {
            cmd:
                AdminCmd::Signout {
                    provider,
                    mut users,
                    from,
                    dry_run,
                },
        } => {
            if let Some(path) = from {
                users.extend(read_users(&path)?);
            }
            if users.is_empty() {
                return Err(Error::InvalidInput {
                    field: "users",
                    reason: "no one to sign out: give --user or a --from file with names".into(),
                });
            }
            if dry_run {
                out.admin_plans(&core.admin_sign_out_preview(&provider, &users)?);
                return Ok(ExitCode::SUCCESS);
            }
            let receipts = core
                .admin_sign_out(&provider, users, actor, |r| out.admin_progress(r))
                .await?;
            out.admin_receipts(&receipts);
            use signoff_core::api::AdminOutcome;
            let any = |o: AdminOutcome| receipts.iter().any(|r| r.result == o);
            return Ok(
                if any(AdminOutcome::Failed) || any(AdminOutcome::NotFound) {
                    ExitCode::from(EXIT_FAILED)
                } else if any(AdminOutcome::Pending) {
                    ExitCode::from(EXIT_PENDING)
                } else {
                    ExitCode::SUCCESS
                },
            );
        }
        Command::Revoke(args) => {
            let hint = match args.hint {
                Hint::RefreshToken => TokenKind::RefreshToken,
                Hint::AccessToken => TokenKind::AccessToken,
            };
            let concurrency = usize::from(args.concurrency);
            let rx = signoff_core::api::read_tokens(std::io::stdin());
            let mut stream = out.bulk_stream();
            let run = core
                .revoke_bulk(&args.provider, hint, concurrency, rx, actor, |r| {
                    stream.result(r)
                })
                .await;
            // Results may have been written already: the stream ends the document either way.
            let summary = match run {
                Ok(summary) => summary,
                Err(e) => return Ok(stream.fail(&e)),
            };
            stream.finish(&summary);
            return Ok(if summary.failed > 0 {
                ExitCode::from(EXIT_FAILED)
            } else if summary.pending > 0 {
                ExitCode::from(EXIT_PENDING)
            } else {
                ExitCode::SUCCESS
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A browser sign-in: the `/start` address opened ($BROWSER, else the desktop's opener) and
/// printed, or only printed with `--no-browser`; Ctrl-C cancels it (`sign_in_cancelled`).
async fn browser_login(
    core: &Arc<Signoff>,
    provider: &str,
    label: Option<String>,
    no_browser: bool,
    timeout: u64,
    actor: Actor,
) -> signoff_core::Result<signoff_core::Account> {
    let opener = move |address: &url::Url| {
        if !no_browser && signin::open_in_browser(address.as_str()) {
            eprintln!("Continue in your browser. If nothing opened, visit:\n  {address}");
        } else {
            eprintln!("Open this address in a browser to sign in:\n  {address}");
        }
        eprintln!("Waiting up to {timeout} s (Ctrl-C to cancel)...");
    };
    let (cancel, ctrl_c) = cancel_on_ctrl_c()?;
    let timeout = std::time::Duration::from_secs(timeout);
    let result = core
        .sign_in_with_browser(provider, label, &opener, &cancel, timeout, actor)
        .await;
    ctrl_c.abort();
    result
}

/// A sign-in's cancel handle, cancelled by Ctrl-C (SIGINT) from now on: registered before any
/// address or code is shown. Abort the task when the sign-in is over.
fn cancel_on_ctrl_c()
-> signoff_core::Result<(signin::CancellationToken, tokio::task::JoinHandle<()>)> {
    let cancel = signin::CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|source| Error::Io {
            action: "cannot catch Ctrl-C for",
            path: "the sign-in".into(),
            source,
        })?;
    let task = tokio::spawn(async move {
        if sigint.recv().await.is_some() {
            on_ctrl_c.cancel();
        }
    });
    Ok((cancel, task))
}

fn exit_for(summary: &SignOutSummary) -> ExitCode {
    if summary.any_error() {
        ExitCode::from(1)
    } else if summary.any_failed() {
        ExitCode::from(EXIT_FAILED)
    } else if summary.any_pending() {
        ExitCode::from(EXIT_PENDING)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads all of stdin into a secret (tokens and client secrets never come from argv).
/// The password for a sign-in: one line from stdin with `--password-stdin`, else asked for on
/// the terminal without echo.
fn read_password(from_stdin: bool) -> signoff_core::Result<SecretString> {
    let io_error = |source| Error::Io {
        action: "cannot read",
        path: "the password".into(),
        source,
    };
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(io_error)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        rpassword::prompt_password("Password: ").map_err(io_error)?
    } else {
        return Err(Error::InvalidInput {
            field: "password",
            reason: "no terminal to ask on: pass --password-stdin and pipe the password".into(),
        });
    };
    if password.is_empty() {
        return Err(Error::InvalidInput {
            field: "password",
            reason: "is empty".into(),
        });
    }
    Ok(SecretString::new(password))
}

/// The people of a `--from` file (`-`: stdin): one a line, trimmed; blank lines and `#`
/// comments skipped. A line that is not UTF-8 text stops the run before anyone is signed out.
fn read_users(path: &std::path::Path) -> signoff_core::Result<Vec<String>> {
    let bytes = if path == std::path::Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|source| Error::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::InvalidInput {
        field: "from",
        reason: format!("{} is not UTF-8 text", path.display()),
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

fn read_stdin_secret(what: &str) -> signoff_core::Result<SecretString> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("Reading {what} from standard input (end with Ctrl-D)...");
    }
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|source| Error::Io {
            action: "cannot read",
            path: "standard input".into(),
            source,
        })?;
    Ok(SecretString::new(buf))
}
