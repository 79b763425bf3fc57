//! Rows of sessions found in other tools' stores: the account row (origin = the tool) and
//! where its copies live and what revokes it. Never a token.

use rusqlite::{OptionalExtension, params};

use super::accounts::{SELECT_ACCOUNT, row_to_account};
use super::{Store, now_text};
use crate::account::{Account, AccountId, AccountStatus};
use crate::error::Result;
use crate::found::{Copy, Revoker, ToolId};

/// What Signoff remembers of a found session between scans.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FoundRow {
    pub account: AccountId,
    pub tool: ToolId,
    pub host: Option<String>,
    pub user: Option<String>,
    pub copies: Vec<Copy>,
    pub revoker: Revoker,
}

impl Store {
    /// Records a session a scan found: a new account row (`signed_in`), or the known one with
    /// its label and copies brought up to date (its status is left as it is).
    pub fn upsert_found(&self, account: &Account, row: &FoundRow) -> Result<bool> {
        let now = now_text();
        let places = serde_json::to_string(&row.copies).unwrap_or_else(|_| "[]".into());
        let revoker = serde_json::to_string(&row.revoker).unwrap_or_else(|_| "{}".into());
        self.with_conn(|c| {
            let tx = c.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO accounts (id, provider_id, label, subject, created_at, updated_at, status, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
                params![
                    account.id.as_str(),
                    account.provider_id,
                    account.label,
                    account.subject,
                    now,
                    AccountStatus::SignedIn,
                    account.origin,
                ],
            )? > 0;
            if !inserted {
                tx.execute(
                    "UPDATE accounts SET label = ?2, subject = ?3, provider_id = ?4, updated_at = ?5
                     WHERE id = ?1 AND status = ?6",
                    params![
                        account.id.as_str(),
                        account.label,
                        account.subject,
                        account.provider_id,
                        now,
                        AccountStatus::SignedIn,
                    ],
                )?;
                // A session signed out earlier and found again: the tool holds a token again.
                tx.execute(
                    "UPDATE accounts SET status = ?2, updated_at = ?3, signed_out_at = NULL
                     WHERE id = ?1 AND status = ?4",
                    params![
                        account.id.as_str(),
                        AccountStatus::SignedIn,
                        now,
                        AccountStatus::SignedOut
                    ],
                )?;
            }
            tx.execute(
                "INSERT INTO found (account_id, tool, host, user, places, revoker, scanned_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(account_id) DO UPDATE SET tool = ?2, host = ?3, user = ?4,
                 places = ?5, revoker = ?6, scanned_at = ?7",
                params![
                    row.account.as_str(),
                    row.tool.as_str(),
                    row.host,
                    row.user,
                    places,
                    revoker,
                    now
                ],
            )?;
            tx.commit()?;
            Ok(inserted)
        })
    }

    /// What is known of a found session.
    pub fn found_row(&self, id: &AccountId) -> Result<Option<FoundRow>> {
        self.with_conn(|c| {
            c.query_row(
                "SELECT account_id, tool, host, user, places, revoker FROM found WHERE account_id = ?1",
                params![id.as_str()],
                row_to_found,
            )
            .optional()
        })
    }

    /// Every found session's row.
    pub fn found_rows(&self) -> Result<Vec<FoundRow>> {
        self.with_conn(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT account_id, tool, host, user, places, revoker FROM found ORDER BY tool, account_id",
            )?;
            stmt.query_map([], row_to_found)?.collect()
        })
    }

    /// Forgets found sessions still `signed_in` that a full scan no longer saw (the tool
    /// removed or replaced the token). Pending ones stay: their token is in the outbox.
    pub fn forget_found_except(&self, seen: &[AccountId]) -> Result<Vec<Account>> {
        let seen: Vec<&str> = seen.iter().map(AccountId::as_str).collect();
        let seen = serde_json::to_string(&seen).unwrap_or_else(|_| "[]".into());
        self.with_conn(|c| {
            let tx = c.transaction()?;
            let gone: Vec<Account> = {
                let mut stmt = tx.prepare(&format!(
                    "{SELECT_ACCOUNT} WHERE origin != 'signoff' AND status = ?2
                     AND id NOT IN (SELECT value FROM json_each(?1))"
                ))?;
                stmt.query_map(params![seen, AccountStatus::SignedIn], row_to_account)?
                    .collect::<rusqlite::Result<_>>()?
            };
            for a in &gone {
                tx.execute(
                    "DELETE FROM found WHERE account_id = ?1",
                    params![a.id.as_str()],
                )?;
                tx.execute("DELETE FROM accounts WHERE id = ?1", params![a.id.as_str()])?;
            }
            tx.commit()?;
            Ok(gone)
        })
    }

    /// Deletes a found session's rows (it is no longer on this computer).
    pub fn delete_found(&self, id: &AccountId) -> Result<()> {
        self.with_conn(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM found WHERE account_id = ?1",
                params![id.as_str()],
            )?;
            tx.execute("DELETE FROM accounts WHERE id = ?1", params![id.as_str()])?;
            tx.commit()
        })
    }
}

fn row_to_found(row: &rusqlite::Row<'_>) -> rusqlite::Result<FoundRow> {
    let bad = |i, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what} in found row").into(),
        )
    };
    let tool: String = row.get(1)?;
    let places: String = row.get(4)?;
    let revoker: String = row.get(5)?;
    Ok(FoundRow {
        account: AccountId::parse(&row.get::<_, String>(0)?).map_err(|_| bad(0, "id"))?,
        tool: tool.parse().map_err(|_| bad(1, "tool"))?,
        host: row.get(2)?,
        user: row.get(3)?,
        copies: serde_json::from_str(&places).map_err(|_| bad(4, "places"))?,
        revoker: serde_json::from_str(&revoker).map_err(|_| bad(5, "revoker"))?,
    })
}
