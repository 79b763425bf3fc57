//! Printing: a table for people, one JSON document with `--json`; errors with their stable code.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use serde_json::json;
use signoff_core::Account;
use signoff_core::error::ErrorReport;

#[derive(Debug)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    fn print_json(&self, value: &serde_json::Value) {
        println!("{value}");
    }

    pub fn accounts(&self, accounts: &[Account]) {
        if self.json {
            return self.print_json(&json!({ "accounts": accounts }));
        }
        if accounts.is_empty() {
            println!("No accounts. Add one with `signoff account add <provider> --label <text>`.");
            return;
        }
        let rows: Vec<[String; 5]> = accounts
            .iter()
            .map(|a| {
                [
                    a.id.to_string(),
                    a.provider_id.clone(),
                    a.label.clone(),
                    a.subject.clone().unwrap_or_default(),
                    a.status.as_str().to_owned(),
                ]
            })
            .collect();
        print_table(&["ID", "PROVIDER", "LABEL", "SUBJECT", "STATUS"], &rows);
    }

    pub fn added(&self, a: &Account) {
        if self.json {
            return self.print_json(&serde_json::to_value(a).unwrap_or_default());
        }
        println!("Added {} ({}) as {}", a.label, a.provider_id, a.id);
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

    /// Prints an error (JSON on stdout with `--json`, text on stderr otherwise) and gives exit 1.
    pub fn error(&self, e: &signoff_core::Error) -> ExitCode {
        let report = ErrorReport::from(e);
        if self.json {
            self.print_json(&json!({ "error": report }));
        } else {
            eprintln!("signoff: error [{}]: {}", report.code, report.message);
        }
        ExitCode::from(1)
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

fn print_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(*headers);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
}
