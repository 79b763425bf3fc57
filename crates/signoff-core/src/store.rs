//! The store: one SQLite database (WAL) with account metadata. Never a token.
//!
//! Schema changes are migrations (`rusqlite_migration`, tracked in `user_version`). Every write
//! is a transaction, so a crash leaves either the old state or the new one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::account::{Account, AccountId, AccountStatus};
use crate::audit::{Action, Actor, AuditEntry};
use crate::changes::Changes;
use crate::error::{Error, Result};
use crate::outcome::{Outcome, ProviderError};

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE accounts (
            id          TEXT PRIMARY KEY NOT NULL,
            provider_id TEXT NOT NULL,
            label       TEXT NOT NULL,
            subject     TEXT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            status      TEXT NOT NULL
        ) STRICT;
        CREATE INDEX accounts_by_provider ON accounts(provider_id);",
    ),
    // The pending-revocation outbox lives on the account rows; the audit log is append-only.
    M::up(
        "ALTER TABLE accounts ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE accounts ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE accounts ADD COLUMN last_error_code TEXT;
        ALTER TABLE accounts ADD COLUMN last_error TEXT;
        ALTER TABLE accounts ADD COLUMN signed_out_at TEXT;
        CREATE INDEX accounts_by_status ON accounts(status, next_attempt_at);
        CREATE TABLE audit (
            seq               INTEGER PRIMARY KEY AUTOINCREMENT,
            at                TEXT NOT NULL,
            actor             TEXT NOT NULL,
            action            TEXT NOT NULL,
            account_id        TEXT,
            provider_id       TEXT,
            label             TEXT,
            outcome           TEXT,
            http_status       INTEGER,
            error_code        TEXT,
            error_description TEXT,
            attempts          INTEGER,
            verified          INTEGER,
            detail            TEXT
        ) STRICT;
        CREATE INDEX audit_by_time ON audit(at);
        CREATE TRIGGER audit_is_append_only_u BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_is_append_only_d BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    ),
    // When the access token expires (from the sign-in answer or the token's own `exp`).
    M::up("ALTER TABLE accounts ADD COLUMN access_expires_at TEXT;"),
];

/// How long a writer waits for another process's transaction before giving up (then the
/// operation fails with `store_error` and changes nothing).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database handle. Safe to share between threads; other processes may open the same file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
    changes: Changes,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let err = |source| Error::Store {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|source| Error::Migration {
                path: path.to_path_buf(),
                source,
            })?;
        let conn = Arc::new(Mutex::new(conn));
        Ok(Self {
            path: path.to_path_buf(),
            changes: Changes::new(data_version(Arc::clone(&conn))),
            conn,
        })
    }

    /// This store's change feed: its own writes, and other processes' through `data_version`.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = conn.total_changes();
        let result = f(&mut conn);
        if conn.total_changes() != before {
            self.changes.wrote();
        }
        result.map_err(|source| Error::Store {
            path: self.path.clone(),
            source,
        })
    }

    /// Inserts a new account row.
    pub fn insert_account(&self, account: &Account) -> Result<()> {
        let now = now_text();
        self.with_conn(|c| {
            c.execute(
                "INSERT INTO accounts (id, provider_id, label, subject, created_at, updated_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    account.id.as_str(),
                    account.provider_id,
                    account.label,
                    account.subject,
                    format_time(account.created_at),
                    now,
                    account.status.as_str(),
                ],
            )
            .map(drop)
        })
    }

    /// Sets an account's status. Returns `false` when no such account exists.
    pub fn set_status(&self, id: &AccountId, status: AccountStatus) -> Result<bool> {
        let now = now_text();
        self.with_conn(|c| {
            c.execute(
                "UPDATE accounts SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![id.as_str(), status.as_str(), now],
            )
            .map(|n| n > 0)
        })
    }

    /// Deletes an account row. Returns `false` when there was none.
    pub fn delete_account(&self, id: &AccountId) -> Result<bool> {
        self.with_conn(|c| {
            c.execute("DELETE FROM accounts WHERE id = ?1", params![id.as_str()])
                .map(|n| n > 0)
        })
    }

    /// One account by id.
    pub fn account(&self, id: &AccountId) -> Result<Option<Account>> {
        self.with_conn(|c| {
            c.query_row(
                &format!("{SELECT_ACCOUNT} WHERE id = ?1"),
                params![id.as_str()],
                row_to_account,
            )
            .optional()
        })
    }

    /// Every account whose status is one of `statuses`, oldest first.
    pub fn accounts_with_status(&self, statuses: &[AccountStatus]) -> Result<Vec<Account>> {
        let wanted: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{SELECT_ACCOUNT} WHERE status IN (SELECT value FROM json_each(?1))
                 ORDER BY created_at, id"
            ))?;
            let wanted = serde_json::to_string(&wanted).unwrap_or_else(|_| "[]".into());
            stmt.query_map(params![wanted], row_to_account)?.collect()
        })
    }
}

/// How a sign-out attempt ended, as the store records it.
#[derive(Debug, Clone)]
pub enum SignOutState {
    /// Token revoked (or gone) and deleted from the keychain.
    SignedOut,
    /// Waiting for a retry at `next_attempt_at`.
    Pending {
        next_attempt_at: OffsetDateTime,
        error: Option<ProviderError>,
    },
    /// A person must look.
    NeedsAttention { error: Option<ProviderError> },
}

impl Store {
    /// Moves an account to `signing_out` if its status is one of `from`, in one transaction.
    /// Returns the account as it was, or `None` when it is not in such a state.
    pub fn begin_sign_out(
        &self,
        id: &AccountId,
        from: &[AccountStatus],
    ) -> Result<Option<Account>> {
        let now = now_text();
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let account = tx
                .query_row(
                    &format!("{SELECT_ACCOUNT} WHERE id = ?1"),
                    params![id.as_str()],
                    row_to_account,
                )
                .optional()?;
            let Some(account) = account.filter(|a| from.contains(&a.status)) else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE accounts SET status = 'signing_out', updated_at = ?2 WHERE id = ?1",
                params![id.as_str(), now],
            )?;
            tx.commit()?;
            Ok(Some(account))
        })
    }

    /// Records the end of a sign-out attempt and its audit entry in one transaction.
    pub fn finish_sign_out(
        &self,
        id: &AccountId,
        state: &SignOutState,
        audit: &AuditEntry,
    ) -> Result<()> {
        let now = now_text();
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            match state {
                SignOutState::SignedOut => tx.execute(
                    "UPDATE accounts SET status = 'signed_out', signed_out_at = ?2, updated_at = ?2,
                     next_attempt_at = NULL, last_error_code = NULL, last_error = NULL
                     WHERE id = ?1",
                    params![id.as_str(), now],
                )?,
                SignOutState::Pending { next_attempt_at, error } => tx.execute(
                    "UPDATE accounts SET status = 'pending', next_attempt_at = ?2, retries = retries + 1,
                     last_error_code = ?3, last_error = ?4, updated_at = ?5 WHERE id = ?1",
                    params![
                        id.as_str(),
                        format_time(*next_attempt_at),
                        error.as_ref().map(|e| e.code.clone()),
                        error.as_ref().and_then(|e| e.description.clone()),
                        now
                    ],
                )?,
                SignOutState::NeedsAttention { error } => tx.execute(
                    "UPDATE accounts SET status = 'needs_attention', next_attempt_at = NULL,
                     last_error_code = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
                    params![
                        id.as_str(),
                        error.as_ref().map(|e| e.code.clone()),
                        error.as_ref().and_then(|e| e.description.clone()),
                        now
                    ],
                )?,
            };
            insert_audit(&tx, audit)?;
            tx.commit()
        })
    }

    /// A marker that changes whenever any account row changes (from this process or another):
    /// the row count and the latest update time.
    pub fn change_marker(&self) -> Result<(i64, Option<String>)> {
        self.with_conn(|c| {
            c.query_row("SELECT count(*), max(updated_at) FROM accounts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
    }

    /// Records when an account's access token expires.
    pub fn set_access_expiry(&self, id: &AccountId, at: Option<OffsetDateTime>) -> Result<()> {
        let now = now_text();
        self.with_conn(|c| {
            c.execute(
                "UPDATE accounts SET access_expires_at = ?2, updated_at = ?3 WHERE id = ?1",
                params![id.as_str(), at.map(format_time), now],
            )
            .map(drop)
        })
    }

    /// Signed-in accounts whose access token expires at or before `before`.
    pub fn expiring(&self, before: OffsetDateTime) -> Result<Vec<Account>> {
        let before = format_time(before);
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{SELECT_ACCOUNT} WHERE status = 'signed_in' AND access_expires_at IS NOT NULL
                 AND access_expires_at <= ?1 ORDER BY access_expires_at"
            ))?;
            stmt.query_map(params![before], row_to_account)?.collect()
        })
    }

    /// How many times an account's revocation has been deferred.
    pub fn retries(&self, id: &AccountId) -> Result<u32> {
        self.with_conn(|c| {
            c.query_row(
                "SELECT retries FROM accounts WHERE id = ?1",
                params![id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map(|n| n.unwrap_or(0))
        })
    }

    /// Pending accounts whose next attempt is due at `now` (all of them when `force`).
    pub fn due_pending(&self, now: OffsetDateTime, force: bool) -> Result<Vec<Account>> {
        let now = format_time(now);
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{SELECT_ACCOUNT} WHERE status = 'pending' AND (?2 OR next_attempt_at IS NULL OR next_attempt_at <= ?1)
                 ORDER BY next_attempt_at, id"
            ))?;
            stmt.query_map(params![now, force], row_to_account)?.collect()
        })
    }

    /// Appends one audit entry.
    pub fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        self.with_conn(|c| insert_audit(c, entry))
    }

    /// Audit entries at or after `since` (all when `None`), oldest first.
    pub fn audit_since(&self, since: Option<OffsetDateTime>) -> Result<Vec<AuditEntry>> {
        let since = since.map(format_time).unwrap_or_default();
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, at, actor, action, account_id, provider_id, label, outcome, http_status,
                 error_code, error_description, attempts, verified, detail
                 FROM audit WHERE at >= ?1 ORDER BY seq",
            )?;
            stmt.query_map(params![since], row_to_audit)?.collect()
        })
    }
}

fn insert_audit(c: &Connection, e: &AuditEntry) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO audit (at, actor, action, account_id, provider_id, label, outcome, http_status,
         error_code, error_description, attempts, verified, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            format_time(e.at),
            e.actor.as_str(),
            e.action.as_str(),
            e.account,
            e.provider,
            e.label,
            e.outcome.map(Outcome::as_str),
            e.http_status,
            e.error_code,
            e.error_description,
            e.attempts,
            e.verified,
            e.detail,
        ],
    )
    .map(drop)
}

fn row_to_audit(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let bad = |i, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what} in audit row").into(),
        )
    };
    let at: String = row.get(1)?;
    let outcome: Option<String> = row.get(7)?;
    Ok(AuditEntry {
        seq: row.get(0)?,
        at: OffsetDateTime::parse(&at, &Rfc3339).map_err(|_| bad(1, "time"))?,
        actor: Actor::parse(&row.get::<_, String>(2)?).ok_or_else(|| bad(2, "actor"))?,
        action: Action::parse(&row.get::<_, String>(3)?).ok_or_else(|| bad(3, "action"))?,
        account: row.get(4)?,
        provider: row.get(5)?,
        label: row.get(6)?,
        outcome: outcome
            .map(|o| Outcome::parse(&o).ok_or_else(|| bad(7, "outcome")))
            .transpose()?,
        http_status: row.get(8)?,
        error_code: row.get(9)?,
        error_description: row.get(10)?,
        attempts: row.get(11)?,
        verified: row.get(12)?,
        detail: row.get(13)?,
    })
}

const SELECT_ACCOUNT: &str = "SELECT id, provider_id, label, subject, created_at, status,
    next_attempt_at, last_error_code, last_error, access_expires_at FROM accounts";

fn row_to_account(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let bad = |i, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what} in accounts row").into(),
        )
    };
    let created: String = row.get(4)?;
    let status: String = row.get(5)?;
    Ok(Account {
        id: AccountId::parse(&row.get::<_, String>(0)?).map_err(|_| bad(0, "id"))?,
        provider_id: row.get(1)?,
        label: row.get(2)?,
        subject: row.get(3)?,
        created_at: OffsetDateTime::parse(&created, &Rfc3339).map_err(|_| bad(4, "time"))?,
        status: AccountStatus::parse(&status).ok_or_else(|| bad(5, "status"))?,
        next_attempt_at: row
            .get::<_, Option<String>>(6)?
            .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad(6, "time")))
            .transpose()?,
        last_error: row.get::<_, Option<String>>(7)?.map(|code| ProviderError {
            code,
            description: row.get(8).ok().flatten(),
        }),
        access_expires_at: row
            .get::<_, Option<String>>(9)?
            .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad(9, "time")))
            .transpose()?,
    })
}

/// Reads `PRAGMA data_version` on `conn`, which changes when another connection commits.
fn data_version(conn: Arc<Mutex<Connection>>) -> impl Fn() -> Option<i64> + Send + Sync {
    move || {
        let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        conn.pragma_query_value(None, "data_version", |r| r.get(0))
            .ok()
    }
}

/// RFC 3339 in UTC with a fixed number of fraction digits, so text order is time order.
fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&fmt).unwrap_or_default()
}

fn now_text() -> String {
    format_time(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(label: &str) -> Account {
        Account {
            id: AccountId::generate(),
            provider_id: "matar".into(),
            label: label.into(),
            subject: Some("ada@example.com".into()),
            created_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            status: AccountStatus::SignedIn,
            next_attempt_at: None,
            last_error: None,
            access_expires_at: None,
        }
    }

    #[test]
    fn accounts_survive_reopen_and_filter_by_status() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("s.db");
        let a = sample("Work");
        let b = sample("Home");
        {
            let store = Store::open(&db).unwrap();
            store.insert_account(&a).unwrap();
            store.insert_account(&b).unwrap();
            assert!(store.set_status(&b.id, AccountStatus::Pending).unwrap());
        }
        let store = Store::open(&db).unwrap();
        let signed_in = store
            .accounts_with_status(&[AccountStatus::SignedIn])
            .unwrap();
        assert_eq!(signed_in, vec![a.clone()]);
        assert_eq!(
            store.account(&b.id).unwrap().unwrap().status,
            AccountStatus::Pending
        );
        assert!(store.delete_account(&a.id).unwrap());
        assert!(!store.delete_account(&a.id).unwrap());
        assert!(store.account(&a.id).unwrap().is_none());
    }

    #[test]
    fn duplicate_id_is_a_store_error() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("s.db")).unwrap();
        let a = sample("Work");
        store.insert_account(&a).unwrap();
        let e = store.insert_account(&a).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::StoreError);
    }

    #[test]
    fn two_handles_on_one_file_see_each_others_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("s.db");
        let one = Store::open(&db).unwrap();
        let two = Store::open(&db).unwrap();
        let a = sample("Shared");
        one.insert_account(&a).unwrap();
        assert_eq!(two.account(&a.id).unwrap(), Some(a));
    }

    #[test]
    fn sign_out_transitions_and_the_pending_outbox() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("s.db")).unwrap();
        let a = sample("Work");
        store.insert_account(&a).unwrap();
        let from = [AccountStatus::SignedIn, AccountStatus::Pending];
        assert!(store.begin_sign_out(&a.id, &from).unwrap().is_some());
        assert_eq!(
            store.account(&a.id).unwrap().unwrap().status,
            AccountStatus::SigningOut
        );
        assert!(
            store.begin_sign_out(&a.id, &from).unwrap().is_none(),
            "not twice"
        );

        let soon = OffsetDateTime::now_utc() + time::Duration::minutes(5);
        let err = ProviderError::new("http_503", Some("busy".to_owned()));
        let audit = AuditEntry::new(Actor::Admin, Action::SignOut);
        let state = SignOutState::Pending {
            next_attempt_at: soon,
            error: Some(err.clone()),
        };
        store.finish_sign_out(&a.id, &state, &audit).unwrap();
        let row = store.account(&a.id).unwrap().unwrap();
        assert_eq!(row.status, AccountStatus::Pending);
        assert_eq!(row.last_error, Some(err));
        assert_eq!(store.retries(&a.id).unwrap(), 1);
        assert!(
            store
                .due_pending(OffsetDateTime::now_utc(), false)
                .unwrap()
                .is_empty(),
            "not due yet"
        );
        assert_eq!(
            store
                .due_pending(OffsetDateTime::now_utc(), true)
                .unwrap()
                .len(),
            1,
            "forced"
        );
        assert_eq!(
            store
                .due_pending(soon + time::Duration::seconds(1), false)
                .unwrap()
                .len(),
            1
        );

        store.begin_sign_out(&a.id, &from).unwrap().unwrap();
        store
            .finish_sign_out(&a.id, &SignOutState::SignedOut, &audit)
            .unwrap();
        let row = store.account(&a.id).unwrap().unwrap();
        assert_eq!(
            (row.status, row.last_error, row.next_attempt_at),
            (AccountStatus::SignedOut, None, None)
        );
        assert_eq!(store.audit_since(None).unwrap().len(), 2);
    }

    #[test]
    fn the_audit_log_is_append_only_and_filters_by_time() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("s.db")).unwrap();
        let mut old = AuditEntry::new(Actor::Tray, Action::SignOut);
        old.at = OffsetDateTime::now_utc() - time::Duration::days(2);
        old.outcome = Some(Outcome::Revoked);
        old.http_status = Some(200);
        store.append_audit(&old).unwrap();
        store
            .append_audit(&AuditEntry::new(Actor::User, Action::Forget))
            .unwrap();
        let all = store.audit_since(None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].outcome, Some(Outcome::Revoked));
        assert_eq!(all[0].actor, Actor::Tray);
        let recent = store
            .audit_since(Some(OffsetDateTime::now_utc() - time::Duration::days(1)))
            .unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].action, Action::Forget);
        let tamper = store.with_conn(|c| c.execute("DELETE FROM audit", []));
        assert!(tamper.is_err(), "deleting audit rows is refused");
        let tamper = store.with_conn(|c| c.execute("UPDATE audit SET actor = 'admin'", []));
        assert!(tamper.is_err(), "rewriting audit rows is refused");
    }
}
