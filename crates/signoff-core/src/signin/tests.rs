//! Reading a token endpoint's answer: any `expires_in` gives a time within bounds or none.

use super::*;

#[test]
fn any_expires_in_gives_a_time_or_none_and_never_panics() {
    let now = time::OffsetDateTime::now_utc();
    for body in [
        r#"{"access_token":"a","expires_in":9223372036854775807}"#,
        r#"{"access_token":"a","expires_in":"9223372036854775807"}"#,
        r#"{"access_token":"a","expires_in":1e300}"#,
    ] {
        let (_, at) = parse_token_answer(body.as_bytes()).unwrap();
        if let Some(at) = at {
            assert!(
                at <= now + LIFETIME_MAX + time::Duration::minutes(1),
                "{body}"
            );
        }
    }
    let (tokens, at) = parse_token_answer(br#"{"access_token":"a","expires_in":"3600"}"#).unwrap();
    assert_eq!(tokens.access_token.unwrap().expose_secret(), "a");
    let secs = (at.unwrap() - now).whole_seconds();
    assert!(
        (3590..=3610).contains(&secs),
        "a numeric string counts: {secs}"
    );
    let (_, at) = parse_token_answer(br#"{"access_token":"a","expires_in":"soon"}"#).unwrap();
    assert_eq!(at, None);
}
