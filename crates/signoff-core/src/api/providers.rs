//! Providers: the profiles in effect (built-in, system, user), a provider's client secret, and
//! the provider view both shells show (the window's add dialog and confirmation, the CLI's
//! `providers`).

use serde::Serialize;

use super::Signoff;
use crate::account::validate_provider_id;
use crate::audit::{Action, Actor, AuditEntry};
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileProblem, ProfileSet, SignInMethod, WhatEnds};
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
    /// Why the profile cannot be used yet (a missing client id, say), if so: what signing out
    /// needs. Signing in may need more ([`ProviderView::sign_in_needs`]).
    pub incomplete: Option<String>,
    /// True when signing out is ready (`incomplete` is `None`).
    pub sign_out_ready: bool,
    /// What signing in with the browser or on another device still needs (a registered
    /// client id), when the provider offers it; `None` when it is ready or not offered.
    pub sign_in_needs: Option<String>,
    /// What the sign-out ends at the provider, when the profile says.
    pub ends: Option<WhatEnds>,
    /// The provider's page where a person finishes what Signoff cannot.
    pub manage_url: Option<String>,
    /// What else a person should know about signing out.
    pub caveat: Option<String>,
    /// True when signing out authenticates the client with a secret, so the window offers to
    /// save one.
    pub needs_client_secret: bool,
    /// The provider's icon, a file in `ui/icons/providers/`, when Signoff ships one.
    pub icon: Option<String>,
}

/// The built-in providers whose icon `scripts/icons.sh` copies into `ui/icons/providers/` as
/// `<id>.svg` (from simple-icons; the others get a letter badge).
pub const PROVIDER_ICONS: [&str; 14] = [
    "auth0", "box", "discord", "dropbox", "github", "gitlab", "google", "npm", "okta", "reddit",
    "spotify", "twitch", "vault", "zoom",
];

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
            sign_out_ready: p.incomplete.is_none(),
            sign_in_needs: p.sign_in_needs(),
            ends: p.ends,
            manage_url: p.manage_url.as_ref().map(|u| u.to_string()),
            caveat: p.caveat.clone(),
            needs_client_secret: p.needs_client_secret,
            icon: PROVIDER_ICONS
                .contains(&p.id.as_str())
                .then(|| format!("{}.svg", p.id)),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn views() -> Vec<ProviderView> {
        let set = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), "");
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        set.profiles.iter().map(ProviderView::from).collect()
    }

    fn view<'a>(views: &'a [ProviderView], id: &str) -> &'a ProviderView {
        views.iter().find(|v| v.id == id).unwrap()
    }

    #[test]
    fn a_client_secret_is_asked_for_where_signing_out_authenticates_the_client() {
        let views = views();
        for (id, needs) in [
            // Steps with Basic; GitHub's still waits for its client id, Okta's for its org.
            ("github", true),
            ("okta", true),
            ("reddit", true),
            // GlobalSignOut needs none, the revoke after it Basic.
            ("cognito", true),
            ("box", true),
            // Presets: the profile's client_auth (post, basic), none, or a bearer logout.
            ("hyperid", true),
            ("keycloak", true),
            ("meshydb", false),
            ("matar", false),
            // The token alone; Twitch names its client in the form without a secret.
            ("google", false),
            ("slack", false),
            ("dropbox", false),
            ("twitch", false),
            ("npm", false),
            // Nothing is called.
            ("microsoft", false),
            ("spotify", false),
        ] {
            assert_eq!(view(&views, id).needs_client_secret, needs, "{id}");
        }
    }

    #[test]
    fn a_user_step_without_client_auth_inherits_the_profile_s() {
        let text = "[[provider]]\nid = \"corp\"\nbase_url = \"https://corp.example\"\nclient_id = \"c\"\n\
                    [[provider.step]]\npath = \"/revoke\"\ntoken = \"access_token\"\nsend = \"form:token\"\n\
                    [[provider]]\nid = \"public\"\nbase_url = \"https://corp.example\"\nclient_auth = \"none\"\n\
                    [[provider.step]]\npath = \"/revoke\"\ntoken = \"access_token\"\nsend = \"form:token\"\n";
        let set = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), text);
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        assert!(
            set.get("corp").unwrap().needs_client_secret,
            "basic is the default"
        );
        assert!(!set.get("public").unwrap().needs_client_secret);
    }

    #[test]
    fn the_view_says_what_each_capability_needs_and_what_signing_out_ends() {
        let views = views();
        let google = view(&views, "google");
        assert!(google.sign_out_ready);
        assert_eq!(google.sign_in, SignInMethod::Paste);
        assert!(
            google
                .sign_in_needs
                .as_deref()
                .unwrap()
                .contains("client_id")
        );
        assert_eq!(google.ends, Some(WhatEnds::Grant));
        assert_eq!(
            google.manage_url.as_deref(),
            Some("https://myaccount.google.com/connections")
        );
        assert_eq!(google.icon.as_deref(), Some("google.svg"));
        let okta = view(&views, "okta");
        assert!(!okta.sign_out_ready);
        assert!(okta.incomplete.as_deref().unwrap().contains("params.org"));
        let vault = view(&views, "vault");
        assert!(vault.caveat.as_deref().unwrap().contains("child tokens"));
        let meshy = view(&views, "meshydb");
        assert_eq!(meshy.icon, None);
        assert_eq!(meshy.sign_in_needs, None);
    }

    /// Every icon named is a built-in's and is in ui/icons/providers/, and every icon there is
    /// named (`scripts/icons.sh` writes them).
    #[test]
    fn the_icons_named_are_the_icons_shipped() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/icons/providers");
        let mut shipped: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".svg").map(str::to_owned)
            })
            .collect();
        shipped.sort();
        let mut named: Vec<String> = PROVIDER_ICONS.iter().map(|s| s.to_string()).collect();
        named.sort();
        assert_eq!(shipped, named);
        let views = views();
        for id in PROVIDER_ICONS {
            assert_eq!(view(&views, id).icon, Some(format!("{id}.svg")));
        }
    }
}
