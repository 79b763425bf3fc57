//! The classifier, case by case from the seeds and DESIGN.md, and as a table over every status.

use std::time::{Duration, SystemTime};

use super::*;

const TOKEN: &str = "tok-abcdef-123456";

fn c(kind: CallKind, status: u16, body: &str) -> Verdict {
    classify(
        kind,
        status,
        None,
        None,
        body.as_bytes(),
        &[TOKEN],
        SystemTime::now(),
    )
}

fn permanent_code(v: Verdict) -> String {
    match v {
        Verdict::Permanent(e) => e.code().to_owned(),
        other => panic!("expected permanent, got {other:?}"),
    }
}

#[test]
fn meshydb_seed_answers() {
    assert_eq!(
        c(CallKind::Revocation, 200, ""),
        Verdict::Ended(Outcome::Revoked)
    );
    assert_eq!(
        permanent_code(c(
            CallKind::Revocation,
            400,
            r#"{"error":"invalid_client","error_description":"Invalid client id."}"#
        )),
        "invalid_client"
    );
    assert_eq!(
        permanent_code(c(
            CallKind::Revocation,
            400,
            r#"{"error":"invalid_request","error_description":"Token is missing."}"#
        )),
        "invalid_request"
    );
    assert_eq!(
        permanent_code(c(
            CallKind::Revocation,
            400,
            r#"{"error":"unsupported_token_type"}"#
        )),
        "unsupported_token_type"
    );
    let v = classify(
        CallKind::Revocation,
        429,
        Some("7"),
        None,
        b"You have either hit your API or Database limit.",
        &[],
        SystemTime::now(),
    );
    match v {
        Verdict::Retry { after, error } => {
            assert_eq!(after, Some(Duration::from_secs(7)));
            assert_eq!(error.code(), "http_429");
            assert!(error.description().unwrap().contains("Database limit"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hyperid_seed_answers() {
    assert_eq!(
        c(CallKind::KeycloakLogout, 200, ""),
        Verdict::Ended(Outcome::Revoked)
    );
    assert_eq!(
        c(CallKind::KeycloakLogout, 204, ""),
        Verdict::Ended(Outcome::Revoked)
    );
    assert_eq!(
        c(
            CallKind::KeycloakLogout,
            400,
            r#"{"error":"invalid_grant","error_description":"Session not active"}"#
        ),
        Verdict::Ended(Outcome::AlreadyRevoked)
    );
    assert_eq!(
        permanent_code(c(
            CallKind::KeycloakLogout,
            401,
            r#"{"error":"invalid_client"}"#
        )),
        "invalid_client"
    );
    assert_eq!(
        permanent_code(c(
            CallKind::KeycloakLogout,
            400,
            r#"{"error":"invalid_request"}"#
        )),
        "invalid_request"
    );
    assert_eq!(
        permanent_code(c(CallKind::KeycloakLogout, 403, "")),
        "http_403"
    );
    // Keycloak's other invalid_grant answers: the session is alive, only this client may not
    // end it, so the sign-out fails and the token is kept.
    for description in [
        "Unmatching clients",
        "Invalid refresh token",
        "Session doesn't have required client",
    ] {
        let body = format!(r#"{{"error":"invalid_grant","error_description":"{description}"}}"#);
        assert_eq!(
            permanent_code(c(CallKind::KeycloakLogout, 400, &body)),
            "invalid_grant",
            "{description}"
        );
    }
    assert_eq!(
        c(
            CallKind::KeycloakLogout,
            400,
            r#"{"error":"invalid_grant","error_description":"Token is not active"}"#
        ),
        Verdict::Ended(Outcome::AlreadyRevoked)
    );
    assert_eq!(
        permanent_code(c(
            CallKind::KeycloakLogout,
            400,
            r#"{"error":"invalid_grant"}"#
        )),
        "invalid_grant",
        "no description: not known to be over"
    );
    // invalid_grant means "already ended" only on logout, not on revocation.
    assert_eq!(
        permanent_code(c(CallKind::Revocation, 400, r#"{"error":"invalid_grant"}"#)),
        "invalid_grant"
    );
}

#[test]
fn matar_seed_answers() {
    assert_eq!(
        c(
            CallKind::BearerLogout,
            200,
            r#"{"message":"Successfully logged out"}"#
        ),
        Verdict::Ended(Outcome::Revoked)
    );
    assert_eq!(
        c(
            CallKind::BearerLogout,
            401,
            r#"{"description":"The token has been revoked.","error":"token_revoked"}"#
        ),
        Verdict::Ended(Outcome::AlreadyRevoked)
    );
    match c(
        CallKind::BearerLogout,
        401,
        r#"{"description":"The token has expired.","error":"token_expired"}"#,
    ) {
        Verdict::Permanent(e) => {
            assert_eq!(e.code(), "token_expired");
            assert_eq!(e.description(), Some("The token has expired."));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_after_as_seconds_and_http_date() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
    assert_eq!(
        parse_retry_after(&later, now),
        Some(Duration::from_secs(90))
    );
    let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
    assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
    let v = classify(CallKind::Revocation, 503, Some(&later), None, b"", &[], now);
    assert!(matches!(v, Verdict::Retry { after: Some(d), .. } if d == Duration::from_secs(90)));
}

#[test]
fn absurd_retry_after_is_capped_so_scheduling_the_retry_cannot_overflow() {
    // Found while writing the classifier's fuzz target: `Retry-After: 18446744073709551615` (or
    // a date in the year 9999) made the engine's `Instant + Duration` and the pending row's
    // `OffsetDateTime + Duration` panic.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for value in [
        "18446744073709551615",
        "9223372036854775808",
        "1000000000000",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let after = parse_retry_after(value, now).unwrap();
        assert_eq!(after, RETRY_AFTER_MAX, "{value}");
        assert!(std::time::Instant::now().checked_add(after).is_some());
        assert!(
            time::OffsetDateTime::now_utc()
                .checked_add(after.try_into().unwrap())
                .is_some()
        );
    }
    assert_eq!(
        parse_retry_after(&RETRY_AFTER_MAX.as_secs().to_string(), now),
        Some(RETRY_AFTER_MAX)
    );
    let v = classify(
        CallKind::Revocation,
        429,
        Some("18446744073709551615"),
        None,
        b"",
        &[],
        now,
    );
    assert!(matches!(v, Verdict::Retry { after: Some(d), .. } if d == RETRY_AFTER_MAX));
}

#[test]
fn redirects_are_refused_and_name_the_host() {
    let v = classify(
        CallKind::Revocation,
        302,
        None,
        Some("https://evil.example/steal"),
        b"",
        &[],
        SystemTime::now(),
    );
    match v {
        Verdict::Permanent(e) => {
            assert_eq!(e.code(), "redirect_refused");
            assert!(e.description().unwrap().contains("evil.example"));
        }
        other => panic!("{other:?}"),
    }
    // The host is kept like any other text from the provider: tokens scrubbed, length capped.
    let long = format!("https://tok3n-abcdef.{}.example/", "a".repeat(5000));
    match classify(
        CallKind::Revocation,
        307,
        None,
        Some(&long),
        b"",
        &["tok3n-abcdef"],
        SystemTime::now(),
    ) {
        Verdict::Permanent(e) => {
            let d = e.description().unwrap();
            assert!(
                !d.contains("tok3n-abcdef") && d.contains("[redacted]"),
                "{d}"
            );
            assert!(d.chars().count() < 500, "{d}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_and_oversized_bodies_are_handled() {
    assert_eq!(
        permanent_code(c(CallKind::Revocation, 400, "{not json")),
        "http_400"
    );
    assert_eq!(
        permanent_code(c(CallKind::Revocation, 400, r#"{"error": 5}"#)),
        "http_400"
    );
    assert_eq!(
        permanent_code(c(CallKind::Revocation, 400, r#"{"error":"has space"}"#)),
        "http_400"
    );
    assert_eq!(
        permanent_code(c(CallKind::Revocation, 400, "[1,2]")),
        "http_400"
    );
    let huge = "x".repeat(BODY_LIMIT * 2);
    match c(CallKind::Revocation, 400, &huge) {
        Verdict::Permanent(e) => assert!(e.description().unwrap().chars().count() <= 301),
        other => panic!("{other:?}"),
    }
    let binary = [0xffu8, 0xfe, 0x00, 0x01];
    let v = classify(
        CallKind::Revocation,
        500,
        None,
        None,
        &binary,
        &[],
        SystemTime::now(),
    );
    assert!(matches!(v, Verdict::Retry { after: None, .. }));
}

#[test]
fn echoed_tokens_are_scrubbed() {
    let body =
        format!(r#"{{"error":"invalid_request","error_description":"bad token {TOKEN} given"}}"#);
    match c(CallKind::Revocation, 400, &body) {
        Verdict::Permanent(e) => {
            assert_eq!(e.description(), Some("bad token [redacted] given"));
        }
        other => panic!("{other:?}"),
    }
    let body = format!("token {TOKEN} was not found");
    match c(CallKind::Revocation, 500, &body) {
        Verdict::Retry { error, .. } => assert!(!error.to_string().contains(TOKEN)),
        other => panic!("{other:?}"),
    }
}

/// Every status, for every kind and a spread of bodies, gives exactly the verdict class the
/// protocol table says, and never keeps the token.
#[test]
fn table_every_status_and_body_maps_to_one_verdict() {
    // Keycloak's `invalid_grant` counts as "already ended" only with a description that says
    // so; without one, or with "Unmatching clients", the session may live on.
    let bodies = [
        String::new(),
        "{".into(),
        r#"{"error":"invalid_grant"}"#.into(),
        r#"{"error":"invalid_grant","error_description":"Token is not active"}"#.into(),
        r#"{"error":"invalid_grant","error_description":"Unmatching clients"}"#.into(),
        r#"{"error":"token_revoked","description":"x"}"#.into(),
        r#"{"error":"invalid_client","error_description":"bad"}"#.into(),
        format!(r#"{{"error":"server_error","error_description":"{TOKEN}"}}"#),
        format!("<html>{TOKEN}</html>"),
    ];
    for kind in [
        CallKind::Revocation,
        CallKind::KeycloakLogout,
        CallKind::BearerLogout,
    ] {
        for status in 100u16..=599 {
            for body in &bodies {
                let v = c(kind, status, body);
                let expected = match status {
                    200..=299 => "ended",
                    300..=399 => "permanent",
                    408 | 429 | 500..=599 => "retry",
                    400 if kind == CallKind::KeycloakLogout && body.contains("not active") => {
                        "ended"
                    }
                    401 if kind == CallKind::BearerLogout && body.contains("token_revoked") => {
                        "ended"
                    }
                    _ => "permanent",
                };
                let got = match &v {
                    Verdict::Ended(_) => "ended",
                    Verdict::Permanent(_) => "permanent",
                    Verdict::Retry { .. } => "retry",
                };
                assert_eq!(got, expected, "{kind:?} {status} {body:?}");
                assert!(
                    !format!("{v:?}").contains(TOKEN),
                    "token kept: {kind:?} {status} {v:?}"
                );
            }
        }
    }
}
