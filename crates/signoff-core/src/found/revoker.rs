//! Which catalogue profile ends a found token: by the host it was found for (`github.com` →
//! `github`, a GitLab host → `gitlab` there), by the token's own prefix (`glpat-`, `npm_`), or
//! nothing (`local_only`: only the copies on this computer can go).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::Result;
use crate::profile::{Profile, ProfileSet, Variant};
use crate::secret::SecretString;

named!(
    /// OAuth apps whose tools publish their client id and secret in their own source, so any
    /// holder of one of their tokens may revoke it as the app.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum PublicClient {
        /// The GitHub CLI's OAuth app (`gho_` tokens from `gh auth login`).
        Gh,
    }
);

impl PublicClient {
    /// The app's client id.
    pub fn client_id(self) -> &'static str {
        match self {
            // cli/cli internal/authflow/flow.go: `oauthClientID`.
            Self::Gh => "178c6fc778ccc68e1d6a",
        }
    }

    /// The app's client secret, as its tool publishes it.
    pub fn client_secret(self) -> SecretString {
        match self {
            // cli/cli internal/authflow/flow.go: `oauthClientSecret`, "This value is safe to
            // be embedded in version control" (a public client's secret, not a credential).
            Self::Gh => SecretString::new("34ddeff2b558a23d38fba8a6de74f086ede1cc0b".into()),
        }
    }
}

/// How a found session is ended at its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revoker {
    /// A catalogue profile, pointed at the host the token was found for and at the public app
    /// that issued it, when they differ from the profile's own.
    Profile {
        profile: String,
        #[cfg_attr(feature = "ts", ts(type = "string | null"))]
        base_url: Option<Url>,
        client: Option<PublicClient>,
    },
    /// An OpenID provider named by its issuer (kubeconfig's `idp-issuer-url`), revoked at the
    /// endpoint its metadata names (RFC 7009) as the client the store names.
    Issuer {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        issuer: Url,
        client_id: String,
        /// The store also holds the client's secret (it authenticates the revocation).
        confidential: bool,
    },
    /// No revocation: only the copies on this computer can be removed.
    LocalOnly {
        /// Why, in a person's words.
        why: String,
        /// Where the person ends the session themselves.
        #[cfg_attr(feature = "ts", ts(type = "string | null"))]
        manage_url: Option<Url>,
    },
}

impl Revoker {
    /// A catalogue profile as it is.
    pub fn profile(id: &str) -> Self {
        Self::Profile {
            profile: id.to_owned(),
            base_url: None,
            client: None,
        }
    }

    /// Nothing to call, for `why`.
    pub fn local_only(why: impl Into<String>, manage_url: Option<&str>) -> Self {
        Self::LocalOnly {
            why: why.into(),
            manage_url: manage_url.and_then(|u| Url::parse(u).ok()),
        }
    }

    /// True when a call at the provider may end the session.
    pub fn can_revoke(&self) -> bool {
        !matches!(self, Self::LocalOnly { .. })
    }

    /// The account's provider id: the profile's, `oidc` for an issuer, `local` otherwise.
    pub fn provider_id(&self) -> &str {
        match self {
            Self::Profile { profile, .. } => profile,
            Self::Issuer { .. } => ISSUER_PROFILE,
            Self::LocalOnly { .. } => LOCAL_PROFILE,
        }
    }

    /// The profile that revokes, resolved against the loaded profiles (`None` for local-only).
    pub fn resolve(&self, profiles: &ProfileSet) -> Result<Option<Profile>> {
        match self {
            Self::Profile {
                profile,
                base_url,
                client,
            } => {
                let base_url = base_url.as_ref().filter(|u| {
                    // A person's (or their administrator's) own `base_url` for the profile wins.
                    profiles
                        .get(profile)
                        .map(|p| p.base_url == builtin_base_url(profile))
                        .unwrap_or(true)
                        && Some(*u) != builtin_base_url(profile).as_ref()
                });
                let variant = Variant {
                    base_url,
                    client_id: client.map(PublicClient::client_id),
                };
                profiles.variant(profile, &variant).map(Some)
            }
            Self::Issuer {
                issuer,
                client_id,
                confidential,
            } => ProfileSet::for_issuer(ISSUER_PROFILE, issuer, client_id, *confidential).map(Some),
            Self::LocalOnly { .. } => Ok(None),
        }
    }

    /// The client secret the revocation authenticates with, when the app's is public.
    pub fn public_secret(&self) -> Option<SecretString> {
        match self {
            Self::Profile {
                client: Some(c), ..
            } => Some(c.client_secret()),
            _ => None,
        }
    }
}

/// The provider id of sessions revoked through their issuer's metadata.
pub const ISSUER_PROFILE: &str = "oidc";
/// The provider id of sessions nothing can revoke.
pub const LOCAL_PROFILE: &str = "local";

/// The built-in profile's own `base_url`.
fn builtin_base_url(id: &str) -> Option<Url> {
    ProfileSet::builtin()
        .get(id)
        .ok()
        .and_then(|p| p.base_url.clone())
}

/// The revoker for a token found for a forge or registry `host` (as git, netrc or npm name
/// it), by the token's prefix first (it says who issued it), then by the host.
pub fn for_host_token(host: Option<&str>, token: &SecretString) -> Revoker {
    let t = token.expose_secret();
    let host = host.map(|h| h.to_ascii_lowercase());
    let host = host.as_deref();
    let on = |profile: &str, default: &[&str], base: fn(&str) -> String| {
        let base_url = match host {
            Some(h) if !default.contains(&h) => Url::parse(&base(h)).ok(),
            _ => None,
        };
        Revoker::Profile {
            profile: profile.into(),
            base_url,
            client: None,
        }
    };
    if t.starts_with("gho_") {
        // An OAuth app's token: gh's is the one whose secret is public; another app's token
        // answers 404 and the probe then says it is not this client's.
        if let Revoker::Profile {
            profile, base_url, ..
        } = on("github", GITHUB_HOSTS, github_api)
        {
            return Revoker::Profile {
                profile,
                base_url,
                client: Some(PublicClient::Gh),
            };
        }
    }
    if t.starts_with("ghp_") || t.starts_with("github_pat_") || t.starts_with("ghu_") {
        return on("github", GITHUB_HOSTS, github_api);
    }
    if t.starts_with("glpat-") {
        return on("gitlab", &["gitlab.com"], https);
    }
    if t.starts_with("npm_") {
        return on("npm", &["registry.npmjs.org"], https);
    }
    match host {
        Some(h) if GITHUB_HOSTS.contains(&h) => on("github", GITHUB_HOSTS, github_api),
        Some("gitlab.com") => Revoker::profile("gitlab"),
        Some("registry.npmjs.org") => Revoker::profile("npm"),
        Some(h) => Revoker::local_only(
            format!("no provider in Signoff's catalogue revokes passwords or tokens for {h}"),
            None,
        ),
        None => Revoker::local_only("the store does not say which server the token is for", None),
    }
}

/// GitHub's hosts (the site and its API).
const GITHUB_HOSTS: &[&str] = &["github.com", "api.github.com"];

/// A GitHub Enterprise Server's REST API root.
fn github_api(host: &str) -> String {
    format!("https://{host}/api/v3")
}

fn https(host: &str) -> String {
    format!("https://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> SecretString {
        SecretString::new(t.into())
    }

    #[test]
    fn the_prefix_picks_the_provider_and_the_host_its_server() {
        assert_eq!(
            for_host_token(Some("github.com"), &s("gho_abc")),
            Revoker::Profile {
                profile: "github".into(),
                base_url: None,
                client: Some(PublicClient::Gh)
            }
        );
        assert_eq!(
            for_host_token(Some("git.example.com"), &s("glpat-abc")),
            Revoker::Profile {
                profile: "gitlab".into(),
                base_url: Some(Url::parse("https://git.example.com").unwrap()),
                client: None
            }
        );
        assert_eq!(
            for_host_token(Some("ghe.corp"), &s("ghp_x")),
            Revoker::Profile {
                profile: "github".into(),
                base_url: Some(Url::parse("https://ghe.corp/api/v3").unwrap()),
                client: None
            }
        );
        assert!(!for_host_token(Some("ftp.example.com"), &s("hunter2")).can_revoke());
        assert!(!for_host_token(None, &s("hunter2")).can_revoke());
    }
}
