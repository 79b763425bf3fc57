//! Reading an answer through a step's rules ([`AnswerRule`]s, written in the profile or by a
//! preset), then through the defaults every step shares: 2xx revoked, a redirect refused, 429
//! and 503 retried when the provider says (`Retry-After`, or the step's rate-limit reset
//! header), 408 and 5xx retried, any other status failed with the provider's error.

use std::time::{Duration, SystemTime};

use super::{
    Outcome, RETRY_AFTER_MAX, Reason, ReasonKind, Verdict, clean, parse_retry_after, provider_error,
};
use crate::profile::steps::{ResetHeader, ResetUnit};
use crate::profile::{AnswerRule, Then};

/// What one answer comes to for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepVerdict {
    Verdict(Verdict),
    /// A rule said the answer is ambiguous: the profile's probe decides (the provider's words
    /// are kept for the receipt when it cannot).
    Probe(Reason),
}

/// The parts of an answer the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub status: u16,
    pub retry_after: Option<&'a str>,
    /// The value of the step's rate-limit reset header, if it has one and it was sent.
    pub reset: Option<&'a str>,
    pub location: Option<&'a str>,
    pub body: &'a [u8],
}

/// Reads `seen` through `rules` (first match wins), then the defaults. A probe's answer that no
/// rule of its own settles is never taken for an end: a 2xx there means only that the probe
/// worked, so it is [`ReasonKind::Ambiguous`].
pub fn classify_answer(
    rules: &[AnswerRule],
    reset: Option<&ResetHeader>,
    seen: Seen<'_>,
    secrets: &[&str],
    now: SystemTime,
    probe: bool,
) -> StepVerdict {
    let error = || provider_error(seen.status, seen.body, secrets);
    let wait = || {
        seen.retry_after
            .and_then(|v| parse_retry_after(v, now))
            .or_else(|| {
                reset
                    .zip(seen.reset)
                    .and_then(|(h, v)| parse_reset(h, v, now))
            })
    };
    if let Some(rule) = rules.iter().find(|r| matches(r, seen, secrets)) {
        return StepVerdict::Verdict(match rule.then {
            Then::Revoked => Verdict::Ended(Outcome::Revoked),
            Then::AlreadyRevoked => Verdict::Ended(Outcome::AlreadyRevoked),
            Then::Retry => Verdict::Retry {
                after: wait(),
                error: error(),
            },
            Then::Failed => Verdict::Permanent(match rule.reason {
                Some(kind) => Reason::new(kind, error().to_string()),
                None => error(),
            }),
            Then::Probe => return StepVerdict::Probe(error()),
        });
    }
    StepVerdict::Verdict(match seen.status {
        200..=299 if probe => Verdict::Permanent(Reason::new(
            ReasonKind::Ambiguous,
            format!(
                "the provider's answer did not say whether the session ended, and the check \
                 that followed (HTTP {}) did not settle it; the token was kept",
                seen.status
            ),
        )),
        200..=299 => Verdict::Ended(Outcome::Revoked),
        300..=399 => Verdict::Permanent(Reason::new(
            ReasonKind::RedirectRefused,
            format!(
                "the endpoint answered {} with a redirect{}; Signoff never follows redirects \
                 on revoke or logout calls, so check the profile's URL",
                seen.status,
                seen.location
                    .and_then(|l| url::Url::parse(l).ok())
                    .and_then(|u| u
                        .host_str()
                        .map(|h| clean(h, secrets, 253))
                        .filter(|h| !h.is_empty())
                        .map(|h| format!(" to {h}")))
                    .unwrap_or_default()
            ),
        )),
        429 | 503 => Verdict::Retry {
            after: wait(),
            error: error(),
        },
        408 | 500..=599 => Verdict::Retry {
            after: None,
            error: error(),
        },
        400..=499 => Verdict::Permanent(error()),
        status => Verdict::Permanent(Reason::new(
            ReasonKind::UnexpectedStatus,
            format!("the provider answered with HTTP status {status}"),
        )),
    })
}

/// True when the answer has the rule's status, JSON values and words.
fn matches(rule: &AnswerRule, seen: Seen<'_>, secrets: &[&str]) -> bool {
    if !rule.status.matches(seen.status) {
        return false;
    }
    if !rule.json.is_empty() {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(seen.body) else {
            return false;
        };
        if !rule
            .json
            .iter()
            .all(|(pointer, want)| body.pointer(pointer) == Some(want))
        {
            return false;
        }
    }
    if rule.says.is_empty() {
        return true;
    }
    let error = provider_error(seen.status, seen.body, secrets);
    let text = error
        .description()
        .map(str::to_lowercase)
        .unwrap_or_else(|| String::from_utf8_lossy(seen.body).to_lowercase());
    rule.says.iter().any(|s| text.contains(s.as_str()))
}

/// A rate-limit reset header: Unix seconds or seconds from now, cut to [`RETRY_AFTER_MAX`].
fn parse_reset(header: &ResetHeader, value: &str, now: SystemTime) -> Option<Duration> {
    let n: u64 = value.trim().parse().ok()?;
    let wait = match header.unit {
        ResetUnit::Seconds => Duration::from_secs(n),
        ResetUnit::Epoch => {
            let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(n))?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(RETRY_AFTER_MAX))
}

#[cfg(test)]
mod tests;
