//! The audit log: append-only (triggers refuse updates and deletes), read oldest first.

use rusqlite::{Connection, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, format_time};
use crate::audit::AuditEntry;
use crate::error::Result;

impl Store {
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

pub(super) fn insert_audit(c: &Connection, e: &AuditEntry) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO audit (at, actor, action, account_id, provider_id, label, outcome, http_status,
         error_code, error_description, attempts, verified, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            format_time(e.at),
            e.actor,
            e.action,
            e.account,
            e.provider,
            e.label,
            e.outcome,
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
    Ok(AuditEntry {
        seq: row.get(0)?,
        at: OffsetDateTime::parse(&at, &Rfc3339).map_err(|_| bad(1, "time"))?,
        actor: row.get(2)?,
        action: row.get(3)?,
        account: row.get(4)?,
        provider: row.get(5)?,
        label: row.get(6)?,
        outcome: row.get(7)?,
        http_status: row.get(8)?,
        error_code: row.get(9)?,
        error_description: row.get(10)?,
        attempts: row.get(11)?,
        verified: row.get(12)?,
        detail: row.get(13)?,
    })
}
