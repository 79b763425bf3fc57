//! The store: one SQLite database (WAL) with account metadata, the pending outbox and the
//! audit log. Never a token. Accounts, sign-out states and the audit log have a file each.
//!
//! Schema changes are migrations (`rusqlite_migration`, tracked in `user_version`). Every write
//! is a transaction, so a crash leaves either the old state or the new one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::error::{Error, Result};

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
    // Whether the last error is Signoff's own conclusion (and which) or the provider's words.
    M::up("ALTER TABLE accounts ADD COLUMN last_error_kind TEXT;"),
    // Sessions found in other tools' stores: which tool an account came from, and where its
    // copies live (never the token: that stays in the tool's store, or the keychain outbox).
    M::up(
        "ALTER TABLE accounts ADD COLUMN origin TEXT NOT NULL DEFAULT 'signoff';
        CREATE TABLE found (
            account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            tool       TEXT NOT NULL,
            host       TEXT,
            user       TEXT,
            places     TEXT NOT NULL,
            revoker    TEXT NOT NULL,
            scanned_at TEXT NOT NULL
        ) STRICT;",
    ),
    // An admin's sign-out of a list of people, so one stopped (kill -9, a crash) resumes
    // where it stopped: each person and, once done, their receipt (never a secret).
    M::up(
        "CREATE TABLE admin_runs (
            id         TEXT PRIMARY KEY NOT NULL,
            provider   TEXT NOT NULL,
            list_hash  TEXT NOT NULL,
            started_at TEXT NOT NULL,
            owner_pid  INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE admin_run_people (
            run      TEXT NOT NULL REFERENCES admin_runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            user     TEXT NOT NULL,
            receipt  TEXT,
            PRIMARY KEY (run, position)
        ) STRICT;",
    ),
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
        let existed = path.exists();
        let mut conn = Connection::open(path).map_err(err)?;
        if !existed {
            // SQLite creates the file with the umask's mode; it is the person's alone (its
            // -wal and -shm files take the same mode from it).
            crate::perms::make_private(path).map_err(|source| Error::Io {
                action: "cannot make private",
                path: path.to_path_buf(),
                source,
            })?;
        }
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

mod accounts;
mod admin_runs;
mod audit_log;
mod found;
mod sign_outs;
mod sql;

pub use admin_runs::AdminRun;
pub use found::FoundRow;
pub use sign_outs::SignOutState;

#[cfg(test)]
mod tests;
