//! Found on this computer: scanning other tools' stores into accounts (origin = the tool),
//! the list the window and `signoff scan` show, and the parts of signing a found session out
//! that differ from Signoff's own accounts: the token read fresh from the tool's store, every
//! copy removed afterwards.

use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use serde::Serialize;

use super::Signoff;
use crate::account::{Account, AccountId, AccountStatus};
use crate::error::{Error, Result};
use crate::found::{self, Copy, Env, FoundSession, Removed, Revoker, StoreProblem, ToolId};
use crate::store::FoundRow;

/// A found session as `signoff scan` and the window show it: where each copy lives, never a
/// token.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FoundView {
    pub id: AccountId,
    pub tool: ToolId,
    pub tool_label: String,
    /// The catalogue profile that revokes it (`local` when nothing can).
    pub provider: String,
    pub user: Option<String>,
    pub host: Option<String>,
    pub stores: Vec<Copy>,
    /// True when signing out ends the session at the provider, not only the copies here.
    pub revocable: bool,
    pub revoker: Revoker,
    pub status: AccountStatus,
}

/// What the account list shows of a found session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FoundDetail {
    pub tool: ToolId,
    pub tool_label: String,
    pub host: Option<String>,
    pub stores: Vec<Copy>,
    pub revocable: bool,
}

/// What a scan found, and the stores it could not read.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScanSummary {
    pub found: Vec<FoundView>,
    pub problems: Vec<StoreProblem>,
    /// Sessions found before that are gone now (the tool removed or replaced the token).
    pub forgotten: Vec<AccountId>,
}

impl Signoff {
    /// The environment scans read: this process's home and variables, the session keyring,
    /// backups in the data folder.
    fn found_env(&self) -> Result<Env> {
        Env::from_process(self.backups_dir())
            .map(Env::with_keyring)
            .ok_or_else(|| Error::invalid("home folder", "HOME is not set to an absolute path"))
    }

    /// Where edited files' backups go.
    pub fn backups_dir(&self) -> PathBuf {
        self.paths.data_dir.join("backups")
    }

    /// This install's key for found sessions' ids (32 random bytes, made once, mode 0600):
    /// the id is an HMAC of the token, so it reveals nothing of it.
    fn found_key(&self) -> Result<ring::hmac::Key> {
        let path = self.paths.data_dir.join("found.key");
        let io = |action: &'static str, source| Error::Io {
            action,
            path: path.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("read", e)),
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| io("make", std::io::Error::other(e.to_string())))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| io("write", e))?;
            f.write_all(&key)
                .and_then(|()| f.sync_all())
                .map_err(|e| io("write", e))?;
        }
        // Another process may have made one meanwhile: the first one stays.
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(io("write", e));
            }
        }
        let _ = std::fs::remove_file(&tmp);
        let bytes = std::fs::read(&path).map_err(|e| io("read", e))?;
        Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes))
    }

    /// Reads every tool's stores (nothing is written to them) without touching the database.
    pub(crate) fn scan_stores(&self) -> Result<found::Scan> {
        // The line a scan starts with: the bench checks none comes before the window's first
        // paint (BENCHMARKS.md §3).
        tracing::info!("scanning this computer's stores");
        let env = self.found_env()?;
        let key = self.found_key()?;
        Ok(found::scan(&env, &found::all_tools(), &key))
    }

    /// Scans this computer: every session found becomes (or updates) an account with the
    /// tool as its origin; found sessions a tool no longer holds are forgotten.
    pub fn scan_computer(&self) -> Result<ScanSummary> {
        let scan = self.scan_stores()?;
        let mut seen = Vec::new();
        for session in &scan.sessions {
            let (account, row) = rows_of(session);
            self.store.upsert_found(&account, &row)?;
            seen.push(account.id);
        }
        // A session whose store could not be read this time is not gone: it is kept as it was.
        let unread: Vec<&str> = scan.problems.iter().map(|p| p.store.as_str()).collect();
        for row in self.store.found_rows()? {
            let in_unread = row.copies.iter().any(|c| {
                c.place
                    .path()
                    .is_some_and(|p| unread.contains(&p.display().to_string().as_str()))
            });
            if in_unread {
                seen.push(row.account);
            }
        }
        let forgotten = self
            .store
            .forget_found_except(&seen)?
            .into_iter()
            .map(|a| a.id)
            .collect();
        tracing::info!(
            found = scan.sessions.len(),
            problems = scan.problems.len(),
            "scanned this computer"
        );
        Ok(ScanSummary {
            found: self.found_views()?,
            problems: scan.problems,
            forgotten,
        })
    }

    /// The found sessions known from the last scan, with their accounts' status.
    pub fn found_views(&self) -> Result<Vec<FoundView>> {
        let mut out = Vec::new();
        for row in self.store.found_rows()? {
            let Some(account) = self.store.account(&row.account)? else {
                continue;
            };
            if account.status == AccountStatus::SignedOut {
                continue;
            }
            out.push(view_of(&row, &account));
        }
        Ok(out)
    }

    /// True once this computer has been scanned (the window offers a scan until then).
    pub fn scanned_before(&self) -> bool {
        self.paths.data_dir.join("found.key").exists()
    }

    /// Each found session's detail, by account.
    pub(crate) fn found_details(
        &self,
    ) -> Result<std::collections::HashMap<AccountId, FoundDetail>> {
        Ok(self
            .store
            .found_rows()?
            .into_iter()
            .map(|r| {
                let detail = FoundDetail {
                    tool: r.tool,
                    tool_label: r.tool.label().to_owned(),
                    host: r.host,
                    stores: r.copies,
                    revocable: r.revoker.can_revoke(),
                };
                (r.account, detail)
            })
            .collect())
    }

    /// The session with this id as the tools' stores hold it now, if they still do.
    pub(crate) fn found_now(&self, id: &AccountId) -> Result<Option<FoundSession>> {
        Ok(self
            .scan_stores()?
            .sessions
            .into_iter()
            .find(|s| &s.id == id))
    }

    /// Removes every copy of `session`, each in its tool's format; stops at the first that
    /// cannot be removed (the rest stay, and the sign-out is resumed next time).
    pub(crate) fn remove_copies(&self, session: &FoundSession) -> Result<Vec<Removed>> {
        let env = self.found_env()?;
        let tools = found::all_tools();
        let secrets = session.secrets();
        let mut removed = Vec::new();
        for copy in &session.copies {
            let Some(tool) = tools.iter().find(|t| t.id() == copy.tool) else {
                continue;
            };
            let r = tool.remove(&env, &copy.place, &secrets)?;
            removed.push(r);
        }
        Ok(removed)
    }

    /// A found session's row, for sign-out.
    pub(crate) fn found_row(&self, id: &AccountId) -> Result<Option<FoundRow>> {
        self.store.found_row(id)
    }

    /// Forgets a found session the tools no longer hold.
    pub(crate) fn forget_found(&self, id: &AccountId) -> Result<()> {
        self.store.delete_found(id)
    }
}

/// The account row and found row of a session.
fn rows_of(session: &FoundSession) -> (Account, FoundRow) {
    let mut account = Account::new(
        session.revoker.provider_id().to_owned(),
        session.label(),
        session.user.clone(),
    );
    account.id = session.id.clone();
    account.status = AccountStatus::SignedIn;
    account.origin = session.tool.as_str().to_owned();
    let row = FoundRow {
        account: session.id.clone(),
        tool: session.tool,
        host: session.host.clone(),
        user: session.user.clone(),
        copies: session.copies.clone(),
        revoker: session.revoker.clone(),
    };
    (account, row)
}

fn view_of(row: &FoundRow, account: &Account) -> FoundView {
    FoundView {
        id: row.account.clone(),
        tool: row.tool,
        tool_label: row.tool.label().to_owned(),
        provider: row.revoker.provider_id().to_owned(),
        user: row.user.clone(),
        host: row.host.clone(),
        stores: row.copies.clone(),
        revocable: row.revoker.can_revoke(),
        revoker: row.revoker.clone(),
        status: account.status,
    }
}
