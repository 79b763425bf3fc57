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
use crate::signin::browser::Flow;
use crate::signin::{CancellationToken, Opener, SignedIn, password};

impl Signoff {
    /// Signs in to `provider` through the browser and adds the account, its tokens in the
    /// keychain. The shell's `opener` gets the short loopback `/start` address once the listener
    /// is ready (to open and/or show); `cancel` stops the sign-in (`sign_in_cancelled`), and so
    /// does `timeout` (`sign_in_timed_out`). Nothing is stored unless every check passed. `label`
    /// overrides the name taken from the ID token.
    pub async fn sign_in_with_browser(
        self: &Arc<Self>,
        provider: &str,
        label: Option<String>,
        opener: &dyn Opener,
        cancel: &CancellationToken,
        timeout: Duration,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(provider)?.clone();
        let secret = self.client_secret_blocking(&profile.id).await?;
        let flow = Flow {
            client: self.http(),
            profile: &profile,
            secret: secret.as_ref(),
        };
        let signed_in = flow.run(opener, cancel, timeout).await?;
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
        let signed_in =
            password::login(self.http(), &profile, username, password, secret.as_ref()).await?;
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
        password::register_anonymous(self.http(), &profile, &username).await?;
        let fixed = SecretString::new(password::ANONYMOUS_PASSWORD.to_owned());
        let signed_in =
            password::login(self.http(), &profile, &username, &fixed, secret.as_ref()).await?;
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
