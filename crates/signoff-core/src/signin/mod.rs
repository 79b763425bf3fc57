//! Signing in with OpenID Connect: authorization code with PKCE (RFC 7636) through the system
//! browser and a loopback redirect on 127.0.0.1 with a random port (RFC 8252). `state` and
//! `nonce` are checked; the tokens go straight to the keychain; subject and label come from the
//! ID token. Where no browser runs, the device authorization grant (RFC 8628, [`device`]) shows
//! a code to enter on another device. Providers without OpenID Connect sign in with a user name
//! and password ([`password`]). Refreshing tokens lives here too.

pub mod check;
mod token_answer;
pub(crate) use token_answer::TokenResponse;
pub use token_answer::{LIFETIME_MAX, expiry, jwt_exp, parse_token_answer};
pub mod device;
mod loopback;
pub mod password;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use url::Url;

use crate::discovery::{self, Metadata};
use crate::error::{Error, Result};
use crate::http::{Call, Timeouts};
use crate::outcome::{Verdict, provider_error};
use crate::profile::{Profile, Protocol};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// A sign-in waiting for the browser to come back.
#[derive(Debug)]
pub struct PendingSignIn {
    /// Open this in the browser (or let the person copy it).
    pub url: Url,
    pub(crate) provider: String,
    listener: TcpListener,
    redirect_uri: String,
    state: String,
    nonce: String,
    verifier: SecretString,
    meta: Metadata,
}

impl PendingSignIn {
    /// The provider profile this sign-in is for.
    pub fn provider(&self) -> &str {
        &self.provider
    }
}

/// Opens `url` in the desktop's browser (xdg-open, or `open` on macOS); false when there is no
/// display or that did not work, so the caller shows the address to copy instead.
pub fn open_in_browser(url: &str) -> bool {
    let has_display = cfg!(not(target_os = "linux"))
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    has_display
        && std::process::Command::new(opener)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

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

/// A provider that could not be reached, in the words of every sign-in.
fn unreachable(profile: &Profile, e: crate::http::CallError) -> Error {
    signin_error(format!(
        "could not reach {}: {}",
        profile.label,
        e.into_error()
    ))
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

/// The issuer to sign in at and the client id to sign in as, or why `profile` cannot sign in
/// with OpenID Connect (the browser and the device flow alike).
fn oidc_client(profile: &Profile) -> Result<(Url, String)> {
    let issuer = match profile.protocol {
        Protocol::Oidc | Protocol::KeycloakLogout => profile.issuer.clone(),
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

/// Starts a sign-in: discovers the endpoints, opens the loopback listener, builds the URL.
pub async fn begin(profile: &Profile) -> Result<PendingSignIn> {
    let (issuer, client_id) = oidc_client(profile)?;
    let client = crate::http::client(Timeouts::default());
    let meta = discovery::discover(&client, &issuer)
        .await
        .map_err(verdict_error)?;
    let authorize = meta
        .authorization_endpoint
        .clone()
        .ok_or_else(|| signin_error("the provider publishes no authorization endpoint"))?;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|source| Error::Io {
            action: "cannot listen on",
            path: "127.0.0.1".into(),
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| Error::Io {
            action: "cannot listen on",
            path: "127.0.0.1".into(),
            source,
        })?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let (state, nonce) = (random_text(24)?, random_text(24)?);
    let verifier = SecretString::new(random_text(48)?);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose_secret().as_bytes()));
    let scopes = sign_in_scopes(profile);
    let mut url = authorize;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if profile.offline_access {
            q.append_pair("prompt", "consent");
        }
    }
    Ok(PendingSignIn {
        url,
        provider: profile.id.clone(),
        listener,
        redirect_uri,
        state,
        nonce,
        verifier,
        meta,
    })
}

/// The claims of an ID token that Signoff reads.
#[derive(Deserialize)]
pub(crate) struct IdClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
    azp: Option<String>,
    nonce: Option<String>,
    exp: i64,
    email: Option<String>,
    preferred_username: Option<String>,
    name: Option<String>,
}

/// Waits (up to `timeout`) for the browser to come back, then exchanges the code for tokens.
pub async fn finish(
    pending: PendingSignIn,
    profile: &Profile,
    secret: Option<&SecretString>,
    timeout: Duration,
) -> Result<SignedIn> {
    let params = tokio::time::timeout(timeout, loopback::wait_for_redirect(&pending.listener))
        .await
        .map_err(|_| Error::SignInTimedOut {
            secs: timeout.as_secs(),
        })??;
    if let Some(err) = params
        .iter()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.clone())
    {
        let desc = params
            .iter()
            .find(|(k, _)| k == "error_description")
            .map(|(_, v)| v.clone());
        return Err(signin_error(format!(
            "the provider refused: {err}{}",
            desc.map(|d| format!(": {d}")).unwrap_or_default()
        )));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("state").as_deref() != Some(pending.state.as_str()) {
        return Err(signin_error(
            "the answer's state does not match this sign-in (ignored)",
        ));
    }
    let code =
        SecretString::new(get("code").ok_or_else(|| signin_error("the answer has no code"))?);
    let token_endpoint = pending
        .meta
        .token_endpoint
        .clone()
        .ok_or_else(|| signin_error("the provider publishes no token endpoint"))?;
    let client_id = profile.client_id.clone().unwrap_or_default();
    let call = Call::post(&token_endpoint)
        .field("grant_type", "authorization_code")
        .secret_field("code", &code)
        .field("redirect_uri", pending.redirect_uri.clone())
        .secret_field("code_verifier", &pending.verifier)
        .authenticate(profile, secret);
    let client = crate::http::client(Timeouts::default());
    let answer = call
        .send(&client)
        .await
        .map_err(|e| signin_error(format!("token request failed: {}", e.into_error())))?;
    let (status, body) = (answer.status, answer.body.as_slice());
    if status != 200 {
        return Err(signin_error(format!(
            "the token endpoint refused: {}",
            provider_error(
                status,
                body,
                &[code.expose_secret(), pending.verifier.expose_secret()]
                    .into_iter()
                    .chain(secret.map(SecretString::expose_secret))
                    .collect::<Vec<_>>()
            )
        )));
    }
    let tokens: TokenResponse =
        serde_json::from_slice(body).map_err(|_| signin_error("the token response is not JSON"))?;
    let claims = check_id_token(
        &tokens,
        &pending.meta.issuer,
        &client_id,
        Some(&pending.nonce),
    )?;
    Ok(signed_in(tokens, claims))
}

/// Checks the ID token of a token answer for this sign-in: issued by `issuer` to `client_id`
/// (`aud`, and `azp` when there are several audiences or it is given), not expired, and, when
/// the sign-in sent one, carrying its `nonce`. Both the browser and the device flow call this.
pub(crate) fn check_id_token(
    tokens: &TokenResponse,
    issuer: &Url,
    client_id: &str,
    nonce: Option<&str>,
) -> Result<IdClaims> {
    let id_token = tokens
        .id_token
        .as_ref()
        .map(SecretString::expose_secret)
        .ok_or_else(|| signin_error("the provider returned no ID token"))?;
    let claims = id_claims(id_token)?;
    let issuer_ok = claims.iss.trim_end_matches('/') == issuer.as_str().trim_end_matches('/');
    let (aud_ok, several) = match &claims.aud {
        serde_json::Value::String(a) => (a == client_id, false),
        serde_json::Value::Array(v) => {
            (v.iter().any(|a| a.as_str() == Some(client_id)), v.len() > 1)
        }
        _ => (false, false),
    };
    // OpenID Connect Core §3.1.3.7 (4, 5): with several audiences `azp` must be there, and
    // when it is there it must be this client.
    let azp_ok = match claims.azp.as_deref() {
        Some(azp) => azp == client_id,
        None => !several,
    };
    if !issuer_ok || !aud_ok || !azp_ok {
        return Err(signin_error("the ID token is for another issuer or client"));
    }
    if let Some(nonce) = nonce
        && claims.nonce.as_deref() != Some(nonce)
    {
        return Err(signin_error(
            "the ID token's nonce does not match this sign-in",
        ));
    }
    if claims.exp < time::OffsetDateTime::now_utc().unix_timestamp() {
        return Err(signin_error("the ID token has already expired"));
    }
    Ok(claims)
}

/// A finished sign-in: the tokens, and who signed in (from the checked ID token's claims).
fn signed_in(tokens: TokenResponse, claims: IdClaims) -> SignedIn {
    let label = claims
        .email
        .clone()
        .or(claims.preferred_username.clone())
        .or(claims.name.clone());
    let (tokens, access_expires_at) = tokens.into_tokens();
    SignedIn {
        tokens,
        access_expires_at,
        subject: claims.sub,
        label,
    }
}

/// The claims of an ID token received straight from the token endpoint over TLS (OpenID
/// Connect Core §3.1.3.7 lets a client rely on TLS there instead of the signature).
fn id_claims(jwt: &str) -> Result<IdClaims> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| signin_error("the ID token is not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| signin_error("the ID token is not a JWT"))?;
    serde_json::from_slice(&bytes).map_err(|_| signin_error("the ID token's claims are unreadable"))
}

/// What a refresh attempt gave.
#[derive(Debug)]
pub enum Refresh {
    /// New tokens (the refresh token is the new one when the provider rotated it).
    Refreshed {
        tokens: TokenBundle,
        access_expires_at: Option<time::OffsetDateTime>,
    },
    /// The provider refused the refresh token for good (e.g. `invalid_grant`).
    Refused(crate::outcome::Reason),
    /// Could not ask now (network, 5xx); try again later.
    Unavailable(crate::outcome::Reason),
}

/// Uses the refresh token at the provider's token endpoint (the profile's, or found by
/// discovery at its issuer).
pub async fn refresh(
    profile: &Profile,
    current: &TokenBundle,
    secret: Option<&SecretString>,
) -> Refresh {
    use crate::outcome::{Reason, ReasonKind};
    let unavailable =
        |why: String| Refresh::Unavailable(Reason::new(ReasonKind::RefreshUnavailable, why));
    let Some(rt) = current.refresh_token.as_ref() else {
        return unavailable("no refresh token".into());
    };
    let client = crate::http::client(Timeouts::default());
    let token_endpoint = match (&profile.token_endpoint, &profile.issuer) {
        (Some(endpoint), _) => endpoint.clone(),
        (None, Some(issuer)) => match discovery::discover(&client, issuer).await {
            Ok(Metadata {
                token_endpoint: Some(endpoint),
                ..
            }) => endpoint,
            Ok(_) => return unavailable("the provider publishes no token endpoint".into()),
            Err(Verdict::Permanent(e)) | Err(Verdict::Retry { error: e, .. }) => {
                return Refresh::Unavailable(e);
            }
            Err(Verdict::Ended(_)) => return unavailable("unexpected discovery answer".into()),
        },
        (None, None) => return unavailable("no token endpoint and no issuer".into()),
    };
    let call = Call::post(&token_endpoint)
        .field("grant_type", "refresh_token")
        .secret_field("refresh_token", rt)
        .authenticate(profile, secret);
    let answer = match call.send(&client).await {
        Ok(a) => a,
        Err(e) => return Refresh::Unavailable(e.into_error()),
    };
    let (status, body) = (answer.status, answer.body.as_slice());
    let secrets: Vec<&str> = [Some(rt), current.access_token.as_ref(), secret]
        .into_iter()
        .flatten()
        .map(SecretString::expose_secret)
        .collect();
    match status {
        200 => match serde_json::from_slice::<TokenResponse>(body) {
            Ok(t) => {
                // A provider that does not rotate them keeps the refresh and ID tokens we hold.
                let (mut tokens, access_expires_at) = t.into_tokens();
                tokens.refresh_token = tokens
                    .refresh_token
                    .or_else(|| current.refresh_token.clone());
                tokens.id_token = tokens.id_token.or_else(|| current.id_token.clone());
                Refresh::Refreshed {
                    tokens,
                    access_expires_at,
                }
            }
            Err(_) => unavailable("the token response is not JSON".into()),
        },
        400 | 401 => Refresh::Refused(provider_error(status, body, &secrets)),
        _ => Refresh::Unavailable(provider_error(status, body, &secrets)),
    }
}

#[cfg(test)]
mod tests;
