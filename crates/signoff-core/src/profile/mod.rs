//! Provider profiles: which protocol a provider speaks and where, as data (TOML), not code.
//!
//! Profiles come from three layers, later ones merged over earlier ones by id: built-in
//! (`builtin.toml`, compiled in) → system-wide (`/etc/signoff/providers.toml`, managed by IT) →
//! the user's `providers.toml` in the config dir (or `$SIGNOFF_HOME`). A profile marked
//! `locked = true` in the system layer cannot be overridden by the user. An invalid profile is
//! rejected with its file, line and reason ([`ProfileProblem`]); the others still load.

mod admin;
pub mod presets;
mod raw;
pub mod steps;
mod vocab;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use url::Url;

use crate::error::{Error, Result};
pub use admin::{
    AdminCredential, AdminProfile, EachItem, FindWhen, Finder, ITEM_SEGMENT, ServiceApp,
    SessionFields, SessionList, Several, check_user, fill_placeholder, fill_user, has,
};
pub use raw::{ClientAuth, Protocol, SignoutMode, TokenKind, WhatEnds};
pub use steps::{AnswerRule, Placement, Step, USER_SEGMENT};
pub use vocab::{BodyEncoding, Method, Then};

/// The built-in profiles.
const BUILTIN: &str = include_str!("builtin.toml");

/// Where the system-wide profiles live on this platform.
pub fn system_profiles_path() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\Signoff\providers.toml")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Signoff/providers.toml")
    } else {
        PathBuf::from("/etc/signoff/providers.toml")
    }
}

/// Which layer a profile's last definition came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Builtin,
    System { path: PathBuf },
    User { path: PathBuf },
}

/// A usable provider profile: every URL resolved and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub id: String,
    pub label: String,
    pub protocol: Protocol,
    pub revocation_endpoint: Option<Url>,
    pub logout_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub issuer: Option<Url>,
    /// Where a user name and password (or an anonymous user) get tokens, and where refresh
    /// tokens are used when there is no issuer to discover it from (OAuth 2 password grant).
    pub token_endpoint: Option<Url>,
    /// Where an anonymous user is registered before logging in (MeshyDB).
    pub anonymous_registration_endpoint: Option<Url>,
    /// A URL that answers 2xx to `GET` with a live bearer access token: pasted tokens are
    /// checked there before they are stored.
    pub check_endpoint: Option<Url>,
    pub client_id: Option<String>,
    pub token_type_hint: Option<TokenKind>,
    pub client_auth: ClientAuth,
    /// For providers with both: log out (end the session) or revoke the token.
    pub signout: SignoutMode,
    /// Scopes asked for when signing in (OpenID Connect); `openid` is always included.
    pub scopes: Vec<String>,
    /// Ask for `offline_access` (a refresh token) when signing in.
    pub offline_access: bool,
    pub locked: bool,
    pub source: Source,
    /// Why the profile cannot be used yet (a setting is missing), if so.
    pub incomplete: Option<String>,
    /// What `path`s of steps are relative to (a built-in's public host, or where an override
    /// points it: an enterprise host, a test server).
    pub base_url: Option<Url>,
    /// The sign-out as steps (`protocol = steps`); empty for the four preset protocols.
    pub steps: Vec<Step>,
    /// The call that settles an answer a step marks as ambiguous.
    pub probe: Option<Step>,
    /// What the sign-out ends at the provider, when the profile says.
    pub ends: Option<WhatEnds>,
    /// The provider's page where a person finishes what Signoff cannot (removes the app's
    /// access, ends other sessions).
    pub manage_url: Option<Url>,
    /// What a person should know that `ends` does not say (AWS: role credentials already
    /// issued live until they expire).
    pub caveat: Option<String>,
    /// How an IT admin signs a person out here with admin rights (`[provider.admin]`).
    pub admin: Option<AdminProfile>,
    /// True when signing out (or the probe) authenticates the client with a secret (`basic` or
    /// `post`), so the person is offered to save one (`signoff provider secret`): a step's own
    /// `client_auth`, or for a preset protocol the profile's, unless it is a bearer logout (the
    /// token alone). Read from the steps as written, so a profile still waiting for a param or
    /// its client id says so too (GitHub before its client id is set).
    pub needs_client_secret: bool,
}

impl Profile {
    /// True when signing out can reach the server: some endpoint (or an issuer) is known.
    pub fn can_revoke_on_server(&self) -> bool {
        self.incomplete.is_none()
            && match self.protocol {
                Protocol::Steps => !self.steps.is_empty(),
                _ => {
                    self.revocation_endpoint.is_some()
                        || self.logout_endpoint.is_some()
                        || self.issuer.is_some()
                }
            }
    }
}

/// How an account of a provider is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// OpenID Connect through the system browser (an issuer is known).
    Browser,
    /// A user name and password at the token endpoint (MeshyDB).
    Password,
    /// Only by pasting tokens (checked at the check endpoint when there is one).
    Paste,
}

impl Profile {
    /// What signing in (through the browser or on another device) still needs, when the
    /// profile has an issuer but not everything for it (a registered client id); `None` when
    /// it is ready or offers no such sign-in. Signing out may be ready all the same: Google,
    /// Slack and Dropbox revoke with the token alone.
    pub fn sign_in_needs(&self) -> Option<String> {
        self.issuer.as_ref()?;
        if let Some(why) = &self.incomplete {
            return Some(why.clone());
        }
        self.client_id.is_none().then(|| {
            format!(
                "set client_id for provider {:?} in providers.toml (the id of an app registered with {}) to sign in",
                self.id, self.label
            )
        })
    }

    /// How accounts of this provider are added; `Paste` when the profile is incomplete.
    pub fn sign_in_method(&self) -> SignInMethod {
        let oidc = matches!(
            self.protocol,
            Protocol::Oidc | Protocol::KeycloakLogout | Protocol::Steps
        );
        match (&self.incomplete, &self.issuer, &self.token_endpoint) {
            (Some(_), _, _) => SignInMethod::Paste,
            (None, Some(_), _) if oidc && self.client_id.is_some() => SignInMethod::Browser,
            (None, _, Some(_)) => SignInMethod::Password,
            _ => SignInMethod::Paste,
        }
    }

    /// True when new anonymous users can be registered and signed in (MeshyDB).
    pub fn has_anonymous_users(&self) -> bool {
        self.sign_in_method() == SignInMethod::Password
            && self.anonymous_registration_endpoint.is_some()
    }
}

/// A profile that was rejected, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProfileProblem {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for ProfileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Every profile known, and the problems found while loading them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProfileSet {
    pub profiles: Vec<Profile>,
    pub problems: Vec<ProfileProblem>,
    /// The system and user files as read, so a variant can be merged again ([`Self::variant`]).
    #[serde(skip)]
    layers: Vec<LayerText>,
}

/// One layer's file and its text (or why it could not be read).
type LayerText = (raw::Layer, PathBuf, std::result::Result<String, String>);

/// Where a variant points a profile: another host (a registry, an enterprise server), another
/// OAuth client (the public app of the tool that holds the token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variant<'a> {
    /// Below the system and user files: a person's own `base_url` for the profile still wins.
    pub base_url: Option<&'a Url>,
    /// Above every file: a token belongs to the client that issued it, whatever the person's
    /// own client is.
    pub client_id: Option<&'a str>,
}

impl ProfileSet {
    /// Loads built-in, system and user profiles. Missing files are fine; unreadable ones are
    /// problems.
    pub fn load(user_file: &Path) -> Self {
        Self::load_layers(Some(&system_profiles_path()), user_file)
    }

    /// Loads the layers from explicit paths (tests use this).
    pub fn load_layers(system_file: Option<&Path>, user_file: &Path) -> Self {
        use crate::perms::{Owner, check};
        // A file someone else could have written is not read: for the system file that means
        // failing closed (user overrides of its profiles are refused), as when it is unreadable.
        let read = |path: &Path, owner: Owner| match std::fs::read_to_string(path) {
            Ok(t) => Some(check(path, owner).map(|()| t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(Err(e.to_string())),
        };
        let system = system_file
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(|p| Some((raw::Layer::System, p, read(p, Owner::Root)?)));
        let user = Some(user_file)
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(|p| Some((raw::Layer::User, p, read(p, Owner::CurrentUser)?)));
        Self::merge_layers(system.into_iter().chain(user))
    }

    /// Parses one file's text alone over the built-ins (for `signoff providers check` and tests).
    pub fn parse_user_text(path: &Path, text: &str) -> Self {
        Self::merge_layers([(raw::Layer::User, path, Ok(text.to_owned()))])
    }

    /// Parses a system-wide and a user file's texts over the built-ins, exactly as
    /// [`ProfileSet::load_layers`] does with the files' contents (for the fuzz targets).
    #[doc(hidden)]
    pub fn parse_layer_texts(system: Option<(&Path, &str)>, user: (&Path, &str)) -> Self {
        let system = system.map(|(p, t)| (raw::Layer::System, p, Ok(t.to_owned())));
        let user = (raw::Layer::User, user.0, Ok(user.1.to_owned()));
        Self::merge_layers(system.into_iter().chain([user]))
    }

    /// Merges the built-ins and then each layer's text (or the reason it could not be read).
    fn merge_layers<'a>(
        layers: impl IntoIterator<Item = (raw::Layer, &'a Path, std::result::Result<String, String>)>,
    ) -> Self {
        let layers: Vec<LayerText> = layers
            .into_iter()
            .map(|(l, p, t)| (l, p.to_path_buf(), t))
            .collect();
        let mut set = Self::merge_with(&layers, None, None);
        set.layers = layers;
        set
    }

    /// The built-in profiles alone, parsed once.
    pub fn builtin() -> &'static ProfileSet {
        static BUILTIN_SET: std::sync::OnceLock<ProfileSet> = std::sync::OnceLock::new();
        BUILTIN_SET.get_or_init(|| Self::merge_layers([]))
    }

    /// An OpenID Connect profile for a provider known only by its issuer and a client (a
    /// kubeconfig's OIDC user): revoked at the endpoint its metadata names (RFC 7009).
    pub fn for_issuer(
        id: &str,
        issuer: &Url,
        client_id: &str,
        confidential: bool,
    ) -> Result<Profile> {
        let text = format!(
            "[[provider]]\nid = {}\nlabel = {}\nprotocol = \"oidc\"\nissuer = {}\nclient_id = {}\nclient_auth = {}\n",
            toml_string(id),
            toml_string(issuer.host_str().unwrap_or("OpenID provider")),
            toml_string(issuer.as_str()),
            toml_string(client_id),
            toml_string(if confidential { "basic" } else { "none" }),
        );
        let set = Self::parse_user_text(Path::new("<found on this computer>"), &text);
        match set.get(id) {
            Ok(p) => Ok(p.clone()),
            Err(_) => Err(Error::invalid(
                "issuer",
                set.problems
                    .first()
                    .map(|p| p.reason.clone())
                    .unwrap_or_else(|| "not a usable OpenID provider".into()),
            )),
        }
    }

    /// The profile `id` as `variant` points it, merged again from the same files.
    pub fn variant(&self, id: &str, variant: &Variant<'_>) -> Result<Profile> {
        if *variant == Variant::default() {
            return self.get(id).cloned();
        }
        let toml_line = |key: &str, value: &str| {
            format!(
                "[[provider]]\nid = {}\n{key} = {}\n",
                toml_string(id),
                toml_string(value)
            )
        };
        let below = variant.base_url.map(|u| toml_line("base_url", u.as_str()));
        let above = variant.client_id.map(|c| toml_line("client_id", c));
        let set = Self::merge_with(&self.layers, below.as_deref(), above.as_deref());
        set.get(id).cloned()
    }

    /// Merges the built-ins, `below` (over the built-ins), each layer, then `above`.
    fn merge_with(layers: &[LayerText], below: Option<&str>, above: Option<&str>) -> Self {
        let mut merged: BTreeMap<String, raw::Merged> = BTreeMap::new();
        let mut problems = Vec::new();
        raw::merge_file(
            raw::Layer::Builtin,
            Path::new("<built-in>"),
            BUILTIN,
            &mut merged,
            &mut problems,
        );
        let variant = Path::new("<found on this computer>");
        if let Some(text) = below {
            raw::merge_file(
                raw::Layer::Builtin,
                variant,
                text,
                &mut merged,
                &mut problems,
            );
        }
        // The system file holds the admin's locks. If it cannot be read or has a problem, which
        // of its profiles are locked is unknown: then no user profile is taken at all (fail
        // closed), and the problems say why.
        let mut system_failed: Option<std::path::PathBuf> = None;
        for (layer, path, text) in layers {
            let before = problems.len();
            if let (raw::Layer::User, Some(system)) = (*layer, &system_failed) {
                problems.push(ProfileProblem {
                    file: path.to_path_buf(),
                    line: 0,
                    reason: format!(
                        "ignored: the system-wide profiles in {} could not be read or have a problem, so which profiles your administrator locked is unknown",
                        system.display()
                    ),
                });
                continue;
            }
            match text {
                Ok(text) => raw::merge_file(*layer, path, text, &mut merged, &mut problems),
                Err(reason) => problems.push(ProfileProblem {
                    file: path.to_path_buf(),
                    line: 0,
                    reason: reason.clone(),
                }),
            }
            if *layer == raw::Layer::System && problems.len() > before {
                system_failed = Some(path.to_path_buf());
            }
        }
        if let Some(text) = above {
            raw::merge_file(
                raw::Layer::Builtin,
                variant,
                text,
                &mut merged,
                &mut problems,
            );
        }
        let profiles = merged
            .into_values()
            .filter_map(|m| m.finish(&mut problems))
            .collect();
        Self {
            profiles,
            problems,
            layers: Vec::new(),
        }
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Result<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "provider profile",
                id: id.to_owned(),
            })
    }
}

/// A TOML basic string holding `s` (a JSON string's escapes are all TOML's too).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// True when `url` may carry a token: https anywhere, http only to a loopback address.
pub fn is_allowed_endpoint(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests;
