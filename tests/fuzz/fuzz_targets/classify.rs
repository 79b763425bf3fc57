//! Classifying a provider's answer, as the engine does after every revoke or logout call.
//!
//! Input: a small HTTP-like text, so seeds are easy to write and read:
//!
//! ```text
//! 429 revocation              <- status, then the call kind (revocation, keycloak, bearer)
//! retry-after: 120            <- any number of headers: retry-after, location, secret
//! secret: the-refresh-token       (a token the classifier must scrub), now (unix seconds)
//!
//! {"error":"slow_down"}       <- the body, after the first empty line; cut to 64 KiB
//! ```
//!
//! Anything that does not parse still runs: a status that is not a number is folded from the
//! line's bytes, an unknown kind is picked from them. Checked: no panic, the verdict matches the
//! status class, the kept error is short and printable, echoed tokens never come back, and the
//! engine's clock arithmetic on the asked delay cannot overflow.

#![no_main]

use std::time::{Duration, Instant, SystemTime};

use libfuzzer_sys::fuzz_target;
use signoff_core::outcome::{
    BODY_LIMIT, CallKind, Outcome, RETRY_AFTER_MAX, Verdict, classify, parse_retry_after,
    provider_error,
};

/// 2026-11-22T00:00:00Z: a fixed "now" keeps every run reproducible.
const NOW: u64 = 1_795_305_600;

struct Answer<'a> {
    kind: CallKind,
    status: u16,
    retry_after: Option<String>,
    location: Option<String>,
    secrets: Vec<String>,
    now: SystemTime,
    body: &'a [u8],
}

fn parse(data: &[u8]) -> Answer<'_> {
    let (head, body) = match find(data, b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let mut words = first.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let status_word = words.next().unwrap_or_default();
    let status = std::str::from_utf8(status_word)
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| fold(status_word));
    let kind = match words.next().unwrap_or_default() {
        b"revocation" => CallKind::Revocation,
        b"keycloak" => CallKind::KeycloakLogout,
        b"bearer" => CallKind::BearerLogout,
        other => [
            CallKind::Revocation,
            CallKind::KeycloakLogout,
            CallKind::BearerLogout,
        ][usize::from(fold(other)) % 3],
    };
    let mut answer = Answer {
        kind,
        status,
        retry_after: None,
        location: None,
        secrets: Vec::new(),
        now: SystemTime::UNIX_EPOCH + Duration::from_secs(NOW),
        // What http::Call::send keeps of a body.
        body: &body[..body.len().min(BODY_LIMIT)],
    };
    for line in lines {
        let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        // Header values as reqwest hands them over (`HeaderValue::to_str`): no surrounding
        // whitespace kept by the parser, any printable text inside.
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "retry-after" => answer.retry_after = Some(value),
            "location" => answer.location = Some(value),
            "secret" => answer.secrets.push(value),
            "now" => {
                if let Some(t) = value
                    .parse::<u64>()
                    .ok()
                    .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)))
                {
                    answer.now = t;
                }
            }
            _ => {}
        }
    }
    answer
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn fold(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |acc, &b| {
        acc.wrapping_mul(31).wrapping_add(u16::from(b))
    })
}

/// A token as RFC 6750 (b64token) and JWTs write them, of a realistic length. Only such secrets
/// can be promised never to show: a short "secret" such as `atus` or `dact` is part of the
/// classifier's own words (`unexpected_status`, the `[redacted]` marker), and 20 characters are
/// more than any of those.
fn is_token_like(s: &str) -> bool {
    s.len() >= 20
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

fuzz_target!(|data: &[u8]| {
    let a = parse(data);
    let secrets: Vec<&str> = a.secrets.iter().map(String::as_str).collect();
    let verdict = classify(
        a.kind,
        a.status,
        a.retry_after.as_deref(),
        a.location.as_deref(),
        a.body,
        &secrets,
        a.now,
    );

    // The verdict follows the status class.
    match (a.status, &verdict) {
        (200..=299, Verdict::Ended(Outcome::Revoked)) => {}
        (200..=299, v) => panic!("2xx gave {v:?}"),
        (300..=399, Verdict::Permanent(e)) => assert_eq!(e.code(), "redirect_refused"),
        (408 | 429 | 500..=599, Verdict::Retry { .. }) => {}
        (400..=499, Verdict::Permanent(_)) => {}
        (400 | 401, Verdict::Ended(Outcome::AlreadyRevoked)) => {}
        (s, v) if !(200..=599).contains(&s) => {
            assert!(matches!(v, Verdict::Permanent(e) if e.code() == "unexpected_status"))
        }
        (s, v) => panic!("status {s} gave {v:?}"),
    }

    let error = match &verdict {
        Verdict::Ended(_) => None,
        Verdict::Permanent(e) => Some(e),
        Verdict::Retry { after, error } => {
            if let Some(after) = after {
                assert!(*after <= RETRY_AFTER_MAX, "{after:?}");
                // What the engine does with the delay: schedule it (engine.rs) and record the
                // pending row's next attempt (api::next_attempt). Neither may overflow.
                assert!(Instant::now().checked_add(*after).is_some());
                assert!(a.now.checked_add(*after).is_some());
            }
            Some(error)
        }
    };
    if let Some(e) = error {
        assert!(!e.code().is_empty() && e.code().len() <= 64, "{e:?}");
        assert!(e.code().bytes().all(|b| b.is_ascii_graphic()), "{e:?}");
        if let Some(d) = e.description() {
            // 300 characters and an ellipsis; a redirect's sentence names a host of at most
            // 253 (and an ellipsis).
            let max = if e.code() == "redirect_refused" {
                450
            } else {
                301
            };
            assert!(!d.is_empty() && d.chars().count() <= max, "{e:?}");
            assert!(!d.chars().any(char::is_control), "{e:?}");
        }
        for s in secrets.iter().filter(|s| is_token_like(s)) {
            assert!(!e.code().contains(s), "secret {s:?} kept in {e:?}");
            let d = e.description().unwrap_or_default();
            assert!(!d.contains(s), "secret {s:?} kept in {e:?}");
        }
    }

    // The other two entry points the engine and discovery use on the same inputs.
    if let Some(v) = &a.retry_after {
        if let Some(d) = parse_retry_after(v, a.now) {
            assert!(d <= RETRY_AFTER_MAX);
        }
    }
    let again = provider_error(a.status, a.body, &secrets);
    if let Some(e) =
        error.filter(|_| !matches!(a.status, 300..=399) && (200..=599).contains(&a.status))
    {
        assert_eq!(*e, again, "classify keeps provider_error's reading");
    }
});
