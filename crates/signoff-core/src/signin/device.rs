//! Signing in where no browser runs here: the OAuth 2.0 device authorization grant (RFC 8628).
//! Signoff asks the provider's `device_authorization_endpoint` for a code, shows the person the
//! user code and the address to enter it at (on a phone or another computer), and polls the
//! token endpoint until they approve, refuse, the code expires, or they cancel here.
//!
//! The device code is a secret (whoever holds it gets the tokens once approved): it is kept in a
//! [`SecretString`] and never shown. The user code is for the person's eyes only: it is shown,
//! not logged. Every number the provider sends (`expires_in`, `interval`) is bounded before it
//! is used, and text it sends is cleaned before anyone sees it.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::token_answer::number_or_numeric_string;
use super::{SignedIn, TokenResponse, oidc_client, sign_in_scopes, signin_error, unreachable};
use crate::discovery::{self, Metadata};
use crate::error::{Error, Result};
use crate::http::{Call, CallError};
use crate::outcome::{Reason, clean, provider_error};
use crate::profile::{Profile, is_allowed_endpoint};
use crate::secret::SecretString;

/// The grant type of a device-code poll (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The polling interval when the provider names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The shortest interval Signoff polls at, whatever the provider says.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval Signoff waits between polls, whatever the provider says.
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// How long a code is waited for when the provider does not say (`expires_in` is required, but
/// a provider may still leave it out).
pub const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(600);
/// The longest Signoff waits for a code to be approved, whatever the provider says.
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(3600);
/// The longest user code shown; a longer one is cut (no provider sends one that long).
const USER_CODE_MAX: usize = 64;

/// What the person needs to approve the sign-in on another device. No secret: this is what the
/// page and the terminal show.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceCode {
    /// The provider profile signed in to.
    pub provider: String,
    /// The code to enter at `verification_uri`.
    pub user_code: String,
    /// Where to enter it.
    pub verification_uri: String,
    /// An address that already holds the code (to open or scan), when the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// Seconds until the code expires (at most [`MAX_EXPIRES_IN`]).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_in: u64,
}

/// The user code is for the person's eyes: `Debug` (and so any log line) leaves it out.
impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("provider", &self.provider)
            .field("user_code", &format_args!("[shown to the person]"))
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A device sign-in waiting for the person to approve it elsewhere.
#[derive(Debug)]
pub struct PendingDeviceSignIn {
    /// What to show.
    pub code: DeviceCode,
    device_code: SecretString,
    token_endpoint: Url,
    meta: Metadata,
    client_id: String,
    interval: Duration,
    expires_in: Duration,
    http: reqwest::Client,
}

/// The device authorization answer (RFC 8628 §3.2) as it comes.
#[derive(Deserialize)]
struct DeviceAnswer {
    device_code: SecretString,
    user_code: String,
    verification_uri: Option<String>,
    /// The name some providers (Google's older endpoint) use for `verification_uri`.
    verification_url: Option<String>,
    verification_uri_complete: Option<String>,
    #[serde(default, deserialize_with = "number_or_numeric_string")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "number_or_numeric_string")]
    interval: Option<i64>,
}

/// Seconds from the provider as a duration within `[min, max]`; `default` when not given (or
/// not positive).
fn bounded(secs: Option<i64>, default: Duration, min: Duration, max: Duration) -> Duration {
    match secs.and_then(|s| u64::try_from(s).ok()).filter(|s| *s > 0) {
        Some(s) => Duration::from_secs(s).clamp(min, max),
        None => default,
    }
}

/// The interval after a `slow_down`: five seconds more, never past [`MAX_INTERVAL`].
pub fn slower(interval: Duration) -> Duration {
    interval
        .checked_add(SLOW_DOWN_STEP)
        .unwrap_or(MAX_INTERVAL)
        .min(MAX_INTERVAL)
}

/// An address from the device answer the person may be sent to: https (or http on loopback).
fn shown_address(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim())
        .map_err(|_| signin_error(format!("the provider's {what} is not an address")))?;
    if !is_allowed_endpoint(&url) {
        return Err(signin_error(format!(
            "the provider's {what} is not https://; Signoff will not send you there"
        )));
    }
    Ok(url)
}

/// The code to show, the device code, the polling interval and how long the code lives, read
/// from a device authorization answer (for the fuzz targets and tests too).
#[doc(hidden)]
pub fn parse_device_answer(
    provider: &str,
    body: &[u8],
) -> Result<(DeviceCode, SecretString, Duration, Duration)> {
    let raw: DeviceAnswer = serde_json::from_slice(body)
        .map_err(|_| signin_error("the device authorization answer is not the JSON expected"))?;
    if raw.device_code.is_blank() {
        return Err(signin_error("the provider sent an empty device code"));
    }
    let user_code = clean(
        &raw.user_code,
        &[raw.device_code.expose_secret()],
        USER_CODE_MAX,
    );
    if user_code.is_empty() {
        return Err(signin_error("the provider sent no user code to show"));
    }
    let uri = raw
        .verification_uri
        .or(raw.verification_url)
        .ok_or_else(|| signin_error("the provider sent no address to enter the code at"))?;
    let verification_uri = shown_address(&uri, "verification_uri")?;
    // Only an address that could be shown is offered; a bad one is left out, not fatal.
    let complete = raw
        .verification_uri_complete
        .and_then(|u| shown_address(&u, "verification_uri_complete").ok());
    let expires_in = bounded(
        raw.expires_in,
        DEFAULT_EXPIRES_IN,
        MIN_INTERVAL,
        MAX_EXPIRES_IN,
    );
    let interval = bounded(raw.interval, DEFAULT_INTERVAL, MIN_INTERVAL, MAX_INTERVAL);
    let code = DeviceCode {
        provider: provider.to_owned(),
        user_code,
        verification_uri: verification_uri.to_string(),
        verification_uri_complete: complete.map(|u| u.to_string()),
        expires_in: expires_in.as_secs(),
    };
    Ok((code, raw.device_code, interval, expires_in))
}

/// Starts a device sign-in: discovers the endpoints and asks for a code (client authentication
/// as the profile says).
pub async fn begin(
    http: &reqwest::Client,
    profile: &Profile,
    secret: Option<&SecretString>,
) -> Result<PendingDeviceSignIn> {
    let (issuer, client_id) = oidc_client(profile)?;
    let http = http.clone();
    let meta = discovery::discover(&http, &issuer)
        .await
        .map_err(super::verdict_error)?;
    let endpoint = meta.device_authorization_endpoint.clone().ok_or_else(|| {
        signin_error(format!(
            "{} does not offer signing in on another device (its metadata names no \
             device_authorization_endpoint); sign in with the browser instead",
            profile.label
        ))
    })?;
    let token_endpoint = meta
        .token_endpoint
        .clone()
        .ok_or_else(|| signin_error("the provider publishes no token endpoint"))?;
    let answer = Call::post(&endpoint)
        .field("scope", sign_in_scopes(profile).join(" "))
        .authenticate(profile, secret)
        .send(&http)
        .await
        .map_err(|e| unreachable(profile, e))?;
    let secrets: Vec<&str> = secret
        .map(SecretString::expose_secret)
        .into_iter()
        .collect();
    if answer.status != 200 {
        return Err(signin_error(format!(
            "{} refused to start the sign-in: {}",
            profile.label,
            provider_error(answer.status, &answer.body, &secrets)
        )));
    }
    let (code, device_code, interval, expires_in) = parse_device_answer(&profile.id, &answer.body)?;
    Ok(PendingDeviceSignIn {
        code,
        device_code,
        token_endpoint,
        meta,
        client_id,
        interval,
        expires_in,
        http,
    })
}

/// What one poll of the token endpoint said (RFC 8628 §3.5).
#[derive(Debug)]
pub(crate) enum PollAnswer {
    /// Approved: the token answer.
    Tokens(TokenResponse),
    /// `authorization_pending`: not yet; ask again after the interval.
    Pending,
    /// `slow_down`: not yet, and ask less often.
    SlowDown,
    /// `access_denied`: the person refused.
    Denied(Reason),
    /// `expired_token`: the code expired before it was approved.
    Expired,
    /// No usable answer this time (network, 429, 5xx): ask again, less often.
    Unavailable(Reason),
    /// Any other refusal: the sign-in cannot go on.
    Refused(Reason),
}

/// Reads one poll's answer; provider text is cleaned of control characters, cut to length and
/// scrubbed of `secrets`.
pub(crate) fn read_poll(status: u16, body: &[u8], secrets: &[&str]) -> PollAnswer {
    if status == 200 {
        return match serde_json::from_slice(body) {
            Ok(tokens) => PollAnswer::Tokens(tokens),
            Err(_) => PollAnswer::Refused(Reason::provider(
                "invalid_token_response",
                Some("the token response is not JSON".into()),
            )),
        };
    }
    let reason = provider_error(status, body, secrets);
    match (status, reason.code()) {
        (400 | 401, "authorization_pending") => PollAnswer::Pending,
        (400 | 401 | 429, "slow_down") => PollAnswer::SlowDown,
        (400 | 401 | 403, "access_denied") => PollAnswer::Denied(reason),
        (400 | 401, "expired_token") => PollAnswer::Expired,
        (429 | 500..=599, _) => PollAnswer::Unavailable(reason),
        _ => PollAnswer::Refused(reason),
    }
}

/// Polls the token endpoint until the person approves (the account's tokens), refuses
/// (`sign_in_denied`), the code expires (`sign_in_timed_out`) or `cancel` completes
/// (`sign_in_cancelled`).
pub async fn finish(
    pending: PendingDeviceSignIn,
    profile: &Profile,
    secret: Option<&SecretString>,
    cancel: impl Future<Output = ()>,
) -> Result<SignedIn> {
    let mut cancel = std::pin::pin!(cancel);
    let started = tokio::time::Instant::now();
    let deadline = started.checked_add(pending.expires_in).unwrap_or(started);
    let expired = |last: Option<Reason>| Error::SignInExpired {
        secs: pending.expires_in.as_secs(),
        detail: last
            .map(|r| format!(" (the provider last answered: {r})"))
            .unwrap_or_default(),
    };
    let mut interval = pending.interval;
    let mut last_problem = None;
    loop {
        let next = tokio::time::Instant::now()
            .checked_add(interval)
            .unwrap_or(deadline)
            .min(deadline);
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = &mut cancel => return Err(Error::SignInCancelled),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(expired(last_problem));
        }
        let answer = tokio::select! {
            a = poll(&pending, profile, secret) => a,
            () = &mut cancel => return Err(Error::SignInCancelled),
        };
        match answer {
            PollAnswer::Tokens(answer) => {
                // No nonce: the device flow sends none.
                let flow = (&pending.http, profile, secret);
                return super::browser::accept(
                    flow,
                    &pending.meta,
                    &pending.client_id,
                    None,
                    answer,
                )
                .await;
            }
            PollAnswer::Pending => tracing::debug!("device sign-in: authorization pending"),
            PollAnswer::SlowDown => {
                interval = slower(interval);
                tracing::debug!(secs = interval.as_secs(), "device sign-in: slowing down");
            }
            PollAnswer::Denied(reason) => {
                return Err(Error::SignInDenied {
                    provider: profile.label.clone(),
                    detail: reason.to_string(),
                });
            }
            PollAnswer::Expired => return Err(expired(None)),
            PollAnswer::Unavailable(reason) => {
                interval = interval.saturating_mul(2).min(MAX_INTERVAL);
                tracing::debug!(%reason, "device sign-in: no answer this time");
                last_problem = Some(reason);
            }
            PollAnswer::Refused(reason) => {
                return Err(signin_error(format!(
                    "the token endpoint refused: {reason}"
                )));
            }
        }
    }
}

/// One poll of the token endpoint with the device code.
async fn poll(
    pending: &PendingDeviceSignIn,
    profile: &Profile,
    secret: Option<&SecretString>,
) -> PollAnswer {
    let call = Call::post(&pending.token_endpoint)
        .field("grant_type", DEVICE_CODE_GRANT)
        .secret_field("device_code", &pending.device_code)
        .authenticate(profile, secret);
    match call.send(&pending.http).await {
        Ok(answer) => {
            let secrets: Vec<&str> = [Some(&pending.device_code), secret]
                .into_iter()
                .flatten()
                .map(SecretString::expose_secret)
                .collect();
            read_poll(answer.status, &answer.body, &secrets)
        }
        Err(CallError::Network(reason)) => PollAnswer::Unavailable(reason),
        Err(CallError::Refused(reason)) => PollAnswer::Refused(reason),
    }
}

#[cfg(test)]
mod tests;
