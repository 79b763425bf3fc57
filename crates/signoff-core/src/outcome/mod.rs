//! The outcome vocabulary (the receipt) and the classifier that turns a provider's answer
//! (status, `Retry-After`, body) into a verdict. Pure functions: no I/O.

mod reason;
mod rules;
mod scrub;
pub use reason::{Reason, ReasonKind};
pub use rules::{Seen, StepVerdict, classify_answer};

use std::time::{Duration, SystemTime};

named!(
    /// What happened to one account's sign-out. Exactly one per account.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum Outcome {
        /// The provider confirmed; the keychain entry can go.
        Revoked,
        /// The provider says the token or session was already gone; the entry can go.
        AlreadyRevoked,
        /// The provider has no way to revoke; the entry can go, the server session may live on.
        LocalOnly,
        /// The provider could not be reached or asked to wait; the token stays until a retry works.
        Pending,
        /// A permanent error; a person must look (the provider's error is kept).
        Failed,
    }
);

impl Outcome {
    /// True when the keychain entry may be deleted.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Revoked | Self::AlreadyRevoked | Self::LocalOnly)
    }
}

/// The kind of call whose answer is classified (each reads statuses differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// RFC 7009 revocation (also OIDC's and Keycloak's revoke endpoints).
    Revocation,
    /// Keycloak's logout with a refresh token.
    KeycloakLogout,
    /// A logout URL with a bearer access token.
    BearerLogout,
    /// A step a profile wrote: only its own rules and the defaults.
    Step,
}

/// The classifier's verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Ended: `Revoked` or `AlreadyRevoked`.
    Ended(Outcome),
    /// Never worth retrying as is.
    Permanent(Reason),
    /// Try again, after `after` when the provider said so.
    Retry {
        after: Option<Duration>,
        error: Reason,
    },
}

/// The most of a response body Signoff reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The longest error description kept from a provider.
const DESCRIPTION_LIMIT: usize = 300;

/// Classifies one HTTP answer to a call of a seed protocol: its preset's rules
/// ([`crate::profile::presets`]), then the defaults ([`classify_answer`]). `body` is at most
/// [`BODY_LIMIT`] bytes; `secrets` are scrubbed from anything kept; `location` is the redirect
/// target, if any.
pub fn classify(
    kind: CallKind,
    status: u16,
    retry_after: Option<&str>,
    location: Option<&str>,
    body: &[u8],
    secrets: &[&str],
    now: SystemTime,
) -> Verdict {
    use crate::profile::presets;
    let rules = match kind {
        CallKind::Revocation | CallKind::Step => Vec::new(),
        CallKind::KeycloakLogout => presets::keycloak_logout_answers(),
        CallKind::BearerLogout => presets::bearer_logout_answers(),
    };
    let seen = Seen {
        status,
        retry_after,
        reset: None,
        location,
        body,
    };
    match classify_answer(&rules, None, seen, secrets, now, false) {
        StepVerdict::Verdict(v) => v,
        StepVerdict::Probe(e) => Verdict::Permanent(e),
    }
}

/// The longest wait a `Retry-After` can ask for; longer ones are cut to this. A provider asking
/// for more is misconfigured, and a delay of centuries would overflow the clock arithmetic of
/// whoever schedules the retry (`Instant` and `OffsetDateTime` additions panic on overflow).
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(30 * 24 * 3600);

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Dates in the past mean now;
/// waits longer than [`RETRY_AFTER_MAX`] are cut to it.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let after = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(after.min(RETRY_AFTER_MAX))
}

/// Reads the provider's error from a body: OAuth's `{error, error_description}`, Matar's
/// `{error, description}`, `{message}`, or plain text. Falls back to `http_<status>`.
pub fn provider_error(status: u16, body: &[u8], secrets: &[&str]) -> Reason {
    let fallback = format!("http_{status}");
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_LIMIT)]);
    let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let field = |v: &serde_json::Value, names: &[&str]| {
        names
            .iter()
            .find_map(|n| v.get(*n).and_then(|x| x.as_str()).map(str::to_owned))
    };
    let (code, description) = match &json {
        Some(v) if v.is_object() => (
            field(v, &["error", "code"]),
            field(
                v,
                &["error_description", "description", "message", "detail"],
            ),
        ),
        _ => (None, Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
    };
    let code = code.map(|c| clean(&c, secrets, 64));
    let is_code = |c: &String| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_graphic());
    // An `error` that is a sentence rather than a code still says what went wrong.
    let description = match (&code, description) {
        (Some(c), None) if !is_code(c) => Some(c.clone()),
        (_, d) => d,
    };
    let code = code.filter(is_code).unwrap_or(fallback);
    let description = description
        .map(|d| clean(&d, secrets, DESCRIPTION_LIMIT))
        .filter(|d| !d.is_empty());
    Reason::provider(code, description)
}

/// Scrubs secrets in every encoding they travel in, drops control characters and caps the
/// length. Empty when what is left still holds a long piece of a secret (the whole text is
/// dropped rather than risk it).
pub(crate) fn clean(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let t = scrub::redact(text, secrets);
    let t: String = t
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = t.trim();
    let t = if t.chars().count() > max_chars {
        let cut: String = t.chars().take(max_chars).collect();
        format!("{cut}…")
    } else {
        t.to_owned()
    };
    if scrub::holds_a_piece(&t, secrets) {
        return String::new();
    }
    t
}

#[cfg(test)]
mod tests;
