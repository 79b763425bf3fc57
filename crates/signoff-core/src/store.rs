//! The store: one SQLite database (WAL) with account metadata. Never a token.
//!
//! Schema changes are migrations (`rusqlite_migration`, tracked in `user_version`). Every write
//! is a transaction, so a crash leaves either the old state or the new one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::account::{Account, AccountId, AccountStatus};
use crate::error::{Error, Result};

const MIGRATIONS: &[M<'static>] = &[M::up(
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
)];

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database handle. Safe to share between threads; other processes may open the same file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
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
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn).map_err(|source| Error::Store {
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

const SELECT_ACCOUNT: &str =
    "SELECT id, provider_id, label, subject, created_at, status FROM accounts";

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
    })
}

fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
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
}
