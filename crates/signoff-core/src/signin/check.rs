//! Checking a pasted bearer token before it is stored: `GET` the profile's check endpoint with
//! `Authorization: Bearer`; 2xx means the provider accepts it, 401/403 that it does not.

use url::Url;

use crate::error::{Error, Result};
use crate::outcome::provider_error;
use crate::profile::Profile;
use crate::secret::SecretString;

/// Asks `endpoint` whether `access_token` is live. Refused → `token_rejected`; no answer (down,
/// 5xx, 429) → `check_unavailable`, so nothing is stored on a guess.
pub async fn check_live(
    client: &reqwest::Client,
    profile: &Profile,
    endpoint: &Url,
    access_token: &SecretString,
) -> Result<()> {
    let answer = crate::http::get(client, endpoint, Some(access_token))
        .await
        .map_err(|e| Error::CheckUnavailable {
            provider: profile.label.clone(),
            detail: e.into_error().to_string(),
        })?;
    let secrets = [access_token.expose_secret()];
    match answer.status {
        200..=299 => Ok(()),
        400 | 401 | 403 => Err(Error::TokenRejected {
            provider: profile.label.clone(),
            detail: provider_error(answer.status, &answer.body, &secrets).to_string(),
        }),
        status => Err(Error::CheckUnavailable {
            provider: profile.label.clone(),
            detail: provider_error(status, &answer.body, &secrets).to_string(),
        }),
    }
}
