//! Refreshing tokens at the provider's token endpoint (RFC 6749 §6): the profile's, or the one
//! discovery finds at its issuer.

use super::TokenResponse;
use crate::discovery::{self, Metadata};
use crate::http::Call;
use crate::outcome::{Verdict, provider_error};
use crate::profile::Profile;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

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
    client: &reqwest::Client,
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
    let token_endpoint = match (&profile.token_endpoint, &profile.issuer) {
        (Some(endpoint), _) => endpoint.clone(),
        (None, Some(issuer)) => match discovery::discover(client, issuer).await {
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
    let answer = match call.send(client).await {
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
