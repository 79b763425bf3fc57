//! The device flow's pure parts: the provider's numbers bounded, its text cleaned, each poll
//! answer read as RFC 8628 §3.5 says, and the user code kept out of `Debug`.

use super::*;

fn answer(extra: &str) -> String {
    format!(
        r#"{{"device_code":"dc-secret-123456","user_code":"ABCD-EFGH",
            "verification_uri":"https://id.example/device"{extra}}}"#
    )
}

#[test]
fn huge_negative_or_missing_numbers_are_bounded_and_never_panic() {
    for (extra, interval, expires) in [
        ("", DEFAULT_INTERVAL, DEFAULT_EXPIRES_IN),
        (
            r#","interval":9223372036854775807,"expires_in":9223372036854775807"#,
            MAX_INTERVAL,
            MAX_EXPIRES_IN,
        ),
        (
            r#","interval":"18446744073709551616","expires_in":1e300"#,
            DEFAULT_INTERVAL,
            DEFAULT_EXPIRES_IN,
        ),
        (
            r#","interval":-3,"expires_in":0"#,
            DEFAULT_INTERVAL,
            DEFAULT_EXPIRES_IN,
        ),
        (
            r#","interval":"0","expires_in":"900""#,
            DEFAULT_INTERVAL,
            Duration::from_secs(900),
        ),
        (
            r#","interval":2,"expires_in":30"#,
            Duration::from_secs(2),
            Duration::from_secs(30),
        ),
    ] {
        let (code, _, i, e) = parse_device_answer("corp", answer(extra).as_bytes()).unwrap();
        assert_eq!((i, e), (interval, expires), "{extra}");
        assert_eq!(code.expires_in, e.as_secs());
    }
}

#[test]
fn slow_down_adds_five_seconds_up_to_the_cap() {
    assert_eq!(slower(DEFAULT_INTERVAL), Duration::from_secs(10));
    assert_eq!(slower(Duration::from_secs(58)), MAX_INTERVAL);
    assert_eq!(slower(Duration::MAX), MAX_INTERVAL, "no overflow");
}

#[test]
fn what_is_shown_is_cleaned_and_only_secure_addresses_are_offered() {
    let body = r#"{"device_code":"dc-secret-123456","user_code":"AB\u001b[2JCD\u0007",
        "verification_url":"https://id.example/device",
        "verification_uri_complete":"http://evil.example/device?user_code=ABCD"}"#;
    let (code, device_code, _, _) = parse_device_answer("corp", body.as_bytes()).unwrap();
    assert!(
        !code.user_code.chars().any(char::is_control),
        "{:?}",
        code.user_code
    );
    assert!(code.user_code.starts_with("AB") && code.user_code.ends_with("CD"));
    assert_eq!(
        code.verification_uri, "https://id.example/device",
        "Google's verification_url counts"
    );
    assert_eq!(
        code.verification_uri_complete, None,
        "a plain-http address off this machine is left out"
    );
    assert_eq!(device_code.expose_secret(), "dc-secret-123456");
    let insecure =
        r#"{"device_code":"d","user_code":"A","verification_uri":"http://id.example/device"}"#;
    let err = parse_device_answer("corp", insecure.as_bytes()).unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::SignInFailed, "{err}");
    for bad in [
        r#"{"device_code":"","user_code":"A","verification_uri":"https://id.example/d"}"#,
        r#"{"device_code":"d","user_code":"\u0000 ","verification_uri":"https://id.example/d"}"#,
        r#"{"device_code":"d","user_code":"A"}"#,
        "not json",
    ] {
        assert!(
            parse_device_answer("corp", bad.as_bytes()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn the_user_code_stays_out_of_debug_and_the_device_code_is_secret() {
    let (code, device_code, _, _) = parse_device_answer("corp", answer("").as_bytes()).unwrap();
    let shown = format!("{code:?} {device_code:?}");
    assert!(
        !shown.contains("ABCD-EFGH") && !shown.contains("dc-secret"),
        "{shown}"
    );
    let json = serde_json::to_string(&code).unwrap();
    assert!(
        json.contains("ABCD-EFGH") && !json.contains("dc-secret"),
        "{json}"
    );
}

#[test]
fn each_poll_answer_means_what_rfc_8628_says() {
    let secret = ["dc-secret-123456"];
    let read = |status, body: &str| read_poll(status, body.as_bytes(), &secret);
    assert!(matches!(
        read(400, r#"{"error":"authorization_pending"}"#),
        PollAnswer::Pending
    ));
    assert!(matches!(
        read(400, r#"{"error":"slow_down"}"#),
        PollAnswer::SlowDown
    ));
    assert!(matches!(
        read(400, r#"{"error":"expired_token"}"#),
        PollAnswer::Expired
    ));
    assert!(matches!(
        read(503, "down for maintenance"),
        PollAnswer::Unavailable(_)
    ));
    assert!(matches!(
        read(400, r#"{"error":"invalid_grant"}"#),
        PollAnswer::Refused(_)
    ));
    assert!(matches!(read(200, "<html>"), PollAnswer::Refused(_)));
    assert!(matches!(
        read(200, r#"{"access_token":"a","id_token":"x.y.z"}"#),
        PollAnswer::Tokens(_)
    ));
    let long = "no ".repeat(1000);
    let body = format!(
        r#"{{"error":"access_denied","error_description":"you said\u001b[31m no to dc-secret-123456 {long}"}}"#
    );
    let PollAnswer::Denied(reason) = read(400, &body) else {
        panic!("access_denied is a refusal")
    };
    let text = reason.to_string();
    assert!(!text.contains("dc-secret-123456"), "scrubbed: {text}");
    assert!(!text.chars().any(char::is_control), "cleaned: {text:?}");
    assert!(text.chars().count() < 600, "capped: {}", text.len());
}
