//! Token checks: refresh what is about to expire where the provider allows it, and flag what
//! can no longer be signed out before the person tries.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::Signoff;
use crate::account::{Account, AccountId};
use crate::audit::{Action, Actor, AuditEntry};
use crate::claim::Claim;
use crate::error::Result;
use crate::outcome::{Reason, ReasonKind};
use crate::profile::{Profile, Protocol};
use crate::secret::SecretString;
use crate::signin::Refresh;
use crate::store::SignOutState;
use crate::tokens::TokenBundle;

/// What `check_tokens` did for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenCheckResult {
    Refreshed,
    NeedsAttention,
    Unchanged,
}

/// One account's token check.
#[derive(Debug, Clone, Serialize)]
pub struct TokenCheck {
    pub account: AccountId,
    pub label: String,
    pub result: TokenCheckResult,
    pub error: Option<Reason>,
}

/// An expiring account with what its check needs, read under its claim.
struct Due {
    account: Account,
    profile: Profile,
    tokens: TokenBundle,
    secret: Option<SecretString>,
    claim: Claim,
}

impl Signoff {
    /// Looks at signed-in accounts whose access token expires within `within`: refreshes them
    /// where the provider allows it; marks them "needs attention" when it refuses, or when a
    /// provider that logs out with the access token has no way to refresh it. So an account that
    /// can no longer be signed out says so before the person tries.
    pub async fn check_tokens(
        self: &Arc<Self>,
        within: Duration,
        actor: Actor,
    ) -> Result<Vec<TokenCheck>> {
        // A horizon past the calendar's end (`--within` of centuries) means "every account".
        let horizon = time::Duration::try_from(within)
            .ok()
            .and_then(|w| OffsetDateTime::now_utc().checked_add(w))
            .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc());
        let expiring = self
            .blocking(move |core| core.store.expiring(horizon))
            .await?;
        if expiring.is_empty() {
            return Ok(Vec::new());
        }
        let profiles = self.providers();
        let mut checks = Vec::new();
        for account in expiring {
            let Ok(profile) = profiles.get(&account.provider_id) else {
                continue;
            };
            let profile = profile.clone();
            let due = self
                .blocking(move |core| core.claim_for_check(account, profile))
                .await?;
            let Some(due) = due else { continue };
            let (result, error, fresh) = check_one(&due).await;
            let check = TokenCheck {
                account: due.account.id.clone(),
                label: due.account.label.clone(),
                result,
                error: error.clone(),
            };
            self.blocking(move |core| core.record_check(due, actor, result, error, fresh))
                .await?;
            checks.push(check);
        }
        Ok(checks)
    }

    /// The claim, tokens and client secret of an account to check; `None` when another process
    /// holds it or the keychain no longer has its tokens.
    fn claim_for_check(&self, account: Account, profile: Profile) -> Result<Option<Due>> {
        let Some(claim) = Claim::try_acquire(&self.paths.data_dir, &account.id)? else {
            return Ok(None);
        };
        let vault = self.vault()?;
        let Some(tokens) = vault.get(&account.id)? else {
            return Ok(None);
        };
        let secret = if can_refresh(&profile, &tokens) {
            vault.client_secret(&profile.id)?
        } else {
            None
        };
        Ok(Some(Due {
            account,
            profile,
            tokens,
            secret,
            claim,
        }))
    }

    /// Stores refreshed tokens, or marks the account as needing attention (with its audit entry).
    fn record_check(
        &self,
        due: Due,
        actor: Actor,
        result: TokenCheckResult,
        error: Option<Reason>,
        fresh: Option<(TokenBundle, Option<OffsetDateTime>)>,
    ) -> Result<()> {
        let account = &due.account;
        if let Some((tokens, expires_at)) = fresh {
            self.vault()?.put(&account.id, &account.label, &tokens)?;
            self.store.set_access_expiry(&account.id, expires_at)?;
        }
        if result == TokenCheckResult::NeedsAttention {
            let entry = AuditEntry::new(actor, Action::CheckTokens)
                .account(account)
                .error(error.as_ref());
            let state = SignOutState::NeedsAttention { error };
            self.store.finish_sign_out(&account.id, &state, &entry)?;
        }
        drop(due.claim);
        Ok(())
    }
}

fn can_refresh(profile: &Profile, tokens: &TokenBundle) -> bool {
    (profile.issuer.is_some() || profile.token_endpoint.is_some()) && tokens.refresh_token.is_some()
}

/// The network part of one check: a refresh where possible.
async fn check_one(
    due: &Due,
) -> (
    TokenCheckResult,
    Option<Reason>,
    Option<(TokenBundle, Option<OffsetDateTime>)>,
) {
    let profile = &due.profile;
    if can_refresh(profile, &due.tokens) {
        return match crate::signin::refresh(profile, &due.tokens, due.secret.as_ref()).await {
            Refresh::Refreshed {
                tokens,
                access_expires_at,
            } => (
                TokenCheckResult::Refreshed,
                None,
                Some((tokens, access_expires_at)),
            ),
            Refresh::Refused(e) => (
                TokenCheckResult::NeedsAttention,
                Some(Reason::new(
                    ReasonKind::SessionExpired,
                    format!(
                        "{} no longer accepts this account's refresh token ({e}); sign in again, or forget the account",
                        profile.label
                    ),
                )),
                None,
            ),
            Refresh::Unavailable(e) => (TokenCheckResult::Unchanged, Some(e), None),
        };
    }
    if profile.protocol == Protocol::BearerLogout && due.tokens.access_token.is_some() {
        return (
            TokenCheckResult::NeedsAttention,
            Some(Reason::new(
                ReasonKind::TokenExpired,
                format!(
                    "the access token expires and {} offers no way to refresh it; sign in again, or forget the account",
                    profile.label
                ),
            )),
            None,
        );
    }
    (TokenCheckResult::Unchanged, None, None)
}
