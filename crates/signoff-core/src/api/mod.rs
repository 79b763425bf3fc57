//! The use cases that the desktop app, the tray and the CLI all call.
//!
//! Sign-out keeps one invariant at every instant, crash included: every token is either in the
//! keychain with an account row that knows it, or confirmed ended at the provider, or forgotten
//! on a person's explicit request. The order of writes below is what keeps it:
//! claim → row `signing_out` → provider → (done) keychain delete → row `signed_out` + audit.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::account::{Account, AccountId, AccountStatus, NewAccount, validate_provider_id};
use crate::audit::{Action, Actor, AuditEntry};
use crate::claim::Claim;
use crate::engine::{Engine, EngineConfig, Receipt, Report};
use crate::error::{Error, Result};
use crate::outcome::{Outcome, ProviderError};
use crate::paths::Paths;
use crate::profile::{Profile, ProfileSet, TokenKind};
use crate::secret::SecretString;
use crate::store::{SignOutState, Store};
use crate::tokens::TokenBundle;
use crate::vault::Vault;

mod bulk;
pub use bulk::{BulkResult, BulkSummary, read_tokens};

/// Statuses shown in the account list (everything but finished sign-outs and half-added rows).
const LISTED: &[AccountStatus] = &[
    AccountStatus::SignedIn,
    AccountStatus::SigningOut,
    AccountStatus::Pending,
    AccountStatus::NeedsAttention,
];

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
pub struct Skipped {
    pub account: AccountId,
    pub reason: String,
    /// Set when an error (keychain, database) stopped this account's sign-out.
    pub error: Option<crate::error::ErrorCode>,
}

/// Everything a sign-out run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignOutSummary {
    pub results: Vec<Receipt>,
    pub skipped: Vec<Skipped>,
}

impl SignOutSummary {
    /// True when some result is `failed`.
    pub fn any_failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| r.report.outcome == Outcome::Failed)
    }

    /// True when an error stopped some account's sign-out (it keeps its state).
    pub fn any_error(&self) -> bool {
        self.skipped.iter().any(|s| s.error.is_some())
    }

    /// True when some result is `pending`.
    pub fn any_pending(&self) -> bool {
        self.results
            .iter()
            .any(|r| r.report.outcome == Outcome::Pending)
    }
}

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
    pub error: Option<ProviderError>,
}

/// Which accounts "sign out everywhere" covers.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub provider: Option<String>,
}

/// Signoff's core, opened on one data directory. Share it behind an `Arc`.
#[derive(Debug)]
pub struct Signoff {
    paths: Paths,
    store: Store,
    vault: OnceLock<Vault>,
    engine: OnceLock<Arc<Engine>>,
    engine_config: EngineConfig,
    system_profiles: Option<std::path::PathBuf>,
}

impl Signoff {
    /// Opens the data directory, creating and migrating the database as needed. The keychain is
    /// connected on first use, so listing accounts works even while it is locked.
    pub fn open(paths: Paths) -> Result<Self> {
        paths.ensure()?;
        let store = Store::open(&paths.database())?;
        Ok(Self {
            paths,
            store,
            vault: OnceLock::new(),
            engine: OnceLock::new(),
            engine_config: EngineConfig::default(),
            system_profiles: Some(crate::profile::system_profiles_path()),
        })
    }

    /// Replaces the engine settings (retry budget, timeouts, per-host bound).
    pub fn with_engine_config(mut self, config: EngineConfig) -> Self {
        self.engine_config = config;
        self
    }

    /// Reads system-wide profiles from `path` instead of the platform location (`None`: none).
    pub fn with_system_profiles(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.system_profiles = path;
        self
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    fn vault(&self) -> Result<&Vault> {
        if let Some(v) = self.vault.get() {
            return Ok(v);
        }
        let v = Vault::open()?;
        Ok(self.vault.get_or_init(|| v))
    }

    fn engine(&self) -> Arc<Engine> {
        Arc::clone(
            self.engine
                .get_or_init(|| Arc::new(Engine::new(self.engine_config))),
        )
    }

    /// Every provider profile (built-in, system, user) and the problems found loading them.
    pub fn providers(&self) -> ProfileSet {
        ProfileSet::load_layers(
            self.system_profiles.as_deref(),
            &self.paths.config_dir.join("providers.toml"),
        )
    }

    /// Stores a provider's client secret in the keychain.
    pub fn set_client_secret(
        &self,
        provider_id: &str,
        secret: SecretString,
        actor: Actor,
    ) -> Result<()> {
        validate_provider_id(provider_id)?;
        self.providers().get(provider_id)?;
        if secret.is_blank() {
            return Err(Error::invalid("client secret", "is empty"));
        }
        let secret = SecretString::new(secret.expose_secret().trim().to_owned());
        self.vault()?.put_client_secret(provider_id, &secret)?;
        let mut entry = AuditEntry::new(actor, Action::SetClientSecret);
        entry.provider = Some(provider_id.to_owned());
        self.store.append_audit(&entry)?;
        Ok(())
    }

    /// The accounts a person is signed in to (or whose sign-out is not finished), oldest first.
    pub fn list_accounts(&self) -> Result<Vec<Account>> {
        self.store.accounts_with_status(LISTED)
    }

    /// A value that changes whenever accounts change, in this process or another (the app
    /// polls it to keep the window and the tray current).
    pub fn change_marker(&self) -> Result<(i64, Option<String>)> {
        self.store.change_marker()
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

    /// Adds an account: its row first (as `adding`), then its tokens in the keychain, then the
    /// row becomes `signed_in`. If the keychain refuses, the row is removed again and nothing
    /// is written anywhere else.
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
    fn insert_account(
        &self,
        new: NewAccount,
        tokens: TokenBundle,
        expiry: Option<OffsetDateTime>,
        actor: Actor,
    ) -> Result<Account> {
        new.validate()?;
        self.providers().get(&new.provider_id)?;
        if tokens.is_empty() {
            return Err(Error::invalid("tokens", "no token given"));
        }
        let vault = self.vault()?;
        let mut account = Account::new(
            new.provider_id,
            new.label.trim().to_owned(),
            non_blank(new.subject),
        );
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
        let mut entry = AuditEntry::new(actor, Action::AddAccount);
        entry.account = Some(account.id.to_string());
        entry.provider = Some(account.provider_id.clone());
        entry.label = Some(account.label.clone());
        self.store.append_audit(&entry)?;
        tracing::info!(account = %account.id, provider = %account.provider_id, "account added");
        Ok(account)
    }

    /// One account by id.
    pub fn account(&self, id: &AccountId) -> Result<Account> {
        self.store.account(id)?.ok_or_else(|| Error::NotFound {
            what: "account",
            id: id.to_string(),
        })
    }

    /// The tokens of an account.
    pub fn tokens(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        self.vault()?.get(id)
    }

    /// Deletes an account locally without revoking anything (a person asked for it): keychain
    /// entry first, then the row, with an audit entry.
    pub fn forget(&self, id: &AccountId, actor: Actor) -> Result<Account> {
        let account = self.account(id)?;
        let _claim = Claim::try_acquire(&self.paths.data_dir, id)?.ok_or_else(|| {
            Error::invalid(
                "account",
                "another Signoff process is signing it out right now",
            )
        })?;
        self.vault()?.delete(id)?;
        let mut entry = AuditEntry::new(actor, Action::Forget);
        entry.account = Some(id.to_string());
        entry.provider = Some(account.provider_id.clone());
        entry.label = Some(account.label.clone());
        entry.detail =
            Some("deleted locally without revoking; the server session may live on".into());
        self.store.delete_account(id)?;
        self.store.append_audit(&entry)?;
        tracing::info!(account = %id, "account forgotten locally");
        Ok(account)
    }

    /// Starts signing in to `provider`: returns the URL to open in the browser.
    pub async fn begin_sign_in(&self, provider: &str) -> Result<crate::signin::PendingSignIn> {
        let profile = self.providers().get(provider)?.clone();
        crate::signin::begin(&profile).await
    }

    /// Waits for the browser to come back (up to `timeout`), then adds the account with its
    /// tokens in the keychain. `label` overrides the name taken from the ID token.
    pub async fn finish_sign_in(
        &self,
        pending: crate::signin::PendingSignIn,
        label: Option<String>,
        timeout: Duration,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(pending.provider())?.clone();
        let secret = self.vault()?.client_secret(&profile.id)?;
        let signed_in = crate::signin::finish(pending, &profile, secret.as_ref(), timeout).await?;
        self.store_signed_in(&profile, signed_in, label, actor)
    }

    /// Signs in to `provider` with a user name and password at its token endpoint (MeshyDB's
    /// documented login) and adds the account.
    pub async fn sign_in_with_password(
        &self,
        provider: &str,
        username: &str,
        password: &SecretString,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(provider)?.clone();
        crate::signin::password::token_endpoint(&profile)?;
        let secret = self.vault()?.client_secret(&profile.id)?;
        let signed_in =
            crate::signin::password::login(&profile, username, password, secret.as_ref()).await?;
        self.store_signed_in(&profile, signed_in, label, actor)
    }

    /// Registers a new anonymous user at `provider` (named `username`, or a fresh name), logs it
    /// in and adds the account.
    pub async fn sign_in_anonymously(
        &self,
        provider: &str,
        username: Option<String>,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        use crate::signin::password;
        let profile = self.providers().get(provider)?.clone();
        let secret = self.vault()?.client_secret(&profile.id)?;
        let username = non_blank(username).unwrap_or_else(password::new_anonymous_name);
        password::register_anonymous(&profile, &username).await?;
        let fixed = SecretString::new(password::ANONYMOUS_PASSWORD.to_owned());
        let signed_in = password::login(&profile, &username, &fixed, secret.as_ref()).await?;
        let label = non_blank(label).or_else(|| Some(format!("{username} (anonymous)")));
        self.store_signed_in(&profile, signed_in, label, actor)
    }

    /// Adds a signed-in account: its tokens to the keychain, the access token's expiry (from
    /// the token answer) to the store. `label` overrides the name the provider gave unless it
    /// is blank.
    fn store_signed_in(
        &self,
        profile: &Profile,
        signed_in: crate::signin::SignedIn,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        let label = non_blank(label)
            .or(signed_in.label)
            .unwrap_or_else(|| format!("{} ({})", profile.label, signed_in.subject));
        let new = NewAccount {
            provider_id: profile.id.clone(),
            label,
            subject: Some(signed_in.subject),
        };
        self.insert_account(new, signed_in.tokens, signed_in.access_expires_at, actor)
    }

    /// Adds an account from pasted tokens, first asking the provider's check endpoint (when its
    /// profile names one) whether the access token is live: a token the provider refuses is
    /// not stored.
    pub async fn add_pasted_account(
        &self,
        new: NewAccount,
        tokens: TokenBundle,
        actor: Actor,
    ) -> Result<Account> {
        new.validate()?;
        let profile = self.providers().get(&new.provider_id)?.clone();
        if let Some(check) = &profile.check_endpoint {
            let access = tokens.access_token.as_ref().ok_or_else(|| {
                Error::invalid(
                    "tokens",
                    format!("{} needs the access_token to check it", profile.label),
                )
            })?;
            crate::signin::check::check_live(&profile, check, access).await?;
        }
        self.add_account(new, tokens, actor)
    }

    /// Looks at signed-in accounts whose access token expires within `within`: refreshes them
    /// where the provider allows it; marks them "needs attention" when it refuses, or when a
    /// provider that logs out with the access token has no way to refresh it. So an account that
    /// can no longer be signed out says so before the person tries.
    pub async fn check_tokens(&self, within: Duration, actor: Actor) -> Result<Vec<TokenCheck>> {
        let horizon = OffsetDateTime::now_utc() + within;
        let expiring = self.store.expiring(horizon)?;
        if expiring.is_empty() {
            return Ok(Vec::new());
        }
        let vault = self.vault()?;
        let profiles = self.providers();
        let mut checks = Vec::new();
        for account in expiring {
            let Ok(profile) = profiles.get(&account.provider_id) else {
                continue;
            };
            let Some(_claim) = Claim::try_acquire(&self.paths.data_dir, &account.id)? else {
                continue;
            };
            let Some(tokens) = vault.get(&account.id)? else {
                continue;
            };
            let attention = |code: &str, why: String| ProviderError::new(code, Some(why));
            let can_refresh = profile.issuer.is_some() || profile.token_endpoint.is_some();
            let (result, error) = if can_refresh && tokens.refresh_token.is_some() {
                let secret = vault.client_secret(&profile.id)?;
                match crate::signin::refresh(profile, &tokens, secret.as_ref()).await {
                    crate::signin::Refresh::Refreshed {
                        tokens: fresh,
                        access_expires_at,
                    } => {
                        vault.put(&account.id, &account.label, &fresh)?;
                        self.store
                            .set_access_expiry(&account.id, access_expires_at)?;
                        (TokenCheckResult::Refreshed, None)
                    }
                    crate::signin::Refresh::Refused(e) => (
                        TokenCheckResult::NeedsAttention,
                        Some(attention(
                            "session_expired",
                            format!(
                                "{} no longer accepts this account's refresh token ({e}); sign in again, or forget the account",
                                profile.label
                            ),
                        )),
                    ),
                    crate::signin::Refresh::Unavailable(e) => {
                        (TokenCheckResult::Unchanged, Some(e))
                    }
                }
            } else if profile.protocol == crate::profile::Protocol::BearerLogout
                && tokens.access_token.is_some()
            {
                (
                    TokenCheckResult::NeedsAttention,
                    Some(attention(
                        "token_expired",
                        format!(
                            "the access token expires and {} offers no way to refresh it; sign in again, or forget the account",
                            profile.label
                        ),
                    )),
                )
            } else {
                (TokenCheckResult::Unchanged, None)
            };
            if result == TokenCheckResult::NeedsAttention {
                let mut entry = AuditEntry::new(actor, Action::CheckTokens);
                entry.account = Some(account.id.to_string());
                entry.provider = Some(account.provider_id.clone());
                entry.label = Some(account.label.clone());
                entry.error_code = error.as_ref().map(|e| e.code.clone());
                entry.error_description = error.as_ref().and_then(|e| e.description.clone());
                let state = SignOutState::NeedsAttention {
                    error: error.clone(),
                };
                self.store.finish_sign_out(&account.id, &state, &entry)?;
            }
            checks.push(TokenCheck {
                account: account.id,
                label: account.label,
                result,
                error,
            });
        }
        Ok(checks)
    }

    /// The audit log since `since` (everything when `None`), oldest first.
    pub fn audit(&self, since: Option<OffsetDateTime>) -> Result<Vec<AuditEntry>> {
        self.store.audit_since(since)
    }

    /// Signs out the given accounts concurrently, reporting each receipt as it is ready.
    /// Sign-outs a crash left half-done are resumed first.
    pub async fn sign_out(
        self: &Arc<Self>,
        ids: &[AccountId],
        options: SignOutOptions,
        on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        let mut accounts = Vec::with_capacity(ids.len());
        for id in ids {
            accounts.push(self.account(id)?);
        }
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
        let accounts = self
            .store
            .accounts_with_status(SIGN_OUT_FROM)?
            .into_iter()
            .filter(|a| filter.provider.as_ref().is_none_or(|p| &a.provider_id == p))
            .collect();
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
        let due = self.store.due_pending(OffsetDateTime::now_utc(), force)?;
        self.run_sign_outs(due, options, Action::RetrySignOut, on_receipt)
            .await
    }

    /// Signs out `accounts` plus any sign-out a crash interrupted.
    ///
    /// The keychain and the database are blocking and slow next to the network (every keychain
    /// call is a D-Bus round trip or two, and gnome-keyring serves one request at a time), so
    /// that work runs on the blocking pool, several accounts at once: the async workers keep
    /// driving the provider calls already under way. Each provider's client secret is read once
    /// per run instead of once per account.
    async fn run_sign_outs(
        self: &Arc<Self>,
        mut accounts: Vec<Account>,
        options: SignOutOptions,
        action: Action,
        mut on_receipt: impl FnMut(&Receipt),
    ) -> Result<SignOutSummary> {
        for a in self
            .store
            .accounts_with_status(&[AccountStatus::SigningOut])?
        {
            if !accounts.iter().any(|b| b.id == a.id) {
                accounts.push(a);
            }
        }
        if accounts.is_empty() {
            return Ok(SignOutSummary::default());
        }
        {
            let core = Arc::clone(self);
            blocking(move || core.vault().map(drop)).await?;
        }
        let profiles = Arc::new(self.providers());
        let secrets = {
            let core = Arc::clone(self);
            let mut providers: Vec<String> =
                accounts.iter().map(|a| a.provider_id.clone()).collect();
            providers.sort();
            providers.dedup();
            blocking(move || core.client_secrets(&providers)).await?
        };
        let secrets = Arc::new(secrets);
        let mut set = tokio::task::JoinSet::new();
        for account in accounts {
            let core = Arc::clone(self);
            let profiles = Arc::clone(&profiles);
            let secrets = Arc::clone(&secrets);
            set.spawn(async move {
                let id = account.id.clone();
                // An error on one account (keychain, database) does not stop the others; the
                // account keeps its state and is reported as skipped, with the reason.
                core.sign_out_one(account, profiles, secrets, options, action)
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

    /// The client secrets of `providers` that could be read (a provider whose read failed is
    /// left out: its accounts try again, and report the error, one by one).
    fn client_secrets(&self, providers: &[String]) -> Result<ClientSecrets> {
        let vault = self.vault()?;
        let mut secrets = ClientSecrets::new();
        for p in providers {
            match vault.client_secret(p) {
                Ok(s) => {
                    secrets.insert(p.clone(), s);
                }
                Err(e) => {
                    tracing::warn!(provider = %p, code = %e.code(), "cannot read the client secret: {e}")
                }
            }
        }
        Ok(secrets)
    }

    /// One account, start to finish, under its claim.
    async fn sign_out_one(
        self: &Arc<Self>,
        account: Account,
        profiles: Arc<ProfileSet>,
        secrets: Arc<ClientSecrets>,
        options: SignOutOptions,
        action: Action,
    ) -> Result<Result<Receipt, Skipped>> {
        let id = account.id.clone();
        let core = Arc::clone(self);
        let prepared = {
            let (id, profiles) = (id.clone(), Arc::clone(&profiles));
            blocking(move || core.prepare_sign_out(&id, &profiles, &secrets)).await?
        };
        let Prepared {
            claim,
            account,
            tokens,
            secret,
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
        let profile = profiles.get(&account.provider_id).ok();
        let report = match (&tokens, profile) {
            (None, _) => Report {
                outcome: Outcome::AlreadyRevoked,
                http_status: None,
                error: None,
                attempts: 0,
                verified: None,
                retry_after_secs: None,
                note: Some("the keychain no longer holds this account's token: an earlier sign-out ended it and was interrupted before it could finish".into()),
            },
            (Some(_), None) => failed_report(ProviderError::new(
                "profile_missing",
                Some(format!("no provider profile {:?} is configured (or it was rejected: see `signoff providers`)", account.provider_id)),
            )),
            (Some(tokens), Some(profile)) => {
                self.engine().revoke(profile, tokens, secret.as_ref(), options.verify).await
            }
        };
        let core = Arc::clone(self);
        blocking(move || {
            let receipt = core.finish_one(account, tokens.is_some(), report, options, action);
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
        profiles: &ProfileSet,
        secrets: &ClientSecrets,
    ) -> Result<std::result::Result<Prepared, &'static str>> {
        let Some(claim) = Claim::try_acquire(&self.paths.data_dir, id)? else {
            return Ok(Err("another Signoff process is signing this account out"));
        };
        let vault = self.vault()?;
        let tokens = vault.get(id)?;
        let Some(account) = self.store.begin_sign_out(id, SIGN_OUT_FROM)? else {
            return Ok(Err(
                "the account is not signed in (already signed out or forgotten)",
            ));
        };
        let mut secret = None;
        if tokens.is_some()
            && let Ok(profile) = profiles.get(&account.provider_id)
        {
            secret = match secrets.get(&profile.id) {
                Some(s) => s.clone(),
                None => match vault.client_secret(&profile.id) {
                    Ok(s) => s,
                    Err(e) => {
                        self.store.set_status(id, account.status)?;
                        return Err(e);
                    }
                },
            };
        }
        Ok(Ok(Prepared {
            claim,
            account,
            tokens,
            secret,
        }))
    }

    /// After the provider answered: the keychain entry deleted when the session ended, then the
    /// row's new state and the audit entry in one transaction.
    fn finish_one(
        &self,
        account: Account,
        had_tokens: bool,
        report: Report,
        options: SignOutOptions,
        action: Action,
    ) -> Result<Receipt> {
        let id = account.id.clone();
        let state = match report.outcome {
            o if o.is_done() => {
                if had_tokens {
                    // The row stays `signing_out` if this fails: the next run resumes it.
                    self.vault()?.delete(&id)?;
                }
                SignOutState::SignedOut
            }
            Outcome::Pending => SignOutState::Pending {
                next_attempt_at: next_attempt(report.retry_after_secs, self.store.retries(&id)?),
                error: report.error.clone(),
            },
            _ => SignOutState::NeedsAttention {
                error: report.error.clone(),
            },
        };
        let mut entry = AuditEntry::new(options.actor, action);
        entry.account = Some(id.to_string());
        entry.provider = Some(account.provider_id.clone());
        entry.label = Some(account.label.clone());
        entry.outcome = Some(report.outcome);
        entry.http_status = report.http_status;
        entry.error_code = report.error.as_ref().map(|e| e.code.clone());
        entry.error_description = report.error.as_ref().and_then(|e| e.description.clone());
        entry.attempts = Some(report.attempts);
        entry.verified = report.verified;
        entry.detail = report.note.clone();
        self.store.finish_sign_out(&id, &state, &entry)?;
        tracing::info!(account = %id, provider = %account.provider_id, outcome = %report.outcome, attempts = report.attempts, "sign-out finished");
        Ok(Receipt {
            account: id,
            provider: account.provider_id,
            label: account.label,
            report,
        })
    }

    /// Revokes tokens read from `tokens` (batches, as [`read_tokens`] hands them over) at
    /// `provider`, `concurrency` at a time, without accounts. Memory stays flat however many
    /// tokens arrive.
    pub async fn revoke_bulk(
        &self,
        provider: &str,
        hint: TokenKind,
        concurrency: usize,
        tokens: tokio::sync::mpsc::Receiver<Vec<SecretString>>,
        actor: Actor,
        on_result: impl FnMut(&BulkResult),
    ) -> Result<BulkSummary> {
        let profile = self.providers().get(provider)?.clone();
        let secret = self.vault()?.client_secret(provider)?;
        let summary = bulk::run(
            self.engine_config,
            profile,
            secret,
            hint,
            concurrency,
            tokens,
            on_result,
        )
        .await;
        let mut entry = AuditEntry::new(actor, Action::BulkRevoke);
        entry.provider = Some(provider.to_owned());
        entry.detail = Some(summary.describe());
        self.store.append_audit(&entry)?;
        Ok(summary)
    }
}

/// Client secrets read once for a sign-out run, by provider id.
type ClientSecrets = std::collections::HashMap<String, Option<SecretString>>;

/// An account ready for its provider call.
struct Prepared {
    claim: Claim,
    account: Account,
    tokens: Option<TokenBundle>,
    secret: Option<SecretString>,
}

/// Text a person gave, trimmed; blank counts as not given.
fn non_blank(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Runs blocking work (keychain, database) on tokio's blocking pool; a panic there is
/// re-raised here.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn failed_report(error: ProviderError) -> Report {
    Report {
        outcome: Outcome::Failed,
        http_status: None,
        error: Some(error),
        attempts: 0,
        verified: None,
        retry_after_secs: None,
        note: None,
    }
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
mod tests {
    use super::*;

    #[test]
    fn next_attempt_never_overflows_the_calendar() {
        // A Retry-After of u64::MAX seconds once panicked here (`OffsetDateTime + Duration`).
        let at = next_attempt(Some(u64::MAX), 0);
        let max = OffsetDateTime::now_utc() + crate::outcome::RETRY_AFTER_MAX;
        assert!(at <= max, "{at} is past {max}");
        let soon = next_attempt(Some(0), 0);
        assert!(
            soon > OffsetDateTime::now_utc(),
            "at least one second ahead"
        );
        assert!(
            next_attempt(None, u32::MAX)
                <= OffsetDateTime::now_utc() + Duration::from_secs(8 * 3600)
        );
    }
}
