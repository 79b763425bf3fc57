//! Accounts: list them, add one (with tokens, or pasted and checked first), forget one locally,
//! and read the audit log.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Signoff, non_blank};
use crate::account::{Account, AccountAction, AccountId, AccountStatus, NewAccount};
use crate::audit::{Action, Actor, AuditEntry};
use crate::claim::Claim;
use crate::error::{Error, Result};
use crate::tokens::TokenBundle;

/// Statuses shown in the account list (everything but finished sign-outs and half-added rows).
const LISTED: &[AccountStatus] = &[
    AccountStatus::SignedIn,
    AccountStatus::SigningOut,
    AccountStatus::Pending,
    AccountStatus::NeedsAttention,
];

/// An account as the window and the tray show it: its metadata and what a person may do to it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    pub actions: &'static [AccountAction],
    /// For a session found in another tool's store: which tool, where its copies are, and
    /// whether signing out ends it at the provider.
    pub found: Option<crate::api::FoundDetail>,
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        Self {
            actions: account.status.actions(),
            account,
            found: None,
        }
    }
}

impl Signoff {
    /// [`Self::list_accounts`] with each account's allowed actions, and for found sessions
    /// where they were found.
    pub fn account_views(&self) -> Result<Vec<AccountView>> {
        let accounts = self.list_accounts()?;
        let mut found = if accounts.iter().any(Account::is_found) {
            self.found_details()?
        } else {
            std::collections::HashMap::new()
        };
        Ok(accounts
            .into_iter()
            .map(|a| {
                let detail = found.remove(&a.id);
                let mut view = AccountView::from(a);
                view.found = detail;
                view
            })
            .collect())
    }

    /// The accounts a person is signed in to (or whose sign-out is not finished), oldest first.
    /// Interrupted adds are resumed first ([`Self::resume_adding`]); if the keychain cannot be
    /// asked, they wait for the next time and the list is shown anyway.
    pub fn list_accounts(&self) -> Result<Vec<Account>> {
        if let Err(e) = self.resume_adding() {
            tracing::warn!(error = %e, "half-added accounts not resumed this time");
        }
        self.store.accounts_with_status(LISTED)
    }

    /// A new subscription to account changes: this process's writes at once, other
    /// processes' (the CLI) within a second. The app's window and tray follow it.
    pub fn changes(&self) -> crate::changes::ChangeStream {
        self.store.changes().subscribe()
    }

    /// Accounts waiting for a retry of their revocation.
    pub fn pending(&self) -> Result<Vec<Account>> {
        self.store.accounts_with_status(&[AccountStatus::Pending])
    }

    /// One account by id.
    pub fn account(&self, id: &AccountId) -> Result<Account> {
        self.store.account(id)?.ok_or_else(|| Error::NotFound {
            what: "account",
            id: id.to_string(),
        })
    }

    /// The tokens of an account (for tests: the shells never read tokens back).
    #[cfg(any(test, feature = "test-support"))]
    pub fn tokens(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        self.vault()?.get(id)
    }

    /// The audit log since `since` (everything when `None`), oldest first.
    pub fn audit(&self, since: Option<OffsetDateTime>) -> Result<Vec<AuditEntry>> {
        self.store.audit_since(since)
    }

    /// Adds an account: its row first (as `adding`), then its tokens in the keychain, then the
    /// row becomes `signed_in`, all under the account's claim (so a resume of interrupted adds
    /// leaves it alone). If the keychain refuses, the row is removed again and nothing is
    /// written anywhere else.
    pub fn add_account(
        &self,
        new: NewAccount,
        tokens: TokenBundle,
        actor: Actor,
    ) -> Result<Account> {
        // A JWT access token says when it expires: then Signoff can warn before sign-out.
        let expiry = tokens
            .access_token
            .as_ref()
            .and_then(|t| crate::signin::jwt_exp(t.expose_secret()));
        self.insert_account(new, tokens, expiry, actor)
    }

    /// [`Self::add_account`] with the access token's expiry already known (`None`: unknown).
    pub(super) fn insert_account(
        &self,
        new: NewAccount,
        tokens: TokenBundle,
        expiry: Option<OffsetDateTime>,
        actor: Actor,
    ) -> Result<Account> {
        new.validate()?;
        self.providers().get(&new.provider_id)?;
        let tokens = tokens.validated()?;
        let vault = self.vault()?;
        let mut account = Account::new(
            new.provider_id,
            new.label.trim().to_owned(),
            non_blank(new.subject),
        );
        let _claim = Claim::try_acquire(&self.paths.data_dir, &account.id)?.ok_or(Error::Busy {
            doing: "adding this account",
        })?;
        self.store.insert_account(&account)?;
        if let Err(e) = vault.put(&account.id, &account.label, &tokens) {
            self.store.delete_account(&account.id)?;
            return Err(e);
        }
        self.store
            .set_status(&account.id, AccountStatus::SignedIn)?;
        account.status = AccountStatus::SignedIn;
        if expiry.is_some() {
            self.store.set_access_expiry(&account.id, expiry)?;
            account.access_expires_at = expiry;
        }
        self.store
            .append_audit(&AuditEntry::new(actor, Action::AddAccount).account(&account))?;
        tracing::info!(account = %account.id, provider = %account.provider_id, "account added");
        Ok(account)
    }

    /// Deletes an account locally without revoking anything (a person asked for it): keychain
    /// entry first, then the row, with an audit entry.
    pub fn forget(&self, id: &AccountId, actor: Actor) -> Result<Account> {
        let account = self.account(id)?;
        let _claim = Claim::try_acquire(&self.paths.data_dir, id)?.ok_or(Error::Busy {
            doing: "signing this account out",
        })?;
        self.vault()?.delete(id)?;
        let entry = AuditEntry::new(actor, Action::Forget)
            .account(&account)
            .detail("deleted locally without revoking; the server session may live on");
        if account.is_found() {
            // The session stays in its tool's store; the next scan finds it again.
            self.vault()?
                .delete_client_secret(&super::sign_out::found_client_key(id))?;
            self.store.delete_found(id)?;
        } else {
            self.store.delete_account(id)?;
        }
        self.store.append_audit(&entry)?;
        tracing::info!(account = %id, "account forgotten locally");
        Ok(account)
    }

    /// Adds an account from pasted tokens, first asking the provider's check endpoint (when its
    /// profile names one) whether the access token is live: a token the provider refuses is
    /// not stored.
    pub async fn add_pasted_account(
        self: &Arc<Self>,
        new: NewAccount,
        tokens: TokenBundle,
        actor: Actor,
    ) -> Result<Account> {
        new.validate()?;
        let tokens = tokens.validated()?;
        let profile = self.providers().get(&new.provider_id)?.clone();
        if let Some(check) = &profile.check_endpoint {
            let access = tokens.access_token.as_ref().ok_or_else(|| {
                Error::invalid(
                    "tokens",
                    format!("{} needs the access_token to check it", profile.label),
                )
            })?;
            crate::signin::check::check_live(self.http(), &profile, check, access).await?;
        }
        self.blocking(move |core| core.add_account(new, tokens, actor))
            .await
    }
}
