//! Answers read through a step's rules: bodies that carry the outcome (Slack's `ok`), JSON
//! Pointers into nested errors (Dropbox's `.tag`), rate-limit reset headers, and probes that
//! settle nothing.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::profile::steps::StatusPattern;

fn rule(status: StatusPattern, json: &[(&str, serde_json::Value)], then: Then) -> AnswerRule {
    AnswerRule {
        status,
        json: json
            .iter()
            .map(|(p, v)| ((*p).to_owned(), v.clone()))
            .collect(),
        says: Vec::new(),
        then,
        reason: None,
    }
}

fn seen(status: u16, body: &str) -> Seen<'_> {
    Seen {
        status,
        retry_after: None,
        reset: None,
        location: None,
        body: body.as_bytes(),
    }
}

fn verdict(rules: &[AnswerRule], s: Seen<'_>) -> StepVerdict {
    classify_answer(
        rules,
        None,
        s,
        &["xoxp-secret-token"],
        SystemTime::now(),
        false,
    )
}

/// Slack answers every `auth.revoke` with HTTP 200; the body says what happened.
fn slack() -> Vec<AnswerRule> {
    vec![
        rule(
            StatusPattern::Exact(vec![200]),
            &[("/ok", json!(true))],
            Then::Revoked,
        ),
        rule(
            StatusPattern::Exact(vec![200]),
            &[("/error", json!("token_revoked"))],
            Then::AlreadyRevoked,
        ),
        rule(
            StatusPattern::Exact(vec![200]),
            &[("/ok", json!(false))],
            Then::Failed,
        ),
    ]
}

#[test]
fn a_200_whose_body_says_ok_false_is_a_failure_not_a_sign_out() {
    let rules = slack();
    assert_eq!(
        verdict(&rules, seen(200, r#"{"ok":true,"revoked":true}"#)),
        StepVerdict::Verdict(Verdict::Ended(Outcome::Revoked))
    );
    assert_eq!(
        verdict(&rules, seen(200, r#"{"ok":false,"error":"token_revoked"}"#)),
        StepVerdict::Verdict(Verdict::Ended(Outcome::AlreadyRevoked))
    );
    let StepVerdict::Verdict(Verdict::Permanent(e)) =
        verdict(&rules, seen(200, r#"{"ok":false,"error":"invalid_auth"}"#))
    else {
        panic!("ok:false must fail");
    };
    assert_eq!(e.code(), "invalid_auth");
}

#[test]
fn a_json_pointer_reaches_a_nested_tag() {
    // Dropbox: 401 {"error_summary": "...", "error": {".tag": "invalid_access_token"}}.
    let rules = [rule(
        StatusPattern::Exact(vec![401]),
        &[("/error/.tag", json!("invalid_access_token"))],
        Then::AlreadyRevoked,
    )];
    assert_eq!(
        verdict(
            &rules,
            seen(
                401,
                r#"{"error_summary":"invalid_access_token/..","error":{".tag":"invalid_access_token"}}"#
            )
        ),
        StepVerdict::Verdict(Verdict::Ended(Outcome::AlreadyRevoked))
    );
    // Another 401 is not that, and is not retried.
    assert!(matches!(
        verdict(
            &rules,
            seen(401, r#"{"error":{".tag":"expired_access_token"}}"#)
        ),
        StepVerdict::Verdict(Verdict::Permanent(_))
    ));
}

#[test]
fn words_in_the_description_pick_a_rule_case_insensitively() {
    let mut r = rule(StatusPattern::Class(4), &[], Then::AlreadyRevoked);
    r.says = vec!["invalid token".into()];
    // Twitch: 400 {"status":400,"message":"Invalid token"}.
    assert_eq!(
        verdict(
            &[r.clone()],
            seen(400, r#"{"status":400,"message":"Invalid token"}"#)
        ),
        StepVerdict::Verdict(Verdict::Ended(Outcome::AlreadyRevoked))
    );
    assert!(matches!(
        verdict(
            &[r],
            seen(400, r#"{"status":400,"message":"missing client id"}"#)
        ),
        StepVerdict::Verdict(Verdict::Permanent(_))
    ));
}

#[test]
fn a_rate_limit_reset_header_sets_the_wait_in_epoch_or_seconds() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let epoch = ResetHeader {
        name: "X-Rate-Limit-Reset".into(),
        unit: ResetUnit::Epoch,
    };
    let mut s = seen(429, "");
    s.reset = Some("1700000042");
    assert_eq!(
        classify_answer(&[], Some(&epoch), s, &[], now, false),
        StepVerdict::Verdict(Verdict::Retry {
            after: Some(Duration::from_secs(42)),
            error: provider_error(429, b"", &[]),
        })
    );
    let seconds = ResetHeader {
        name: "X-RateLimit-Reset".into(),
        unit: ResetUnit::Seconds,
    };
    s.reset = Some("7");
    let StepVerdict::Verdict(Verdict::Retry { after, .. }) =
        classify_answer(&[], Some(&seconds), s, &[], now, false)
    else {
        panic!("429 retries");
    };
    assert_eq!(after, Some(Duration::from_secs(7)));
    // Retry-After wins when both are there; a reset far away is cut to the cap.
    s.retry_after = Some("3");
    let StepVerdict::Verdict(Verdict::Retry { after, .. }) =
        classify_answer(&[], Some(&seconds), s, &[], now, false)
    else {
        panic!("429 retries");
    };
    assert_eq!(after, Some(Duration::from_secs(3)));
    s.retry_after = None;
    s.reset = Some("99999999999");
    let StepVerdict::Verdict(Verdict::Retry { after, .. }) =
        classify_answer(&[], Some(&epoch), s, &[], now, false)
    else {
        panic!("429 retries");
    };
    assert_eq!(after, Some(RETRY_AFTER_MAX));
}

#[test]
fn a_rule_can_ask_for_the_probe_and_a_probe_settles_nothing_by_default() {
    let ambiguous = [rule(StatusPattern::Exact(vec![404]), &[], Then::Probe)];
    assert!(matches!(
        verdict(&ambiguous, seen(404, r#"{"message":"Not Found"}"#)),
        StepVerdict::Probe(_)
    ));
    // A probe's 200 that no rule of its own reads is not "revoked".
    let StepVerdict::Verdict(Verdict::Permanent(e)) =
        classify_answer(&[], None, seen(200, "{}"), &[], SystemTime::now(), true)
    else {
        panic!("an unread probe answer must keep the token");
    };
    assert_eq!(e.kind(), ReasonKind::Ambiguous);
}

#[test]
fn a_failed_rule_can_name_signoffs_reason_and_keeps_the_providers_words() {
    let mut r = rule(StatusPattern::Class(2), &[], Then::Failed);
    r.reason = Some(ReasonKind::NotThisClient);
    let StepVerdict::Verdict(Verdict::Permanent(e)) =
        verdict(&[r], seen(200, r#"{"login":"ada"}"#))
    else {
        panic!("failed");
    };
    assert_eq!(e.kind(), ReasonKind::NotThisClient);
}
