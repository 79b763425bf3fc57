//! Providers: the profiles in effect (built-in, system, user), a provider's client secret, and
//! the provider view both shells show (the window's add dialog and confirmation, the CLI's
//! `providers`).

use serde::Serialize;

use super::Signoff;
use crate::account::validate_provider_id;
use crate::audit::{Action, Actor, AuditEntry};
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileProblem, ProfileSet, SignInMethod};
use crate::secret::SecretString;

/// Provider profiles and the problems found loading them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Providers {
    pub profiles: Vec<ProviderView>,
    pub problems: Vec<ProfileProblem>,
}

/// One provider as people see it. No secrets.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProviderView {
    pub id: String,
    pub label: String,
    /// False when signing out can only delete the local copy.
    pub revokes_on_server: bool,
    /// True when "Sign in with the browser" works for this provider (OpenID Connect).
    pub can_sign_in: bool,
    /// True when "Sign in on another device" (RFC 8628) may be offered: the provider signs in
    /// with OpenID Connect. Whether it publishes a device authorization endpoint is found out
    /// by discovery when the person starts it (listing providers stays offline and instant),
    /// and a provider without one says so then.
    pub device_sign_in: bool,
    /// How accounts are added: `browser`, `password` or `paste`.
    pub sign_in: SignInMethod,
    /// True when a new anonymous user can be signed in (MeshyDB).
    pub anonymous: bool,
    /// Why the profile cannot be used yet (a missing client id, say), if so.
    pub incomplete: Option<String>,
}

impl From<&Profile> for ProviderView {
    fn from(p: &Profile) -> Self {
        Self {
            id: p.id.clone(),
            label: p.label.clone(),
            revokes_on_server: p.can_revoke_on_server(),
            can_sign_in: p.sign_in_method() == SignInMethod::Browser,
            device_sign_in: p.sign_in_method() == SignInMethod::Browser,
            sign_in: p.sign_in_method(),
            anonymous: p.has_anonymous_users(),
            incomplete: p.incomplete.clone(),
        }
    }
}

impl Signoff {
    /// Every provider profile (built-in, system, user) and the problems found loading them.
    pub fn providers(&self) -> ProfileSet {
        ProfileSet::load_layers(
            self.system_profiles.as_deref(),
            &self.paths.config_dir.join("providers.toml"),
        )
    }

    /// The providers as both shells show them.
    pub fn provider_views(&self) -> Providers {
        let set = self.providers();
        Providers {
            profiles: set.profiles.iter().map(ProviderView::from).collect(),
            problems: set.problems,
        }
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
        self.store
            .append_audit(&AuditEntry::new(actor, Action::SetClientSecret).provider(provider_id))?;
        Ok(())
    }
}
