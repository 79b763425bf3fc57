//! Signing in with OpenID Connect: authorization code with PKCE (RFC 7636) through the system
//! browser and a loopback redirect on 127.0.0.1 with a random port (RFC 8252), in [`browser`]:
//! the browser gets a short `/start` address ([`opener`]), the listener ([`loopback`]) trusts
//! no one, the answer's `state` and `iss` are checked before the code exchange and the ID token's
//! signature and claims after it ([`id_token`]). The tokens go straight to the keychain. Providers
//! without OpenID Connect sign in with a user name and password ([`password`]). Refreshing tokens
//! lives here too ([`refresh`]). Where no browser runs, the device authorization grant
//! (RFC 8628, [`device`]) shows a code to enter on another device.

pub(crate) mod browser;
pub mod check;
pub mod device;
pub mod id_token;
pub mod jws;
mod loopback;
mod opener;
pub mod password;
mod refresh;
mod token_answer;

pub use browser::{PROVIDER_TEXT_MAX, callback_path, clean};
pub use opener::{Opener, browser_commands, open_in_browser};
pub use refresh::{Refresh, refresh};
pub(crate) use token_answer::TokenResponse;
pub use token_answer::{LIFETIME_MAX, expiry, jwt_exp, parse_token_answer};
/// The handle a shell cancels a sign-in with.
pub use tokio_util::sync::CancellationToken;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use url::Url;

use crate::error::{Error, Result};
use crate::outcome::Verdict;
use crate::profile::{Profile, Protocol};
use crate::tokens::TokenBundle;

/// What a finished sign-in yields.
#[derive(Debug)]
pub struct SignedIn {
    pub tokens: TokenBundle,
    /// When the access token expires, if the provider said.
    pub access_expires_at: Option<time::OffsetDateTime>,
    pub subject: String,
    /// A name for the account from the ID token (email, user name or name).
    pub label: Option<String>,
}

fn random_text(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::invalid("randomness", e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

fn signin_error(why: impl Into<String>) -> Error {
    Error::SignIn { reason: why.into() }
}

/// The provider could not be reached (or refused the call before answering).
fn unreachable(profile: &Profile, e: crate::http::CallError) -> Error {
    signin_error(format!(
        "could not reach {}: {}",
        profile.label,
        e.into_error()
    ))
}

/// The issuer to sign in at and the client id to sign in as, or why `profile` cannot sign in
/// with OpenID Connect (the browser and the device flow alike).
fn oidc_client(profile: &Profile) -> Result<(Url, String)> {
    let issuer = match profile.protocol {
        Protocol::Oidc | Protocol::KeycloakLogout | Protocol::Steps => profile.issuer.clone(),
        _ => None,
    }
    .ok_or_else(|| {
        signin_error(format!(
            "{} has no issuer to sign in with; add its tokens instead",
            profile.label
        ))
    })?;
    let client_id = profile.client_id.clone().ok_or_else(|| {
        signin_error(format!(
            "set client_id for {} in providers.toml",
            profile.id
        ))
    })?;
    Ok((issuer, client_id))
}

/// The scopes a sign-in asks for: `openid`, the profile's, and `offline_access` when it wants
/// a refresh token.
fn sign_in_scopes(profile: &Profile) -> Vec<String> {
    let mut scopes = vec!["openid".to_owned()];
    scopes.extend(profile.scopes.iter().filter(|s| *s != "openid").cloned());
    with_offline_access(profile, scopes)
}

fn verdict_error(v: Verdict) -> Error {
    match v {
        Verdict::Permanent(e) | Verdict::Retry { error: e, .. } => signin_error(e.to_string()),
        Verdict::Ended(_) => signin_error("unexpected answer from discovery"),
    }
}

/// `scopes` plus `offline_access` (a refresh token) when the profile asks for it.
fn with_offline_access(profile: &Profile, mut scopes: Vec<String>) -> Vec<String> {
    if profile.offline_access && !scopes.iter().any(|s| s == "offline_access") {
        scopes.push("offline_access".into());
    }
    scopes
}

#[cfg(test)]
mod tests;
