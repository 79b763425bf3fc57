//! Signing in with a user name and password at the profile's token endpoint: the OAuth 2
//! password grant (RFC 6749 §4.3) that MeshyDB documents, asking for `offline_access` so a
//! refresh token comes back. MeshyDB's anonymous users are registered first (a JSON `POST` with
//! the user name) and then log in with the fixed password MeshyDB gives them.

use url::Url;

use super::{SignedIn, TokenResponse, signin_error, unreachable, with_offline_access};
use crate::error::Result;
use crate::http::Call;
use crate::outcome::provider_error;
use crate::profile::Profile;
use crate::secret::SecretString;

/// The password every anonymous MeshyDB user logs in with (it is public, not a secret).
pub const ANONYMOUS_PASSWORD: &str = "nopassword";

/// The profile's token endpoint, or why this provider cannot sign in with a password.
pub fn token_endpoint(profile: &Profile) -> Result<&Url> {
    if let Some(why) = &profile.incomplete {
        return Err(signin_error(why.clone()));
    }
    profile.token_endpoint.as_ref().ok_or_else(|| {
        signin_error(format!(
            "{} has no token_endpoint (or its params are not set) to sign in with a user name \
             and password",
            profile.label
        ))
    })
}

/// A user name for a new anonymous user: `signoff-` and 16 random hex digits.
pub fn new_anonymous_name() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("signoff-{}", &id[..16])
}

/// Registers an anonymous user called `username` at the profile's registration endpoint.
pub async fn register_anonymous(
    client: &reqwest::Client,
    profile: &Profile,
    username: &str,
) -> Result<()> {
    token_endpoint(profile)?;
    let endpoint = profile
        .anonymous_registration_endpoint
        .as_ref()
        .ok_or_else(|| {
            signin_error(format!(
                "{} has no anonymous_registration_endpoint: it has no anonymous users",
                profile.label
            ))
        })?;
    let body = serde_json::json!({ "username": username });
    let answer = crate::http::post_json(client, endpoint, &body)
        .await
        .map_err(|e| unreachable(profile, e))?;
    match answer.status {
        200..=299 => Ok(()),
        status => Err(signin_error(format!(
            "{} refused to register the anonymous user {username:?}: {}",
            profile.label,
            provider_error(status, &answer.body, &[])
        ))),
    }
}

/// Logs `username` in with `password` (password grant) and returns the tokens, ready to store.
pub async fn login(
    client: &reqwest::Client,
    profile: &Profile,
    username: &str,
    password: &SecretString,
    client_secret: Option<&SecretString>,
) -> Result<SignedIn> {
    let endpoint = token_endpoint(profile)?;
    let username = username.trim();
    if username.is_empty() {
        return Err(crate::error::Error::invalid("username", "is empty"));
    }
    let scopes = with_offline_access(profile, profile.scopes.clone());
    let mut call = Call::post(endpoint)
        .field("grant_type", "password")
        .field("username", username)
        .secret_field("password", password);
    if !scopes.is_empty() {
        call = call.field("scope", scopes.join(" "));
    }
    let call = call.authenticate(profile, client_secret);
    let answer = call
        .send(client)
        .await
        .map_err(|e| unreachable(profile, e))?;
    let secrets: Vec<&str> = [password.expose_secret()]
        .into_iter()
        .chain(client_secret.map(SecretString::expose_secret))
        .collect();
    let (status, body) = (answer.status, answer.body.as_slice());
    match status {
        200 => {}
        400 | 401 => {
            return Err(signin_error(format!(
                "{} refused the user name or password ({})",
                profile.label,
                provider_error(status, body, &secrets)
            )));
        }
        _ => {
            return Err(signin_error(format!(
                "{} could not sign in now ({}); try again later",
                profile.label,
                provider_error(status, body, &secrets)
            )));
        }
    }
    let tokens: TokenResponse =
        serde_json::from_slice(body).map_err(|_| signin_error("the token response is not JSON"))?;
    let (bundle, access_expires_at) = tokens.into_tokens();
    if bundle.is_empty() {
        return Err(signin_error("the token response holds no token"));
    }
    Ok(SignedIn {
        tokens: bundle,
        access_expires_at,
        subject: username.to_owned(),
        label: Some(username.to_owned()),
    })
}
