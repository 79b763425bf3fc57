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
            let (id, label) = (account.id.clone(), account.label.clone());
            // One account's keychain or database error is its own: the others are checked still.
            let due = match self
                .blocking(move |core| core.claim_for_check(account, profile))
                .await
            {
                Ok(Some(due)) => due,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(account = %id, error = %e, "token check skipped");
                    checks.push(unchecked(id, label, &e));
                    continue;
                }
            };
            let (result, error, fresh) = check_one(self.http(), &due).await;
            let recorded = self
                .blocking(move |core| core.record_check(due, actor, result, error, fresh))
                .await;
            checks.push(match recorded {
                Ok((result, error)) => TokenCheck {
                    account: id,
                    label,
                    result,
                    error,
                },
                Err(e) => {
                    tracing::warn!(account = %id, error = %e, "token check not recorded");
                    unchecked(id, label, &e)
                }
            });
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
    /// A keychain write that fails is tried again ([`PUT_RETRIES`] times); if it still fails
    /// after the provider rotated the refresh token, the account needs attention
    /// ([`ReasonKind::TokenNotStored`]). Returns what the check came to.
    fn record_check(
        &self,
        due: Due,
        actor: Actor,
        mut result: TokenCheckResult,
        mut error: Option<Reason>,
        fresh: Option<(TokenBundle, Option<OffsetDateTime>)>,
    ) -> Result<(TokenCheckResult, Option<Reason>)> {
        let account = &due.account;
        if let Some((tokens, expires_at)) = fresh {
            match self.put_retrying(account, &tokens) {
                Ok(()) => self.store.set_access_expiry(&account.id, expires_at)?,
                Err(e) if rotated(&due.tokens, &tokens) => {
                    result = TokenCheckResult::NeedsAttention;
                    error = Some(Reason::new(
                        ReasonKind::TokenNotStored,
                        format!(
                            "{} issued a new refresh token, but the keychain could not store it ({e}); the old one may no longer work: sign in again, or forget the account",
                            due.profile.label
                        ),
                    ));
                }
                // The stored refresh token still works: only this refresh is lost.
                Err(e) => {
                    result = TokenCheckResult::Unchanged;
                    error = Some(Reason::new(
                        ReasonKind::RefreshUnavailable,
                        format!("the refreshed tokens could not be stored in the keychain ({e})"),
                    ));
                }
            }
        }
        if result == TokenCheckResult::NeedsAttention {
            let entry = AuditEntry::new(actor, Action::CheckTokens)
                .account(account)
                .error(error.as_ref());
            let state = SignOutState::NeedsAttention {
                error: error.clone(),
            };
            self.store.finish_sign_out(&account.id, &state, &entry)?;
        }
        drop(due.claim);
        Ok((result, error))
    }

    /// [`crate::vault::Vault::put`], tried again after a short pause when the keychain refuses.
    fn put_retrying(&self, account: &Account, tokens: &TokenBundle) -> Result<()> {
        let vault = self.vault()?;
        let mut tries = 0;
        loop {
            match vault.put(&account.id, &account.label, tokens) {
                Ok(()) => return Ok(()),
                Err(e) if tries < PUT_RETRIES => {
                    tries += 1;
                    tracing::warn!(account = %account.id, error = %e, tries, "keychain write failed; trying again");
                    std::thread::sleep(PUT_BACKOFF * tries);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// How many times a failed keychain write of refreshed tokens is tried again, and the pause
/// before the first retry (doubling after).
const PUT_RETRIES: u32 = 2;
const PUT_BACKOFF: Duration = Duration::from_millis(200);

/// True when a refresh replaced the refresh token (so the old one may be void).
fn rotated(old: &TokenBundle, new: &TokenBundle) -> bool {
    match (&old.refresh_token, &new.refresh_token) {
        (Some(old), Some(new)) => old.expose_secret() != new.expose_secret(),
        (_, new) => new.is_some(),
    }
}

/// A check that could not be done or recorded, with the error as its reason.
fn unchecked(account: AccountId, label: String, e: &crate::error::Error) -> TokenCheck {
    TokenCheck {
        account,
        label,
        result: TokenCheckResult::Unchanged,
        error: Some(Reason::new(
            ReasonKind::RefreshUnavailable,
            format!("the check could not be done: {e}"),
        )),
    }
}

fn can_refresh(profile: &Profile, tokens: &TokenBundle) -> bool {
    (profile.issuer.is_some() || profile.token_endpoint.is_some()) && tokens.refresh_token.is_some()
}

/// The network part of one check: a refresh where possible.
async fn check_one(
    client: &reqwest::Client,
    due: &Due,
) -> (
    TokenCheckResult,
    Option<Reason>,
    Option<(TokenBundle, Option<OffsetDateTime>)>,
) {
    let profile = &due.profile;
    if can_refresh(profile, &due.tokens) {
        return match crate::signin::refresh(client, profile, &due.tokens, due.secret.as_ref()).await
        {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AccountStatus, NewAccount};
    use crate::vault::{MemoryStore, Vault};

    /// A core on a temporary folder whose keychain is `keychain`, with one signed-in account
    /// and that account's check, claimed, as `check_tokens` hands it to `record_check`.
    fn due_account(keychain: &MemoryStore) -> (tempfile::TempDir, Signoff, Due) {
        let (dir, core) = core_with(keychain);
        let new = NewAccount {
            provider_id: "matar".into(),
            label: "Rotating".into(),
            subject: None,
        };
        let tokens = TokenBundle::from_json(r#"{"refresh_token":"rt-old"}"#).unwrap();
        let account = core.add_account(new, tokens, Actor::Admin).unwrap();
        let profile = core.providers().get("matar").unwrap().clone();
        let due = core.claim_for_check(account, profile).unwrap().unwrap();
        (dir, core, due)
    }

    /// A core on a temporary folder whose keychain is `keychain`.
    fn core_with(keychain: &MemoryStore) -> (tempfile::TempDir, Signoff) {
        let dir = tempfile::tempdir().unwrap();
        let core = Signoff::open(crate::Paths::under(dir.path()))
            .unwrap()
            .with_system_profiles(None);
        core.vault
            .set(Vault::with_backend(keychain.clone()))
            .unwrap();
        (dir, core)
    }

    /// Records a refresh that rotated the refresh token to `rt-new`.
    fn record_rotation(core: &Signoff, due: Due) -> (TokenCheckResult, Option<Reason>) {
        let tokens = TokenBundle::from_json(r#"{"refresh_token":"rt-new"}"#).unwrap();
        let fresh = Some((tokens, None));
        core.record_check(due, Actor::System, TokenCheckResult::Refreshed, None, fresh)
            .unwrap()
    }

    fn stored_refresh_token(core: &Signoff, id: &AccountId) -> String {
        let tokens = core.vault().unwrap().get(id).unwrap().unwrap();
        tokens.refresh_token.unwrap().expose_secret().to_owned()
    }

    #[test]
    fn a_rotated_refresh_token_the_keychain_refuses_is_retried_then_needs_attention() {
        let keychain = MemoryStore::new();
        let (_dir, core, due) = due_account(&keychain);
        let id = due.account.id.clone();
        let puts = keychain.puts();
        keychain.fail_puts(u32::MAX);

        let (result, error) = record_rotation(&core, due);

        assert_eq!(keychain.puts() - puts, 1 + PUT_RETRIES, "tried again");
        assert_eq!(result, TokenCheckResult::NeedsAttention);
        let error = error.unwrap();
        assert_eq!(error.kind(), ReasonKind::TokenNotStored);
        assert!(error.to_string().contains("could not store"), "{error}");
        let account = core.account(&id).unwrap();
        assert_eq!(account.status, AccountStatus::NeedsAttention);
        assert_eq!(
            account.last_error.map(|e| e.kind()),
            Some(ReasonKind::TokenNotStored)
        );
        let audit = core.audit(None).unwrap();
        assert!(audit.iter().any(|e| e.action == Action::CheckTokens
            && e.error_code.as_deref() == Some("token_not_stored")));
    }

    #[test]
    fn a_keychain_write_that_fails_once_is_retried_and_the_rotated_token_kept() {
        let keychain = MemoryStore::new();
        let (_dir, core, due) = due_account(&keychain);
        let id = due.account.id.clone();
        keychain.fail_puts(PUT_RETRIES);

        let (result, error) = record_rotation(&core, due);

        assert_eq!((result, error), (TokenCheckResult::Refreshed, None));
        assert_eq!(stored_refresh_token(&core, &id), "rt-new");
        assert_eq!(core.account(&id).unwrap().status, AccountStatus::SignedIn);
    }

    /// The keychain read of one account fails (injected: gnome-keyring cannot be made to fail
    /// one read on cue); the account after it is still checked and marked.
    #[tokio::test]
    async fn one_accounts_keychain_error_does_not_stop_the_other_accounts_checks() {
        let keychain = MemoryStore::new();
        let (_dir, core) = core_with(&keychain);
        let core = Arc::new(core);
        let now = OffsetDateTime::now_utc();
        let mut ids = Vec::new();
        for (label, expired) in [("Unreadable", 10), ("Readable", 5)] {
            let new = NewAccount {
                provider_id: "matar".into(),
                label: label.into(),
                subject: None,
            };
            let tokens = TokenBundle::from_json(r#"{"access_token":"at-matar"}"#).unwrap();
            let account = core.add_account(new, tokens, Actor::Admin).unwrap();
            let at = now - time::Duration::minutes(expired);
            core.store.set_access_expiry(&account.id, Some(at)).unwrap();
            ids.push(account.id);
        }
        keychain.fail_gets(1);

        let checks = core
            .check_tokens(Duration::from_secs(60), Actor::System)
            .await
            .unwrap();

        assert_eq!(checks.len(), 2, "{checks:?}");
        assert_eq!(checks[0].account, ids[0]);
        assert_eq!(checks[0].result, TokenCheckResult::Unchanged);
        let why = checks[0].error.as_ref().unwrap().to_string();
        assert!(why.contains("could not be done"), "{why}");
        assert_eq!(
            core.account(&ids[0]).unwrap().status,
            AccountStatus::SignedIn
        );
        assert_eq!(checks[1].account, ids[1]);
        assert_eq!(checks[1].result, TokenCheckResult::NeedsAttention);
        assert_eq!(
            core.account(&ids[1]).unwrap().status,
            AccountStatus::NeedsAttention
        );
    }
}
