//! Reading a token endpoint's answer: any `expires_in` gives a time within bounds or none.

use serde_json::json;

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

/// A token answer whose ID token carries `claims` (unsigned: the checks here read claims only).
fn answer_with_claims(claims: serde_json::Value) -> TokenResponse {
    let jwt = format!(
        "e30.{}.sig",
        URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
    );
    serde_json::from_value(json!({ "access_token": "a", "id_token": jwt })).unwrap()
}

#[test]
fn the_id_token_must_be_for_this_issuer_client_and_sign_in() {
    let issuer = Url::parse("https://id.example/").unwrap();
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let claims = |extra: serde_json::Value| {
        let mut c = json!({ "iss": "https://id.example", "sub": "ada", "aud": "app", "exp": exp });
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        answer_with_claims(c)
    };
    let check = |t: &TokenResponse, nonce| check_id_token(t, &issuer, "app", nonce).map(|c| c.sub);
    assert_eq!(
        check(&claims(json!({})), None).unwrap(),
        "ada",
        "no nonce asked, none checked"
    );
    assert!(check(&claims(json!({ "nonce": "n1" })), Some("n1")).is_ok());
    assert!(
        check(&claims(json!({ "nonce": "n2" })), Some("n1")).is_err(),
        "another nonce"
    );
    assert!(
        check(&claims(json!({})), Some("n1")).is_err(),
        "no nonce when one was sent"
    );
    assert!(
        check(
            &claims(json!({ "aud": ["app", "api"], "azp": "app" })),
            None
        )
        .is_ok()
    );
    assert!(
        check(&claims(json!({ "aud": ["app", "api"] })), None).is_err(),
        "several audiences need azp"
    );
    assert!(
        check(&claims(json!({ "azp": "other" })), None).is_err(),
        "another party"
    );
    assert!(
        check(&claims(json!({ "aud": "other" })), None).is_err(),
        "another client"
    );
    assert!(check(&claims(json!({ "iss": "https://evil.example" })), None).is_err());
    assert!(
        check(&claims(json!({ "exp": exp - 1200 })), None).is_err(),
        "expired"
    );
    let none: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
    assert!(check(&none, None).is_err(), "no ID token");
}
