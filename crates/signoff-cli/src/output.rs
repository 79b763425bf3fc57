//! Printing: tables for people (colour only on a terminal, never with NO_COLOR), one JSON
//! document on stdout with `--json` (also when a streamed bulk revoke fails part-way), progress
//! on stderr when it is a terminal. Errors carry the core's stable code.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anstream::{eprintln as aeprintln, println as aprintln};
use anstyle::{AnsiColor, Style};
use serde_json::json;
use signoff_core::Account;
use signoff_core::api::orphans::Orphan;
use signoff_core::api::{BulkResult, BulkSummary, Ends, SignOutPreview, SignOutSummary};
use signoff_core::audit::AuditEntry;
use signoff_core::engine::Receipt;
use signoff_core::error::ErrorReport;
use signoff_core::outcome::Outcome;
use signoff_core::profile::{ProfileSet, SignInMethod, WhatEnds};
use signoff_core::signin::device::DeviceCode;

#[derive(Debug)]
pub struct Output {
    json: bool,
}

fn outcome_style(o: Outcome) -> Style {
    match o {
        Outcome::Revoked | Outcome::AlreadyRevoked => AnsiColor::Green.on_default(),
        Outcome::LocalOnly | Outcome::Pending => AnsiColor::Yellow.on_default(),
        Outcome::Failed => AnsiColor::Red.on_default().bold(),
    }
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What to say about a receipt besides its outcome.
fn receipt_detail(r: &Receipt) -> String {
    let mut parts = Vec::new();
    for removed in r.removed.iter().filter(|x| x.was_there) {
        parts.push(match &removed.backup {
            Some(b) => format!(
                "removed from {} (backup without the token: {})",
                removed.place,
                b.display()
            ),
            None => format!("removed from {}", removed.place),
        });
    }
    if let Some(e) = &r.report.error {
        parts.push(e.to_string());
    }
    if let Some(n) = &r.report.note {
        parts.push(n.clone());
    }
    if r.report.outcome == Outcome::Pending {
        match r.report.retry_after_secs {
            Some(s) => parts.push(format!("provider asked to wait {s} s; kept for retry")),
            None => parts.push("kept in the keychain for a retry (signoff pending)".into()),
        }
    }
    match r.report.verified {
        Some(true) => parts.push("verified inactive".into()),
        Some(false) => parts.push("introspection says a token is STILL ACTIVE".into()),
        None => {}
    }
    parts.join("; ")
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    fn print_json(&self, value: &serde_json::Value) {
        println!("{value}");
    }

    pub fn message(&self, value: &serde_json::Value, text: &str) {
        if self.json {
            self.print_json(value)
        } else {
            println!("{text}");
        }
    }

    /// `signout --dry-run`: per account, what would be called and what would end.
    pub fn dry_run(&self, preview: &SignOutPreview) {
        if self.json {
            return self.print_json(&serde_json::to_value(preview).unwrap_or_default());
        }
        let n = preview.accounts;
        println!(
            "Dry run: nothing was called. Signing out would cover {n} account{}.",
            if n == 1 { "" } else { "s" }
        );
        for a in &preview.covered {
            let Some(p) = preview.providers.iter().find(|p| p.id == a.provider) else {
                continue;
            };
            let ends = match (p.ends, p.what_ends) {
                (Ends::OnlyHere, _) | (_, Some(WhatEnds::Nothing)) => {
                    format!("only the copy here; the session at {} lives on", p.label)
                }
                (Ends::Unknown, _) => "not known before trying".into(),
                (Ends::AtProvider, Some(w)) => format!("{} at {}", ends_words(w), p.label),
                (Ends::AtProvider, None) => format!("the session at {}", p.label),
            };
            println!("\n{} ({}, {})\n  ends: {ends}", a.label, p.label, a.id);
            for c in &p.calls {
                println!(
                    "  {} {}  ({}, {} as {})",
                    c.method, c.url, c.name, c.token, c.sends
                );
            }
            for extra in [&p.note, &p.caveat].into_iter().flatten() {
                println!("  {extra}");
            }
            if let Some(page) = &p.manage_url {
                println!("  finish at: {page}");
            }
        }
    }

    pub fn providers(&self, set: &ProfileSet) {
        if self.json {
            return self.print_json(&serde_json::to_value(set).unwrap_or_default());
        }
        let rows: Vec<[String; 5]> = set
            .profiles
            .iter()
            .map(|p| {
                let source = match &p.source {
                    signoff_core::profile::Source::Builtin => "built-in".to_owned(),
                    signoff_core::profile::Source::System { path } => path.display().to_string(),
                    signoff_core::profile::Source::User { path } => path.display().to_string(),
                };
                let locked = if p.locked { " (locked)" } else { "" };
                let sign_out = match &p.incomplete {
                    Some(why) => format!("incomplete: {why}"),
                    None if !p.can_revoke_on_server() => format!("local only{locked}"),
                    None => format!("ready{locked}"),
                };
                let sign_in = match (p.sign_in_method(), p.sign_in_needs()) {
                    (_, Some(needs)) if p.incomplete.is_none() => needs,
                    (SignInMethod::Browser, _) => "browser".into(),
                    (SignInMethod::Password, _) => "user name and password".into(),
                    (SignInMethod::Paste, _) => "paste tokens".into(),
                };
                [p.id.clone(), p.label.clone(), sign_out, sign_in, source]
            })
            .collect();
        print_table(&["ID", "LABEL", "SIGN-OUT", "SIGN-IN", "SOURCE"], &rows);
        for problem in &set.problems {
            aeprintln!(
                "{}warning:{} {problem}",
                AnsiColor::Yellow.on_default(),
                Style::new()
            );
        }
    }

    pub fn accounts(&self, accounts: &[Account]) {
        if self.json {
            return self.print_json(&json!({ "accounts": accounts }));
        }
        if accounts.is_empty() {
            println!("No accounts. Add one with `signoff account add <provider> --label <text>`.");
            return;
        }
        let rows: Vec<[String; 6]> = accounts
            .iter()
            .map(|a| {
                [
                    a.id.to_string(),
                    a.provider_id.clone(),
                    a.label.clone(),
                    a.subject.clone().unwrap_or_default(),
                    a.status.as_str().to_owned(),
                    a.origin.clone(),
                ]
            })
            .collect();
        print_table(
            &["ID", "PROVIDER", "LABEL", "SUBJECT", "STATUS", "ORIGIN"],
            &rows,
        );
    }

    /// One person's admin sign-out as it finishes (stderr, for people).
    pub fn admin_progress(&self, r: &signoff_core::api::AdminReceipt) {
        if !self.json {
            aeprintln!(
                "  {:<10} {} ({}){}",
                r.result.as_str(),
                r.user,
                r.provider,
                if r.resumed {
                    ", done before the last run of this list stopped"
                } else {
                    ""
                }
            );
        }
    }

    /// What an admin sign-out would call, per person.
    pub fn admin_plans(&self, plans: &[signoff_core::api::AdminPlan]) {
        if self.json {
            return self.print_json(&json!({ "dry_run": true, "plans": plans }));
        }
        println!("Dry run: nothing was called.");
        for p in plans {
            println!("\n{} ({})", p.user, p.provider);
            if let Some(problem) = &p.problem {
                println!("  not signed out: {problem}");
            }
            for c in &p.calls {
                println!("  {} {}  ({})", c.method, c.url, c.name);
            }
            if let Some(n) = &p.note {
                println!("  {n}");
            }
        }
    }

    /// Who matched a person at the provider, and the sessions it lists for them.
    pub fn admin_person(&self, p: &signoff_core::api::AdminPerson) {
        if self.json {
            return self.print_json(&json!(p));
        }
        if let Some(problem) = &p.problem {
            aeprintln!("{}: {problem}", p.user);
        }
        for m in &p.matches {
            println!(
                "{} at {}: {} {}",
                p.user,
                p.provider,
                m.id,
                m.shows.join(" ")
            );
        }
        match &p.sessions {
            None if p.problem.is_none() => println!(
                "{} has no way to list a person's sessions; `signoff admin signout` still ends them.",
                p.provider
            ),
            None => {}
            Some(list) if list.is_empty() => println!("No sessions."),
            Some(list) => {
                let rows: Vec<[String; 6]> = list
                    .iter()
                    .map(|s| {
                        [
                            if s.offline { "offline" } else { "sign-in" }.to_owned(),
                            s.id.clone().unwrap_or_default(),
                            s.started.clone().unwrap_or_default(),
                            s.last_seen.clone().unwrap_or_default(),
                            s.address.clone().unwrap_or_default(),
                            s.apps.join(", "),
                        ]
                    })
                    .collect();
                print_table(
                    &["KIND", "SESSION", "STARTED", "LAST SEEN", "ADDRESS", "APPS"],
                    &rows,
                );
            }
        }
    }

    /// Every person's receipt.
    pub fn admin_receipts(&self, receipts: &[signoff_core::api::AdminReceipt]) {
        if self.json {
            return self.print_json(&json!({ "results": receipts }));
        }
        let rows: Vec<[String; 4]> = receipts
            .iter()
            .map(|r| {
                let detail = [
                    r.report.error.as_ref().map(|e| e.to_string()),
                    r.report.note.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
                [
                    r.user.clone(),
                    r.provider.clone(),
                    r.result.as_str().to_owned(),
                    detail,
                ]
            })
            .collect();
        print_table(&["USER", "PROVIDER", "RESULT", "DETAIL"], &rows);
    }

    /// What `signoff scan` found: each session, where its copies live, and the stores that
    /// could not be read.
    pub fn scan(&self, scan: &signoff_core::api::ScanSummary) {
        if self.json {
            return self.print_json(&json!(scan));
        }
        if scan.found.is_empty() {
            println!("No sessions of other tools found on this computer.");
        } else {
            let rows: Vec<[String; 6]> = scan
                .found
                .iter()
                .map(|f| {
                    [
                        f.id.to_string(),
                        f.tool.as_str().to_owned(),
                        f.user.clone().unwrap_or_default(),
                        f.host.clone().unwrap_or_default(),
                        if f.revocable {
                            f.provider.clone()
                        } else {
                            "this computer only".into()
                        },
                        f.stores
                            .iter()
                            .map(|c| c.place.to_string())
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ]
                })
                .collect();
            print_table(
                &[
                    "ID",
                    "TOOL",
                    "USER",
                    "HOST",
                    "SIGN-OUT ENDS IT AT",
                    "STORED IN",
                ],
                &rows,
            );
            println!(
                "Sign one out with `signoff signout <id>`, or all with `signoff signout --all`."
            );
        }
        // One line per reason: a keyring that cannot be reached is said once, for every tool.
        let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
        for p in &scan.problems {
            let store = format!("{} ({})", p.store, p.tool.as_str());
            match reasons.iter_mut().find(|(r, _)| *r == p.reason) {
                Some((_, stores)) => stores.push(store),
                None => reasons.push((&p.reason, vec![store])),
            }
        }
        for (reason, stores) in reasons {
            aeprintln!("not read, left as is: {}: {reason}", stores.join(", "));
        }
    }

    pub fn pending(&self, accounts: &[Account]) {
        if self.json {
            return self.print_json(&json!({ "pending": accounts }));
        }
        if accounts.is_empty() {
            println!("No revocation is pending.");
            return;
        }
        let rows: Vec<[String; 5]> = accounts
            .iter()
            .map(|a| {
                [
                    a.id.to_string(),
                    a.provider_id.clone(),
                    a.label.clone(),
                    a.next_attempt_at
                        .map(time_text)
                        .unwrap_or_else(|| "now".into()),
                    a.last_error
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        print_table(
            &["ID", "PROVIDER", "LABEL", "NEXT ATTEMPT", "LAST ERROR"],
            &rows,
        );
        println!(
            "Retry them all now with `signoff pending retry` (only the due ones with `--due`)."
        );
    }

    /// What `pending retry` did, and the revocations still pending afterwards: in `--json` the
    /// summary plus `pending`; for people, when it did nothing, a line per pending account with
    /// its next try.
    pub fn retried(&self, s: &SignOutSummary, pending: &[Account]) {
        if self.json {
            let mut doc = serde_json::to_value(s).unwrap_or_default();
            doc["pending"] = serde_json::to_value(pending).unwrap_or_default();
            return self.print_json(&doc);
        }
        if !s.results.is_empty() || !s.skipped.is_empty() {
            return self.summary(s);
        }
        if pending.is_empty() {
            println!("No revocation is pending.");
            return;
        }
        println!(
            "Nothing is due yet; {} revocation(s) pending:",
            pending.len()
        );
        let now = time::OffsetDateTime::now_utc();
        for a in pending {
            let next = match a.next_attempt_at {
                Some(t) if t > now => format!(
                    "next try {} (in {} s)",
                    time_text(t),
                    (t - now).whole_seconds().max(1)
                ),
                _ => "next try now".to_owned(),
            };
            println!("  {} ({}): {next}", a.label, a.provider_id);
        }
        println!("Retry them all now with `signoff pending retry`.");
    }

    pub fn audit(&self, entries: &[AuditEntry]) {
        if self.json {
            return self.print_json(&json!({ "audit": entries }));
        }
        let rows: Vec<[String; 7]> = entries
            .iter()
            .map(|e| {
                [
                    time_text(e.at),
                    e.actor.as_str().into(),
                    e.action.as_str().into(),
                    e.label.clone().or(e.account.clone()).unwrap_or_default(),
                    e.provider.clone().unwrap_or_default(),
                    e.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    [e.error_code.clone(), e.detail.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect();
        print_table(
            &[
                "TIME", "ACTOR", "ACTION", "ACCOUNT", "PROVIDER", "OUTCOME", "DETAIL",
            ],
            &rows,
        );
    }

    pub fn checks(&self, checks: &[signoff_core::api::TokenCheck]) {
        if self.json {
            return self.print_json(&json!({ "checks": checks }));
        }
        if checks.is_empty() {
            println!("No token expires soon.");
            return;
        }
        let rows: Vec<[String; 3]> = checks
            .iter()
            .map(|c| {
                let result = serde_json::to_value(c.result)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                [
                    c.label.clone(),
                    result,
                    c.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        print_table(&["ACCOUNT", "RESULT", "DETAIL"], &rows);
    }

    pub fn added(&self, a: &Account) {
        if self.json {
            return self.print_json(&serde_json::to_value(a).unwrap_or_default());
        }
        println!("Added {} ({}) as {}", a.label, a.provider_id, a.id);
    }

    /// The code of a sign-in on another device, on stderr (stdout keeps its one document): as
    /// one JSON line with `--json`, else as words. Never the device code itself (a secret).
    pub fn device_code(&self, code: &DeviceCode) {
        if self.json {
            eprintln!("{}", json!({ "device_code": code }));
            return;
        }
        eprintln!(
            "To sign in, open this address on a phone or another computer:\n  {}\nand enter the code:\n  {}",
            code.verification_uri, code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            eprintln!("Or open this address, which holds the code:\n  {complete}");
        }
        eprintln!(
            "The code expires in {} s. Waiting (Ctrl-C to cancel)...",
            code.expires_in
        );
    }

    pub fn orphans(&self, orphans: &[Orphan]) {
        if self.json {
            return self.print_json(&json!({ "orphans": orphans }));
        }
        if orphans.is_empty() {
            println!("No orphaned keychain entries: every Signoff entry belongs to an account.");
            return;
        }
        let rows: Vec<[String; 2]> = orphans
            .iter()
            .map(|o| [o.id.to_string(), o.label.clone()])
            .collect();
        print_table(&["ID", "KEYCHAIN LABEL"], &rows);
        println!(
            "Signoff cannot sign these out (it does not know their provider); \
             `signoff account orphans --forget` deletes them locally."
        );
    }

    pub fn orphans_forgotten(&self, orphans: &[Orphan]) {
        if self.json {
            let ids: Vec<_> = orphans.iter().map(|o| &o.id).collect();
            return self.print_json(&json!({ "forgotten": ids }));
        }
        if orphans.is_empty() {
            println!("No orphaned keychain entries; nothing changed.");
            return;
        }
        for o in orphans {
            println!(
                "Deleted the keychain entry {} ({}) locally; nothing was revoked.",
                o.id, o.label
            );
        }
    }

    pub fn forgotten(&self, a: &Account) {
        if self.json {
            return self.print_json(&json!({ "forgotten": a.id }));
        }
        println!(
            "Forgot {} ({}) locally; nothing was revoked at the provider.",
            a.label, a.provider_id
        );
    }

    /// Live progress for sign-outs: a line on stderr per receipt, when stderr is a terminal.
    pub fn progress_lines(&self) -> ProgressLines {
        ProgressLines {
            enabled: std::io::stderr().is_terminal() && !self.json,
        }
    }

    pub fn summary(&self, s: &SignOutSummary) {
        if self.json {
            return self.print_json(&serde_json::to_value(s).unwrap_or_default());
        }
        if s.results.is_empty() && s.skipped.is_empty() {
            println!("Nothing to sign out.");
            return;
        }
        let rows: Vec<[String; 5]> = s
            .results
            .iter()
            .map(|r| {
                [
                    r.report.outcome.as_str().to_owned(),
                    r.label.clone(),
                    r.provider.clone(),
                    r.report
                        .http_status
                        .map(|h| h.to_string())
                        .unwrap_or_else(|| "-".into()),
                    receipt_detail(r),
                ]
            })
            .collect();
        print_styled_table(
            &["OUTCOME", "ACCOUNT", "PROVIDER", "HTTP", "DETAIL"],
            &rows,
            |i| Some(outcome_style(s.results[i].report.outcome)),
        );
        for k in &s.skipped {
            match k.error {
                Some(code) => eprintln!("signoff: error [{code}] for {}: {}", k.account, k.reason),
                None => println!("skipped {}: {}", k.account, k.reason),
            }
        }
    }

    /// Streams bulk results: JSON items inside one document, or one text line per token.
    pub fn bulk_stream(&self) -> BulkStream {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} tokens revoked or checked ({per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        BulkStream {
            json: self.json,
            started: false,
            bar,
            out: std::io::BufWriter::new(std::io::stdout()),
        }
    }

    /// Prints an error (JSON on stdout with `--json`, text on stderr otherwise) and gives exit 1.
    pub fn error(&self, e: &signoff_core::Error) -> ExitCode {
        if self.json {
            self.print_json(&json!({ "error": ErrorReport::from(e) }));
        } else {
            print_error_text(e);
        }
        ExitCode::from(1)
    }
}

/// An error for people, on stderr, with its code.
fn print_error_text(e: &signoff_core::Error) {
    let report = ErrorReport::from(e);
    aeprintln!(
        "{}signoff: error [{}]:{} {}",
        AnsiColor::Red.on_default().bold(),
        report.code,
        Style::new(),
        report.message
    );
}

/// Per-receipt progress lines on stderr.
#[derive(Debug)]
pub struct ProgressLines {
    enabled: bool,
}

impl ProgressLines {
    pub fn receipt(&self, r: &Receipt) {
        if self.enabled {
            let (o, s) = (r.report.outcome, outcome_style(r.report.outcome));
            aeprintln!("  {s}{:<16}{s:#} {} ({})", o.as_str(), r.label, r.provider);
        }
    }
}

/// Bulk results as they come. With `--json` they are the items of one document's `results`,
/// which is opened at the first result and always closed: by [`BulkStream::finish`] with the
/// summary, or by [`BulkStream::fail`] with the error that stopped the run. Nothing is kept
/// but the output buffer, so memory stays flat however many tokens come.
#[derive(Debug)]
pub struct BulkStream {
    json: bool,
    /// Whether the JSON document has been opened (`{"results":[` written).
    started: bool,
    bar: indicatif::ProgressBar,
    out: std::io::BufWriter<std::io::Stdout>,
}

impl BulkStream {
    pub fn result(&mut self, r: &BulkResult) {
        self.bar.inc(1);
        if self.json {
            let sep = if self.started { "," } else { self.open() };
            let _ = write!(
                self.out,
                "{sep}{}",
                serde_json::to_string(r).unwrap_or_default()
            );
        } else {
            let detail = r
                .report
                .error
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default();
            // A line that was not a token has no fingerprint.
            let fingerprint = if r.fingerprint.is_empty() {
                "-"
            } else {
                &r.fingerprint
            };
            let line = format!(
                "{:>8}  {:<12}  {:<16} {}  {}",
                r.line,
                fingerprint,
                r.report.outcome.as_str(),
                r.report
                    .http_status
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "-".into()),
                detail
            );
            self.bar.suspend(|| {
                let _ = writeln!(self.out, "{}", line.trim_end());
            });
        }
    }

    /// Ends the output with the summary.
    pub fn finish(mut self, s: &BulkSummary) {
        self.bar.finish_and_clear();
        if self.json {
            let summary = serde_json::to_string(s).unwrap_or_default();
            let open = self.open();
            let _ = writeln!(self.out, "{open}],\"summary\":{summary}}}");
        } else {
            let _ = writeln!(self.out, "{}", s.describe());
            let _ = writeln!(
                self.out,
                "in flight: {} at the end, {} at most (--concurrency {})",
                s.final_limit, s.peak_limit, s.limit_cap
            );
        }
        let _ = self.out.flush();
    }

    /// Ends the output with the error that stopped the run, and gives exit 1. With `--json` the
    /// document keeps the results already written and gets `"error"` (and no `"summary"`), or
    /// is the usual `{"error": ...}` when no result came.
    pub fn fail(mut self, e: &signoff_core::Error) -> ExitCode {
        self.bar.finish_and_clear();
        if self.json {
            let error = json!(ErrorReport::from(e));
            let _ = if self.started {
                writeln!(self.out, "],\"error\":{error}}}")
            } else {
                writeln!(self.out, "{}", json!({ "error": error }))
            };
            let _ = self.out.flush();
        } else {
            let _ = self.out.flush();
            print_error_text(e);
        }
        ExitCode::from(1)
    }

    /// What opens the JSON document: its start the first time, nothing after.
    fn open(&mut self) -> &'static str {
        if std::mem::replace(&mut self.started, true) {
            ""
        } else {
            "{\"results\":["
        }
    }
}

/// Asks a yes/no question on the terminal; anything but y/yes (or no terminal) is no.
pub fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("{question}\nRefusing without a terminal to ask on; pass --yes to confirm.");
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok()
        && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Prints rows in columns (see [`table_lines`]).
fn print_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) {
    print_styled_table(headers, rows, |_| None);
}

/// Prints rows in columns, the first cell of row `i` in `lead_style(i)`.
fn print_styled_table<const N: usize>(
    headers: &[&str; N],
    rows: &[[String; N]],
    lead_style: impl Fn(usize) -> Option<Style>,
) {
    for line in table_lines(headers, rows, lead_style) {
        aprintln!("{line}");
    }
}

/// Lays rows out in columns for people: each column as wide as its widest cell in terminal
/// columns (comfy-table measures with `unicode-width`, so CJK and emoji count two), two spaces
/// apart, no borders, no trailing blanks. Nothing is wrapped or fitted to the terminal, so a
/// pipe gets the same lines as a terminal. Cells are laid out as plain text and the first cell
/// of a row is styled afterwards, so escape codes never count towards a width.
fn table_lines<const N: usize>(
    headers: &[&str; N],
    rows: &[[String; N]],
    lead_style: impl Fn(usize) -> Option<Style>,
) -> Vec<String> {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(headers.to_vec())
        .add_rows(rows.iter().map(|r| r.to_vec()));
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut lines = table.lines().map(|l| l.trim_end().to_owned());
    let mut out: Vec<String> = lines.by_ref().take(1).collect();
    for (i, row) in rows.iter().enumerate() {
        // A cell with line breaks makes its row as many lines tall (comfy-table splits on '\n').
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
        for (n, line) in lines.by_ref().take(height).enumerate() {
            let lead = row[0].split('\n').next().unwrap_or_default();
            out.push(match lead_style(i) {
                Some(s) if n == 0 && line.starts_with(lead) => {
                    format!("{s}{lead}{s:#}{}", &line[lead.len()..])
                }
                _ => line,
            });
        }
    }
    out
}

/// What a sign-out ends, in words.
fn ends_words(w: WhatEnds) -> &'static str {
    match w {
        WhatEnds::Token => "the token",
        WhatEnds::Grant => "every token of this app's authorization",
        WhatEnds::AllSessions => "every session of the user",
        WhatEnds::Consent => "the app's consent",
        WhatEnds::Nothing => "nothing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows<const N: usize>(rows: &[[&str; N]]) -> Vec<[String; N]> {
        rows.iter().map(|r| r.map(str::to_owned)).collect()
    }

    #[test]
    fn wide_characters_keep_the_columns_aligned() {
        // "東京" and "🔑" take two terminal columns per character: a count of chars would
        // leave the STATUS column two or four places to the left on those lines.
        let lines = table_lines(
            &["ID", "LABEL", "STATUS"],
            &rows(&[
                ["1", "東京 account", "signed_in"],
                ["22", "🔑 keys", "pending"],
                ["333", "plain", "failed"],
            ]),
            |_| None,
        );
        assert_eq!(
            lines,
            [
                "ID   LABEL         STATUS",
                "1    東京 account  signed_in",
                "22   🔑 keys       pending",
                "333  plain         failed",
            ]
        );
    }

    #[test]
    fn a_styled_first_cell_takes_no_width() {
        let table = rows(&[["revoked", "東京 account", "200"], ["failed", "b", "-"]]);
        let headers = ["OUTCOME", "ACCOUNT", "HTTP"];
        let plain = table_lines(&headers, &table, |_| None);
        let styled = table_lines(&headers, &table, |i| {
            (i == 1).then(|| AnsiColor::Red.on_default())
        });
        assert_eq!(plain[1], styled[1]);
        assert!(
            styled[2].starts_with("\u{1b}[31mfailed\u{1b}[0m"),
            "{styled:?}"
        );
        let stripped: Vec<String> = styled
            .iter()
            .map(|l| anstream::adapter::strip_str(l).to_string())
            .collect();
        assert_eq!(stripped, plain);
    }

    #[test]
    fn a_cell_with_a_line_break_styles_only_its_own_row() {
        let table = rows(&[["pending", "a\nb"], ["revoked", "c"]]);
        let lines = table_lines(&["OUTCOME", "DETAIL"], &table, |_| {
            Some(AnsiColor::Green.on_default())
        });
        let stripped: Vec<String> = lines
            .iter()
            .map(|l| anstream::adapter::strip_str(l).to_string())
            .collect();
        assert_eq!(
            stripped,
            ["OUTCOME  DETAIL", "pending  a", "         b", "revoked  c"]
        );
        assert!(lines[3].starts_with("\u{1b}[32mrevoked"), "{lines:?}");
    }
}
