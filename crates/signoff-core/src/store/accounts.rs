//! Account rows: insert, status, look-ups, expiry and the pending queue.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, format_time, now_text};
use crate::account::{Account, AccountId, AccountStatus};
use crate::error::Result;
use crate::outcome::Reason;

impl Store {
    /// Inserts a new account row.
    pub fn insert_account(&self, account: &Account) -> Result<()> {
        let now = now_text();
        self.with_conn(|c| {
            c.execute(
                "INSERT INTO accounts (id, provider_id, label, subject, created_at, updated_at, status, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    account.id.as_str(),
                    account.provider_id,
                    account.label,
                    account.subject,
                    format_time(account.created_at),
                    now,
                    account.status,
                    account.origin,
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
                params![id.as_str(), status, now],
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

    /// How many accounts the data folder has, whatever their status.
    pub fn count_accounts(&self) -> Result<usize> {
        self.with_conn(|c| {
            c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))
                .map(|n| usize::try_from(n).unwrap_or(0))
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
                "{SELECT_ACCOUNT} WHERE status = ?2 AND access_expires_at IS NOT NULL
                 AND access_expires_at <= ?1 ORDER BY access_expires_at"
            ))?;
            stmt.query_map(params![before, AccountStatus::SignedIn], row_to_account)?
                .collect()
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
                "{SELECT_ACCOUNT} WHERE status = ?3 AND (?2 OR next_attempt_at IS NULL OR next_attempt_at <= ?1)
                 ORDER BY next_attempt_at, id"
            ))?;
            stmt.query_map(params![now, force, AccountStatus::Pending], row_to_account)?
                .collect()
        })
    }
}

pub(super) const SELECT_ACCOUNT: &str =
    "SELECT id, provider_id, label, subject, created_at, status,
    next_attempt_at, last_error_code, last_error, access_expires_at, last_error_kind, origin FROM accounts";

pub(super) fn row_to_account(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let bad = |i, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what} in accounts row").into(),
        )
    };
    let created: String = row.get(4)?;
    Ok(Account {
        id: AccountId::parse(&row.get::<_, String>(0)?).map_err(|_| bad(0, "id"))?,
        provider_id: row.get(1)?,
        label: row.get(2)?,
        subject: row.get(3)?,
        created_at: OffsetDateTime::parse(&created, &Rfc3339).map_err(|_| bad(4, "time"))?,
        status: row.get(5)?,
        next_attempt_at: row
            .get::<_, Option<String>>(6)?
            .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad(6, "time")))
            .transpose()?,
        last_error: row.get::<_, Option<String>>(7)?.map(|code| {
            let kind: Option<String> = row.get(10).ok().flatten();
            Reason::from_parts(kind.as_deref(), code, row.get(8).ok().flatten())
        }),
        access_expires_at: row
            .get::<_, Option<String>>(9)?
            .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad(9, "time")))
            .transpose()?,
        origin: row.get(11)?,
    })
}
