//! Signing in: through the browser (authorization code with PKCE), with a user name and
//! password, or as a new anonymous user; each ends with the account stored.

use std::sync::Arc;
use std::time::Duration;

use super::{Signoff, non_blank};
use crate::account::{Account, NewAccount};
use crate::audit::Actor;
use crate::error::Result;
use crate::profile::Profile;
use crate::secret::SecretString;
use crate::signin::{PendingSignIn, SignedIn, password};

impl Signoff {
    /// Starts signing in to `provider`: returns the URL to open in the browser.
    pub async fn begin_sign_in(&self, provider: &str) -> Result<PendingSignIn> {
        let profile = self.providers().get(provider)?.clone();
        crate::signin::begin(&profile).await
    }

    /// Waits for the browser to come back (up to `timeout`), then adds the account with its
    /// tokens in the keychain. `label` overrides the name taken from the ID token.
    pub async fn finish_sign_in(
        self: &Arc<Self>,
        pending: PendingSignIn,
        label: Option<String>,
        timeout: Duration,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(pending.provider())?.clone();
        let secret = self.client_secret_blocking(&profile.id).await?;
        let signed_in = crate::signin::finish(pending, &profile, secret.as_ref(), timeout).await?;
        self.store_signed_in(profile, signed_in, label, actor).await
    }

    /// Signs in to `provider` with a user name and password at its token endpoint (MeshyDB's
    /// documented login) and adds the account.
    pub async fn sign_in_with_password(
        self: &Arc<Self>,
        provider: &str,
        username: &str,
        password: &SecretString,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(provider)?.clone();
        password::token_endpoint(&profile)?;
        let secret = self.client_secret_blocking(&profile.id).await?;
        let signed_in = password::login(&profile, username, password, secret.as_ref()).await?;
        self.store_signed_in(profile, signed_in, label, actor).await
    }

    /// Registers a new anonymous user at `provider` (named `username`, or a fresh name), logs it
    /// in and adds the account.
    pub async fn sign_in_anonymously(
        self: &Arc<Self>,
        provider: &str,
        username: Option<String>,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(provider)?.clone();
        let secret = self.client_secret_blocking(&profile.id).await?;
        let username = non_blank(username).unwrap_or_else(password::new_anonymous_name);
        password::register_anonymous(&profile, &username).await?;
        let fixed = SecretString::new(password::ANONYMOUS_PASSWORD.to_owned());
        let signed_in = password::login(&profile, &username, &fixed, secret.as_ref()).await?;
        let label = non_blank(label).or_else(|| Some(format!("{username} (anonymous)")));
        self.store_signed_in(profile, signed_in, label, actor).await
    }

    /// Adds a signed-in account: its tokens to the keychain, the access token's expiry (from
    /// the token answer) to the store. `label` overrides the name the provider gave unless it
    /// is blank.
    pub(super) async fn store_signed_in(
        self: &Arc<Self>,
        profile: Profile,
        signed_in: SignedIn,
        label: Option<String>,
        actor: Actor,
    ) -> Result<Account> {
        let label = non_blank(label)
            .or(signed_in.label)
            .unwrap_or_else(|| format!("{} ({})", profile.label, signed_in.subject));
        let new = NewAccount {
            provider_id: profile.id,
            label,
            subject: Some(signed_in.subject),
        };
        let (tokens, expiry) = (signed_in.tokens, signed_in.access_expires_at);
        self.blocking(move |core| core.insert_account(new, tokens, expiry, actor))
            .await
    }
}
