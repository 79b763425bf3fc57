//! Signing out: some accounts, every account ("sign out everywhere"), the retry of pending
//! revocations, and the preview the confirmation dialog shows.
//!
//! Sign-out keeps one invariant at every instant, crash included: every token is either in the
//! keychain with an account row that knows it, or confirmed ended at the provider, or forgotten
//! on a person's explicit request. The order of writes below is what keeps it:
//! claim → row `signing_out` → provider → (done) keychain delete → row `signed_out` + audit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::Signoff;
use crate::account::{Account, AccountId, AccountStatus};
use crate::audit::{Action, Actor, AuditEntry};
use crate::claim::Claim;
use crate::engine::{Receipt, Report};
use crate::error::{ErrorCode, Result};
use crate::found::{FoundSession, Revoker};
use crate::outcome::{Outcome, Reason, ReasonKind};
use crate::profile::ProfileSet;
use crate::secret::SecretString;
use crate::store::SignOutState;
use crate::tokens::TokenBundle;

mod keychain;
mod preview;
use keychain::RunKeychain;
pub use preview::{CallView, Ends, PreviewAccount, PreviewProvider, SignOutPreview};

/// Statuses a sign-out may start from (`signing_out` is a sign-out a crash interrupted).
const SIGN_OUT_FROM: &[AccountStatus] = &[
    AccountStatus::SignedIn,
    AccountStatus::Pending,
    AccountStatus::NeedsAttention,
    AccountStatus::SigningOut,
];

/// Options for a sign-out.
#[derive(Debug, Clone, Copy)]
pub struct SignOutOptions {
    pub actor: Actor,
    /// Introspect afterwards where an introspection endpoint is known.
    pub verify: bool,
}

/// An account a sign-out did not touch, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Skipped {
    pub account: AccountId,
    pub reason: String,
    /// Set when an error (keychain, database) stopped this account's sign-out.
    pub error: Option<ErrorCode>,
}

/// Everything a sign-out run did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignOutSummary {
    pub results: Vec<Receipt>,
    pub skipped: Vec<Skipped>,
}

impl SignOutSummary {
    /// True when some result is `failed`.
    pub fn any_failed(&self) -> bool {
        self.any(Outcome::Failed)
    }

    /// True when an error stopped some account's sign-out (it keeps its state).
    pub fn any_error(&self) -> bool {
        self.skipped.iter().any(|s| s.error.is_some())
    }

    /// True when some result is `pending`.
    pub fn any_pending(&self) -> bool {
        self.any(Outcome::Pending)
    }

    fn any(&self, outcome: Outcome) -> bool {
        self.results.iter().any(|r| r.report.outcome == outcome)
    }
}

/// Which accounts "sign out everywhere" covers.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub provider: Option<String>,
    /// Only these accounts (none: every account).
    pub ids: Vec<AccountId>,
}

impl AccountFilter {
    fn covers(&self, account: &Account) -> bool {
        (self.ids.is_empty() || self.ids.contains(&account.id))
            && self
                .provider
                .as_ref()
                .is_none_or(|p| &account.provider_id == p)
    }
}

/// The sessions other tools hold now, scanned once for a sign-out run that covers found ones
/// (`None`: the run covers none, or the scan failed and each account tries, and reports, alone).
type FoundNow = Option<HashMap<AccountId, FoundSession>>;

/// An account ready for its provider call.
struct Prepared {
    claim: Claim,
    account: Account,
    tokens: Option<TokenBundle>,
    /// The tokens came from Signoff's keychain (not from another tool's store).
    in_vault: bool,
    secret: Option<SecretString>,
    /// The row was already `signing_out` before this run: a sign-out a crash interrupted.
    interrupted: bool,
    /// For a session found in another tool's store: what revokes it.
    revoker: Option<Revoker>,
    /// ...and the session as the tools hold it now, when its token is still there.
    found: Option<FoundSession>,
}

impl Signoff {
    /// Signs out the given accounts concurrently, reporting each receipt as it is ready.
    /// Sign-outs a crash left half-done are resumed first.
    pub async fn sign_out(
        self: &Arc<Self>,
        ids: &[AccountId],
        options: SignOutOptions,
        on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        let ids = ids.to_vec();
        let accounts = self
            .blocking(move |core| {
                ids.iter()
                    .map(|id| core.account(id))
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        self.run_sign_outs(accounts, options, Action::SignOut, on_receipt)
            .await
    }

    /// "Sign out everywhere": every listed account (optionally of one provider).
    pub async fn sign_out_all(
        self: &Arc<Self>,
        filter: &AccountFilter,
        options: SignOutOptions,
        on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        let accounts = self.covered(filter).await?;
        self.run_sign_outs(accounts, options, Action::SignOut, on_receipt)
            .await
    }

    /// Retries pending revocations that are due (all of them with `force`).
    pub async fn retry_pending(
        self: &Arc<Self>,
        force: bool,
        options: SignOutOptions,
        on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        let due = self
            .blocking(move |core| core.store.due_pending(OffsetDateTime::now_utc(), force))
            .await?;
        self.run_sign_outs(due, options, Action::RetrySignOut, on_receipt)
            .await
    }

    /// The accounts "sign out everywhere" with `filter` covers.
    async fn covered(self: &Arc<Self>, filter: &AccountFilter) -> Result<Vec<Account>> {
        let filter = filter.clone();
        self.blocking(move |core| {
            Ok(core
                .store
                .accounts_with_status(SIGN_OUT_FROM)?
                .into_iter()
                .filter(|a| filter.covers(a))
                .collect())
        })
        .await
    }

    /// Signs out `accounts` plus any sign-out a crash interrupted.
    ///
    /// The keychain and the database are blocking and slow next to the network (every keychain
    /// call is a D-Bus round trip or two), so that work runs on the blocking pool, several
    /// accounts at once: the async workers keep driving the provider calls already under way.
    /// Every account is claimed first, then the keychain is read once for the whole run
    /// (`keychain.rs`).
    async fn run_sign_outs(
        self: &Arc<Self>,
        accounts: Vec<Account>,
        options: SignOutOptions,
        action: Action,
        mut on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        let accounts = self
            .blocking(move |core| core.with_interrupted(accounts))
            .await?;
        if accounts.is_empty() {
            return Ok(SignOutSummary::default());
        }
        let scan_wanted = accounts
            .iter()
            .any(|a| a.is_found() && a.status != AccountStatus::Pending);
        // The HTTP client (its TLS roots) and the provider profiles are made while the accounts
        // are claimed and the keychain read, not after: ~4 ms off the first provider call.
        let profiles = {
            let core = Arc::clone(self);
            tokio::task::spawn_blocking(move || {
                core.engine();
                core.providers()
            })
        };
        let (claimed, keychain) = self
            .blocking(move |core| core.claim_and_read(accounts))
            .await?;
        let keychain = Arc::new(keychain);
        // One scan of the tools' stores for every found session of the run, not one each; a
        // pending one's token is in the keychain outbox already (the minutely retries scan
        // nothing).
        let found: Arc<FoundNow> = Arc::new(if scan_wanted {
            self.blocking(|core| core.scan_stores())
                .await
                .inspect_err(
                    |e| tracing::warn!(code = %e.code(), "cannot scan the tools' stores: {e}"),
                )
                .ok()
                .map(|scan| {
                    scan.sessions
                        .into_iter()
                        .map(|s| (s.id.clone(), s))
                        .collect()
                })
        } else {
            None
        });
        let profiles = Arc::new(match profiles.await {
            Ok(profiles) => profiles,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        });
        let mut set = tokio::task::JoinSet::new();
        for (account, claim) in claimed {
            let core = Arc::clone(self);
            let profiles = Arc::clone(&profiles);
            let keychain = Arc::clone(&keychain);
            let found = Arc::clone(&found);
            set.spawn(async move {
                let id = account.id.clone();
                // An error on one account (keychain, database) does not stop the others; the
                // account keeps its state and is reported as skipped, with the reason.
                core.sign_out_one(account, claim, profiles, keychain, found, options, action)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(account = %id, code = %e.code(), "sign-out not done: {e}");
                        Err(Skipped {
                            account: id,
                            reason: e.to_string(),
                            error: Some(e.code()),
                        })
                    })
            });
        }
        let mut summary = SignOutSummary::default();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Ok(receipt)) => {
                    on_receipt(&receipt);
                    summary.results.push(receipt);
                }
                Ok(Err(skipped)) => summary.skipped.push(skipped),
                Err(e) => tracing::error!("a sign-out task failed: {e}"),
            }
        }
        Ok(summary)
    }

    /// `accounts` plus the sign-outs a crash left `signing_out`; when there is anything to do,
    /// the keychain connected and unlocked first (once, with a timeout), or the run stops with
    /// `keychain_locked`.
    fn with_interrupted(&self, mut accounts: Vec<Account>) -> Result<Vec<Account>> {
        for a in self
            .store
            .accounts_with_status(&[AccountStatus::SigningOut])?
        {
            if !accounts.iter().any(|b| b.id == a.id) {
                accounts.push(a);
            }
        }
        if !accounts.is_empty() {
            self.vault()?
                .ensure_unlocked(crate::vault::UNLOCK_TIMEOUT)?;
        }
        Ok(accounts)
    }

    /// One account, start to finish, under its claim.
    #[allow(clippy::too_many_arguments)]
    async fn sign_out_one(
        self: &Arc<Self>,
        account: Account,
        claim: Option<Claim>,
        profiles: Arc<ProfileSet>,
        keychain: Arc<RunKeychain>,
        found: Arc<FoundNow>,
        options: SignOutOptions,
        action: Action,
    ) -> Result<Result<Receipt, Skipped>> {
        let id = account.id.clone();
        let prepared = {
            let (id, profiles, keychain) =
                (id.clone(), Arc::clone(&profiles), Arc::clone(&keychain));
            self.blocking(move |core| {
                core.prepare_sign_out(&id, claim, &profiles, &keychain, &found)
            })
            .await?
        };
        let Prepared {
            claim,
            account,
            tokens,
            in_vault,
            secret,
            interrupted,
            revoker,
            found,
        } = match prepared {
            Ok(p) => p,
            Err(reason) => {
                return Ok(Err(Skipped {
                    account: id,
                    reason: reason.into(),
                    error: None,
                }));
            }
        };
        let profile = match &revoker {
            Some(r) => match r.resolve(&profiles) {
                Ok(p) => Ok(p),
                Err(e) => Err(Report::failed(Reason::new(
                    ReasonKind::ProfileMissing,
                    format!("the provider this session belongs to cannot be used: {e}"),
                ))),
            },
            None => Ok(profiles.get(&account.provider_id).ok().cloned()),
        };
        let profile = match profile {
            Ok(p) => p,
            Err(report) => {
                return self
                    .finish_blocking(
                        claim, account, keychain, in_vault, found, report, options, action,
                    )
                    .await;
            }
        };
        if let (Some(_), Some(Revoker::LocalOnly { why, manage_url })) = (&tokens, &revoker) {
            let page = manage_url
                .as_ref()
                .map(|u| format!("; end it at {u}"))
                .unwrap_or_default();
            let report = Report::new(Outcome::LocalOnly).with_note(format!(
                "{why}. The copies on this computer were removed; the session may still be valid at the provider{page}"
            ));
            return self
                .finish_blocking(
                    claim, account, keychain, in_vault, found, report, options, action,
                )
                .await;
        }
        let report = match (&tokens, profile.as_ref()) {
            // Only a sign-out a crash interrupted after its keychain delete explains a missing
            // token; any other absence is no evidence that the session ended.
            (None, _) if interrupted => Report::already_revoked(
                "the keychain no longer holds this account's token: an earlier sign-out ended it and was interrupted before it could finish",
            ),
            (None, _) => Report::failed(Reason::new(
                ReasonKind::TokenMissing,
                "the keychain has no token for this account, so Signoff cannot end its session at the provider; the account was kept: sign out on the provider's own page, then forget it here",
            )),
            (Some(_), None) => Report::failed(Reason::new(
                ReasonKind::ProfileMissing,
                format!(
                    "no provider profile {:?} is configured (or it was rejected: see `signoff providers`)",
                    account.provider_id
                ),
            )),
            (Some(tokens), Some(profile)) => {
                self.engine()
                    .revoke(profile, tokens, secret.as_ref(), options.verify)
                    .await
            }
        };
        self.finish_blocking(
            claim, account, keychain, in_vault, found, report, options, action,
        )
        .await
    }

    /// [`Self::finish_one`] on the blocking pool, the claim held until it is done.
    #[allow(clippy::too_many_arguments)]
    async fn finish_blocking(
        self: &Arc<Self>,
        claim: Claim,
        account: Account,
        keychain: Arc<RunKeychain>,
        in_vault: bool,
        found: Option<FoundSession>,
        report: Report,
        options: SignOutOptions,
        action: Action,
    ) -> Result<Result<Receipt, Skipped>> {
        self.blocking(move |core| {
            let receipt =
                core.finish_one(account, &keychain, in_vault, found, report, options, action);
            drop(claim);
            receipt
        })
        .await
        .map(Ok)
    }

    /// Before the provider call: the claim, the token from the keychain, the row marked
    /// `signing_out`, the client secret. `Err(reason)` when the account is not to be touched.
    fn prepare_sign_out(
        &self,
        id: &AccountId,
        claim: Option<Claim>,
        profiles: &ProfileSet,
        keychain: &RunKeychain,
        found_now: &FoundNow,
    ) -> Result<std::result::Result<Prepared, &'static str>> {
        let Some(claim) = claim else {
            return Ok(Err("another Signoff process is signing this account out"));
        };
        let vault = self.vault()?;
        let mut tokens = keychain.tokens(vault, id)?;
        let in_vault = tokens.is_some();
        // A found session's token is in its tool's store (unless a pending sign-out moved it
        // into the keychain): read fresh, so a token the tool replaced is never revoked twice.
        let begun = keychain.begun(id).cloned();
        // An account of Signoff's own (not found in a tool's store) has no found row.
        let row = match &begun {
            Some(account) if !account.is_found() => None,
            _ => self.found_row(id)?,
        };
        let mut found = None;
        if row.is_some() && tokens.is_none() {
            found = match found_now {
                Some(sessions) => sessions.get(id).cloned(),
                None => self.found_now(id)?,
            };
            tokens = found.as_ref().map(FoundSession::bundle);
            let status = self.store.account(id)?.map(|a| a.status);
            if found.is_none() && status != Some(AccountStatus::SigningOut) {
                self.forget_found(id)?;
                return Ok(Err(
                    "the tool no longer holds this session's token on this computer (it was removed or replaced since the scan); forgotten",
                ));
            }
        }
        let account = match begun {
            Some(account) => Some(account),
            None => self.store.begin_sign_out(id, SIGN_OUT_FROM)?,
        };
        let Some(account) = account else {
            return Ok(Err(
                "the account is not signed in (already signed out or forgotten)",
            ));
        };
        let revoker = row.map(|r| r.revoker);
        // A public app's published secret, or the one the tool's store keeps beside the token
        // (a kubeconfig's client-secret).
        let mut secret = revoker
            .as_ref()
            .and_then(Revoker::public_secret)
            .or_else(|| found.as_ref().and_then(|f| f.client_secret.clone()));
        if secret.is_none() && in_vault && matches!(revoker, Some(Revoker::Issuer { .. })) {
            // A pending sign-out kept the store's client secret beside the token.
            secret = keychain.client_secret(vault, &found_client_key(id))?;
        }
        if tokens.is_some()
            && secret.is_none()
            && let Ok(profile) = profiles.get(&account.provider_id)
        {
            secret = match keychain.client_secret(vault, &profile.id) {
                Ok(s) => s,
                Err(e) => {
                    self.store.set_status(id, account.status)?;
                    return Err(e);
                }
            };
        }
        Ok(Ok(Prepared {
            interrupted: account.status == AccountStatus::SigningOut,
            claim,
            account,
            tokens,
            in_vault,
            secret,
            revoker,
            found,
        }))
    }

    /// After the provider answered: the keychain entry deleted when the session ended, then the
    /// row's new state and the audit entry in one transaction.
    ///
    /// A found session's copies go from its tool's stores once the session ended; when the
    /// revocation is pending the token first moves into the keychain outbox, then the tool's
    /// copies go (the tool is signed out here while Signoff keeps trying).
    #[allow(clippy::too_many_arguments)]
    fn finish_one(
        &self,
        account: Account,
        keychain: &RunKeychain,
        in_vault: bool,
        found: Option<FoundSession>,
        report: Report,
        options: SignOutOptions,
        action: Action,
    ) -> Result<Receipt> {
        let id = account.id.clone();
        let mut removed = Vec::new();
        let state = match report.outcome {
            o if o.is_done() => {
                // The row stays `signing_out` if this fails: the next run resumes it.
                if let Some(session) = &found {
                    removed = self.remove_copies(session)?;
                }
                if in_vault {
                    let vault = self.vault()?;
                    keychain.delete(vault, &id)?;
                    if account.is_found() {
                        keychain.delete_client_secret(vault, &found_client_key(&id))?;
                    }
                }
                SignOutState::SignedOut
            }
            Outcome::Pending => {
                if let Some(session) = &found {
                    let vault = self.vault()?;
                    if let Some(cs) = &session.client_secret {
                        vault.put_client_secret(&found_client_key(&id), cs)?;
                    }
                    vault.put(&id, &account.label, &session.bundle())?;
                    removed = self.remove_copies(session)?;
                }
                SignOutState::Pending {
                    next_attempt_at: next_attempt(
                        report.retry_after_secs,
                        self.store.retries(&id)?,
                    ),
                    error: report.error.clone(),
                }
            }
            _ => SignOutState::NeedsAttention {
                error: report.error.clone(),
            },
        };
        let mut entry = AuditEntry::new(options.actor, action)
            .account(&account)
            .report(&report);
        if account.is_found() {
            // Which tool's session it was, and every copy removed (never a token).
            let mut detail = format!("found in {}'s store", account.origin);
            for r in removed.iter().filter(|r| r.was_there) {
                detail.push_str(&format!("; removed from {}", r.place));
            }
            if let Some(note) = &report.note {
                detail.push_str(&format!("; {note}"));
            }
            entry = entry.detail(detail);
        }
        self.store.finish_sign_out(&id, &state, &entry)?;
        tracing::info!(account = %id, provider = %account.provider_id, outcome = %report.outcome, attempts = report.attempts, "sign-out finished");
        Ok(Receipt {
            account: id,
            provider: account.provider_id,
            label: account.label,
            origin: account.origin,
            removed,
            report,
        })
    }
}

/// Where a pending found session keeps the client secret its tool's store held beside the
/// token (a kubeconfig's `client-secret`), for the retries.
pub(crate) fn found_client_key(id: &AccountId) -> String {
    format!("found-{id}")
}

/// When a pending revocation is tried again: when the provider asked, else 1 min doubling per
/// deferral up to 6 h, with ±20 % jitter so many clients do not return at once.
fn next_attempt(retry_after_secs: Option<u64>, retries: u32) -> OffsetDateTime {
    let secs = match retry_after_secs {
        Some(s) => s.clamp(1, crate::outcome::RETRY_AFTER_MAX.as_secs()),
        None => {
            let base = 60u64.saturating_mul(1u64 << retries.min(10)).min(6 * 3600);
            let jitter = 0.8 + fastrand::f64() * 0.4;
            (base as f64 * jitter) as u64
        }
    };
    OffsetDateTime::now_utc() + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests;
