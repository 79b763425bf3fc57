//! ID-token checks with keys made here (ES256 and Ed25519 with `ring`; RS256 is covered against
//! the real `oidc-provider` in `tests/cli/login.rs`): each rule refuses what breaks it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::json;

use super::*;

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "http://127.0.0.1:9";

fn b64(v: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

struct Signer {
    key: EcdsaKeyPair,
    kid: &'static str,
}

impl Signer {
    fn new(kid: &'static str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self { key, kid }
    }

    fn jwk(&self) -> serde_json::Value {
        let point = self.key.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
               "x": b64(&point[1..33]), "y": b64(&point[33..])})
    }

    fn sign(&self, header: serde_json::Value, claims: &serde_json::Value) -> String {
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let sig = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig))
    }

    fn token(&self, claims: &serde_json::Value) -> String {
        self.sign(json!({"alg": "ES256", "kid": self.kid}), claims)
    }
}

fn jwks(keys: Vec<serde_json::Value>) -> Jwks {
    serde_json::from_value(json!({ "keys": keys })).unwrap()
}

fn good() -> serde_json::Value {
    json!({"iss": ISSUER, "sub": "ada", "aud": "signoff", "exp": NOW + 300, "iat": NOW,
           "nonce": "n-1", "email": "ada@example.test"})
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: "signoff",
        nonce: Some("n-1"),
    }
}

fn check(signer: &Signer, claims: &serde_json::Value) -> Result<IdClaims, IdTokenError> {
    let es256 = ["ES256".to_owned()];
    verify_with(
        &signer.token(claims),
        &jwks(vec![signer.jwk()]),
        &es256,
        &expected(),
        NOW,
    )
}

fn with(change: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut c = good();
    for (k, v) in change {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(*k);
        } else {
            c[*k] = v.clone();
        }
    }
    c
}

#[test]
fn a_good_token_gives_subject_and_label() {
    let s = Signer::new("k1");
    let claims = check(&s, &good()).unwrap();
    assert_eq!(claims.sub, "ada");
    assert_eq!(claims.label.as_deref(), Some("ada@example.test"));
    // Device flow: no nonce was sent, none is required.
    let es256 = ["ES256".to_owned()];
    let no_nonce = Expected {
        nonce: None,
        ..expected()
    };
    let t = s.token(&with(&[("nonce", serde_json::Value::Null)]));
    assert!(verify_with(&t, &jwks(vec![s.jwk()]), &es256, &no_nonce, NOW).is_ok());
}

#[test]
fn every_claim_rule_refuses_what_breaks_it() {
    let s = Signer::new("k1");
    let cases: Vec<(Vec<(&str, serde_json::Value)>, IdTokenError)> = vec![
        (
            vec![("iss", json!("http://127.0.0.1:9/"))],
            IdTokenError::Issuer {
                got: "http://127.0.0.1:9/".into(),
                want: ISSUER.into(),
            },
        ),
        (vec![("aud", json!("other"))], IdTokenError::Audience),
        (
            vec![("aud", json!(["other", "signoff"]))],
            IdTokenError::Missing("azp"),
        ),
        (
            vec![
                ("aud", json!(["other", "signoff"])),
                ("azp", json!("other")),
            ],
            IdTokenError::AuthorizedParty,
        ),
        (vec![("azp", json!("other"))], IdTokenError::AuthorizedParty),
        (vec![("exp", json!(NOW - SKEW - 1))], IdTokenError::Expired),
        (
            vec![("exp", json!("99999999999"))],
            IdTokenError::Missing("exp"),
        ),
        (
            vec![("exp", serde_json::Value::Null)],
            IdTokenError::Missing("exp"),
        ),
        (
            vec![("iat", json!(NOW + SKEW + 60))],
            IdTokenError::IssuedInFuture,
        ),
        (
            vec![("iat", serde_json::Value::Null)],
            IdTokenError::Missing("iat"),
        ),
        (vec![("nbf", json!(NOW + 3600))], IdTokenError::NotYetValid),
        (vec![("nbf", json!("0"))], IdTokenError::Missing("nbf")),
        (vec![("nonce", json!("n-2"))], IdTokenError::Nonce),
        (
            vec![("nonce", serde_json::Value::Null)],
            IdTokenError::Nonce,
        ),
        (vec![("sub", json!(""))], IdTokenError::Missing("sub")),
    ];
    for (change, want) in cases {
        assert_eq!(check(&s, &with(&change)), Err(want), "{change:?}");
    }
    // Within the allowed skew both ways is fine.
    let near = with(&[("exp", json!(NOW - 10)), ("iat", json!(NOW + 60))]);
    assert!(check(&s, &near).is_ok());
    let both = with(&[
        ("aud", json!(["other", "signoff"])),
        ("azp", json!("signoff")),
    ]);
    assert!(check(&s, &both).is_ok());
}

#[test]
fn signatures_keys_and_algorithms_are_checked() {
    let (s, other) = (Signer::new("k1"), Signer::new("k1"));
    let es256 = ["ES256".to_owned()];
    let e = expected();
    let token = s.token(&good());
    // Another key under the same kid: the signature does not match.
    assert_eq!(
        verify_with(&token, &jwks(vec![other.jwk()]), &es256, &e, NOW),
        Err(IdTokenError::Signature(JwsError::BadSignature))
    );
    // A payload changed after signing.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(with(&[("sub", json!("mallory"))]).to_string());
    assert_eq!(
        verify_with(&parts.join("."), &jwks(vec![s.jwk()]), &es256, &e, NOW),
        Err(IdTokenError::Signature(JwsError::BadSignature))
    );
    // No key with that kid.
    let mut wrong_kid = s.jwk();
    wrong_kid["kid"] = json!("k2");
    assert_eq!(
        verify_with(&token, &jwks(vec![wrong_kid]), &es256, &e, NOW),
        Err(IdTokenError::Signature(JwsError::NoKey("k1".into())))
    );
    // alg none, HMAC, and an algorithm the provider does not list are refused.
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none"}).to_string()),
        b64(good().to_string())
    );
    assert_eq!(
        verify_with(&unsigned, &jwks(vec![s.jwk()]), &es256, &e, NOW),
        Err(IdTokenError::Signature(JwsError::Unsigned))
    );
    let hs = s.sign(json!({"alg": "HS256", "kid": "k1"}), &good());
    assert_eq!(
        verify_with(&hs, &jwks(vec![s.jwk()]), &["HS256".to_owned()], &e, NOW),
        Err(IdTokenError::Signature(JwsError::UnsupportedAlgorithm(
            "HS256".into()
        )))
    );
    assert_eq!(
        verify_with(&token, &jwks(vec![s.jwk()]), &[], &e, NOW),
        Err(IdTokenError::Signature(JwsError::AlgorithmNotOffered(
            "ES256".into()
        ))),
        "without a list only RS256 is accepted"
    );
    assert_eq!(
        verify_with("a.b", &jwks(vec![s.jwk()]), &es256, &e, NOW),
        Err(IdTokenError::Signature(JwsError::Malformed))
    );
}

#[test]
fn ed25519_tokens_verify_too() {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let input = format!(
        "{}.{}",
        b64(json!({"alg": "EdDSA"}).to_string()),
        b64(good().to_string())
    );
    let token = format!("{input}.{}", b64(key.sign(input.as_bytes())));
    let set = jwks(vec![
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key().as_ref())}),
    ]);
    let eddsa = ["EdDSA".to_owned()];
    assert!(verify_with(&token, &set, &eddsa, &expected(), NOW).is_ok());
}
