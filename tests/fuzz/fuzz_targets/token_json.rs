//! Four more parsers of outside JSON: the token bundle a person pastes or the keychain returns
//! (`TokenBundle::from_json`), a token endpoint's answer (`signin::parse_token_answer`, as the
//! sign-ins and refreshes read it: a huge or odd `expires_in` must not panic), an OpenID
//! provider's discovery metadata (what `discovery::discover` checks after fetching it), and a
//! device authorization answer (`signin::device::parse_device_answer`: its numbers bounded, the
//! code shown free of control characters, only addresses that may be shown offered).
//!
//! Input: the JSON text (bytes, as discovery reads a body of at most 64 KiB). Checked: no panic;
//! an accepted bundle has at least one token, each printable ASCII without spaces; its error
//! never quotes the input; accepted metadata has only endpoints that may carry a token.

#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::TokenBundle;
use signoff_core::discovery::parse_metadata;
use signoff_core::outcome::{BODY_LIMIT, Verdict};
use signoff_core::profile::is_allowed_endpoint;
use signoff_core::signin::device;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let body = &data[..data.len().min(BODY_LIMIT)];

    if let Ok(json) = std::str::from_utf8(body) {
        match TokenBundle::from_json(json) {
            Ok(bundle) => {
                assert!(!bundle.is_empty());
                for t in [
                    &bundle.refresh_token,
                    &bundle.access_token,
                    &bundle.id_token,
                ]
                .into_iter()
                .flatten()
                {
                    let t = t.expose_secret();
                    assert!(!t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()));
                }
            }
            Err(e) => {
                // The message names fields and positions only: a token-like run of 24 or more
                // characters from the input (longer than any word of the message) never shows.
                let message = e.to_string();
                for word in json.split(|c: char| !c.is_ascii_alphanumeric() && c != '-') {
                    if word.len() >= 24 {
                        assert!(!message.contains(word), "{message:?} quotes the input");
                    }
                }
            }
        }
    }

    // Never panics; an expiry, when there is one, is within ten years and a minute from now.
    if let Some((_, Some(at))) = signoff_core::signin::parse_token_answer(body) {
        let latest = time::OffsetDateTime::now_utc()
            + signoff_core::signin::LIFETIME_MAX
            + time::Duration::minutes(1);
        assert!(at <= latest, "{at}");
    }

    if let Ok((code, _, interval, expires_in)) = device::parse_device_answer("corp", body) {
        assert!((device::MIN_INTERVAL..=device::MAX_INTERVAL).contains(&interval));
        assert!((device::MIN_INTERVAL..=device::MAX_EXPIRES_IN).contains(&expires_in));
        assert!(!code.user_code.is_empty() && !code.user_code.chars().any(char::is_control));
        for shown in std::iter::once(&code.verification_uri).chain(&code.verification_uri_complete)
        {
            assert!(is_allowed_endpoint(&Url::parse(shown).unwrap()), "{shown}");
        }
    }

    let issuer = Url::parse("https://id.example.com/realms/main").unwrap();
    match parse_metadata(&issuer, body) {
        Ok(m) => {
            assert_eq!(m.issuer, issuer);
            for url in [
                &m.revocation_endpoint,
                &m.introspection_endpoint,
                &m.end_session_endpoint,
                &m.authorization_endpoint,
                &m.token_endpoint,
                &m.device_authorization_endpoint,
            ]
            .into_iter()
            .flatten()
            {
                assert!(is_allowed_endpoint(url), "{url}");
            }
        }
        Err(Verdict::Permanent(e)) => assert_eq!(e.code(), "discovery_failed"),
        Err(other) => panic!("metadata parsing gave {other:?}"),
    }
});
