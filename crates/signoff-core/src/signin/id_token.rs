//! Verifying an ID token (OpenID Connect Core §3.1.3.7), for every sign-in that receives one
//! (the browser flow, and the device flow with `nonce: None`): its signature against the keys at
//! the provider's `jwks_uri` ([`super::jws`]), then `iss` (exactly the discovered issuer), `aud`
//! (holds our client id), `azp` (our client id; required when there are several audiences),
//! `exp`, `iat` (not in the future beyond [`SKEW`]), `nbf` when given, and `nonce`.
//!
//! The claim checks are written here rather than left to a JWT library's generic validator: they
//! are a dozen lines, each a rule of the spec with its own message, and numeric claims given in
//! another JSON type are refused, never skipped (the flaw of CVE-2026-25537).

use serde_json::Value;

use super::jws::{self, Jwks, JwsError};
use crate::discovery::Metadata;
use crate::secret::SecretString;

/// The clock difference allowed between this machine and the provider.
pub const SKEW: i64 = 120;

/// Why an ID token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the provider publishes no jwks_uri to check ID tokens with")]
    NoJwksUri,
    #[error("its keys could not be read ({0})")]
    Keys(String),
    #[error("{0}")]
    Signature(#[from] JwsError),
    #[error("its claims are not a JSON object")]
    Unreadable,
    #[error("it has no {0} claim (or not of the right type)")]
    Missing(&'static str),
    #[error("it was issued by {got:?}, not {want:?}")]
    Issuer { got: String, want: String },
    #[error("it is not meant for this client")]
    Audience,
    #[error("it was issued to another party (azp)")]
    AuthorizedParty,
    #[error("it has expired")]
    Expired,
    #[error("it was issued in the future (check this computer's clock)")]
    IssuedInFuture,
    #[error("it is not valid yet (check this computer's clock)")]
    NotYetValid,
    #[error("its nonce does not match this sign-in")]
    Nonce,
}

/// What Signoff takes from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdClaims {
    pub sub: String,
    /// A name for the account: email, user name or name, whichever comes first.
    pub label: Option<String>,
}

/// What the token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent in the authorization request (`None` when none was, as in the device flow).
    pub nonce: Option<&'a str>,
}

/// Verifies `id_token` from `meta`'s provider for `client_id`: fetches the keys, checks the
/// signature and the claims.
pub(crate) async fn verify(
    client: &reqwest::Client,
    meta: &Metadata,
    client_id: &str,
    nonce: Option<&str>,
    id_token: &SecretString,
) -> Result<IdClaims, IdTokenError> {
    let jwks_uri = meta
        .sign_in
        .jwks_uri
        .as_ref()
        .ok_or(IdTokenError::NoJwksUri)?;
    let jwks = fetch_keys(client, jwks_uri).await?;
    let expected = Expected {
        issuer: &meta.sign_in.issuer,
        client_id,
        nonce,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    verify_with(
        id_token.expose_secret(),
        &jwks,
        &meta.sign_in.id_token_signing_alg_values_supported,
        &expected,
        now,
    )
}

async fn fetch_keys(client: &reqwest::Client, url: &url::Url) -> Result<Jwks, IdTokenError> {
    let answer = crate::http::get(client, url, None)
        .await
        .map_err(|e| IdTokenError::Keys(e.into_error().to_string()))?;
    if answer.status != 200 {
        return Err(IdTokenError::Keys(format!("HTTP {}", answer.status)));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|_| IdTokenError::Keys("the key set is not a JWK Set".into()))
}

/// The checks of [`verify`] on a token and keys at hand, at time `now` (Unix seconds).
pub fn verify_with(
    jwt: &str,
    jwks: &Jwks,
    offered_algs: &[String],
    expected: &Expected<'_>,
    now: i64,
) -> Result<IdClaims, IdTokenError> {
    let payload = jws::verify(jwt, jwks, offered_algs)?;
    let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&payload) else {
        return Err(IdTokenError::Unreadable);
    };
    let text = |name: &'static str| claims.get(name).and_then(Value::as_str);
    let number = |name: &'static str| -> Result<Option<i64>, IdTokenError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(IdTokenError::Missing(name)),
        }
    };
    let iss = text("iss").ok_or(IdTokenError::Missing("iss"))?;
    if iss != expected.issuer {
        return Err(IdTokenError::Issuer {
            got: iss.chars().take(200).collect(),
            want: expected.issuer.to_owned(),
        });
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => return Err(IdTokenError::Missing("aud")),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::Audience);
    }
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == expected.client_id => {}
        None if audiences.len() == 1 => {}
        None => return Err(IdTokenError::Missing("azp")),
        Some(_) => return Err(IdTokenError::AuthorizedParty),
    }
    let exp = number("exp")?.ok_or(IdTokenError::Missing("exp"))?;
    if exp <= now - SKEW {
        return Err(IdTokenError::Expired);
    }
    let iat = number("iat")?.ok_or(IdTokenError::Missing("iat"))?;
    if iat > now + SKEW {
        return Err(IdTokenError::IssuedInFuture);
    }
    if number("nbf")?.is_some_and(|nbf| nbf > now + SKEW) {
        return Err(IdTokenError::NotYetValid);
    }
    if let Some(want) = expected.nonce
        && text("nonce") != Some(want)
    {
        return Err(IdTokenError::Nonce);
    }
    let sub = text("sub")
        .filter(|s| !s.is_empty())
        .ok_or(IdTokenError::Missing("sub"))?;
    let label = ["email", "preferred_username", "name"]
        .into_iter()
        .find_map(|c| text(c).filter(|v| !v.trim().is_empty()))
        .map(str::to_owned);
    Ok(IdClaims {
        sub: sub.to_owned(),
        label,
    })
}

#[cfg(test)]
mod tests;
