//! A sign-out's two writes: the row marked `signing_out` before the provider call, and its end
//! (state, error and audit entry) in one transaction after.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::accounts::{SELECT_ACCOUNT, row_to_account};
use super::audit_log::insert_audit;
use super::{Store, format_time, now_text};
use crate::account::{Account, AccountId, AccountStatus};
use crate::audit::AuditEntry;
use crate::error::Result;
use crate::outcome::Reason;

/// How a sign-out attempt ended, as the store records it.
#[derive(Debug, Clone)]
pub enum SignOutState {
    /// Token revoked (or gone) and deleted from the keychain.
    SignedOut,
    /// Waiting for a retry at `next_attempt_at`.
    Pending {
        next_attempt_at: OffsetDateTime,
        error: Option<Reason>,
    },
    /// A person must look.
    NeedsAttention { error: Option<Reason> },
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
                "UPDATE accounts SET status = ?3, updated_at = ?2 WHERE id = ?1",
                params![id.as_str(), now, AccountStatus::SigningOut],
            )?;
            tx.commit()?;
            Ok(Some(account))
        })
    }

    /// [`Self::begin_sign_out`] for many accounts in one transaction: the accounts as they were,
    /// of those whose status was one of `from`.
    pub fn begin_sign_outs(
        &self,
        ids: &[AccountId],
        from: &[AccountStatus],
    ) -> Result<Vec<Account>> {
        let now = now_text();
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut begun = Vec::with_capacity(ids.len());
            {
                let mut select = tx.prepare(&format!("{SELECT_ACCOUNT} WHERE id = ?1"))?;
                let mut update =
                    tx.prepare("UPDATE accounts SET status = ?3, updated_at = ?2 WHERE id = ?1")?;
                for id in ids {
                    let account = select
                        .query_row(params![id.as_str()], row_to_account)
                        .optional()?;
                    let Some(account) = account.filter(|a| from.contains(&a.status)) else {
                        continue;
                    };
                    update.execute(params![id.as_str(), now, AccountStatus::SigningOut])?;
                    begun.push(account);
                }
            }
            tx.commit()?;
            Ok(begun)
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
                    "UPDATE accounts SET status = ?3, signed_out_at = ?2, updated_at = ?2,
                     next_attempt_at = NULL, last_error_code = NULL, last_error = NULL,
                     last_error_kind = NULL WHERE id = ?1",
                    params![id.as_str(), now, AccountStatus::SignedOut],
                )?,
                SignOutState::Pending {
                    next_attempt_at,
                    error,
                } => tx.execute(
                    "UPDATE accounts SET status = ?7, next_attempt_at = ?2, retries = retries + 1,
                     last_error_code = ?3, last_error = ?4, last_error_kind = ?6, updated_at = ?5
                     WHERE id = ?1",
                    params![
                        id.as_str(),
                        format_time(*next_attempt_at),
                        error.as_ref().map(Reason::code),
                        error.as_ref().and_then(Reason::description),
                        now,
                        error.as_ref().map(Reason::kind),
                        AccountStatus::Pending,
                    ],
                )?,
                SignOutState::NeedsAttention { error } => tx.execute(
                    "UPDATE accounts SET status = ?6, next_attempt_at = NULL,
                     last_error_code = ?2, last_error = ?3, last_error_kind = ?5, updated_at = ?4
                     WHERE id = ?1",
                    params![
                        id.as_str(),
                        error.as_ref().map(Reason::code),
                        error.as_ref().and_then(Reason::description),
                        now,
                        error.as_ref().map(Reason::kind),
                        AccountStatus::NeedsAttention,
                    ],
                )?,
            };
            insert_audit(&tx, audit)?;
            tx.commit()
        })
    }
}
