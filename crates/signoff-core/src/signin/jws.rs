//! Checking a JWS signature (RFC 7515, compact form) against a JSON Web Key Set (RFC 7517) with
//! `ring`, the cryptography rustls already brings into Signoff.
//!
//! Why this is written here and not taken from a crate (weighed in issue #15): `openidconnect`
//! 4.1 brings `oauth2` 5, `chrono`, `serde_with` and the RustCrypto `rsa`/`p256`/`p384`/
//! `ed25519-dalek` stack and wants its own discovery and HTTP types (Signoff keeps its own);
//! `jsonwebtoken` 10 and later dropped `ring` (their back ends are aws-lc-rs, a C build, or that
//! same RustCrypto stack, whose `rsa` carries RUSTSEC-2023-0071), and `jsonwebtoken` 9.3 (the
//! last on `ring`) is affected by CVE-2026-25537. What is left to write is small and has no
//! cryptography of its own: split the token, pick the key, map the algorithm name to `ring`'s
//! verifier. Only asymmetric algorithms are accepted (`none` and the HMAC family never are).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;

/// Why a signature does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("it is not a signed JWT")]
    Malformed,
    #[error("it is unsigned (alg none)")]
    Unsigned,
    #[error("it is signed with {0}, which Signoff does not accept")]
    UnsupportedAlgorithm(String),
    #[error("it is signed with {0}, which the provider does not list for ID tokens")]
    AlgorithmNotOffered(String),
    #[error("the provider publishes no key that fits it (kid {0})")]
    NoKey(String),
    #[error("its signature does not match the provider's keys")]
    BadSignature,
}

/// A JSON Web Key Set as a provider publishes it at its `jwks_uri`.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key (the members Signoff reads; private members are never read).
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub crv: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

/// The algorithms Signoff verifies, with the key type each needs.
fn verifier(alg: &str) -> Option<(&'static str, Verifier)> {
    use Verifier::{Ec, Ed, Rsa};
    Some(match alg {
        "RS256" => ("RSA", Rsa(&signature::RSA_PKCS1_2048_8192_SHA256)),
        "RS384" => ("RSA", Rsa(&signature::RSA_PKCS1_2048_8192_SHA384)),
        "RS512" => ("RSA", Rsa(&signature::RSA_PKCS1_2048_8192_SHA512)),
        "PS256" => ("RSA", Rsa(&signature::RSA_PSS_2048_8192_SHA256)),
        "PS384" => ("RSA", Rsa(&signature::RSA_PSS_2048_8192_SHA384)),
        "PS512" => ("RSA", Rsa(&signature::RSA_PSS_2048_8192_SHA512)),
        "ES256" => ("EC", Ec("P-256", &signature::ECDSA_P256_SHA256_FIXED)),
        "ES384" => ("EC", Ec("P-384", &signature::ECDSA_P384_SHA384_FIXED)),
        "EdDSA" | "Ed25519" => ("OKP", Ed),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum Verifier {
    Rsa(&'static signature::RsaParameters),
    Ec(&'static str, &'static signature::EcdsaVerificationAlgorithm),
    Ed,
}

fn b64(part: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed)
}

/// Checks `jwt`'s signature with a key of `jwks` and returns its payload (the claims' bytes).
/// `offered` is the provider's `id_token_signing_alg_values_supported` (empty: RS256 only).
pub fn verify(jwt: &str, jwks: &Jwks, offered: &[String]) -> Result<Vec<u8>, JwsError> {
    let mut parts = jwt.split('.');
    let (Some(head), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let header: Header = serde_json::from_slice(&b64(head)?).map_err(|_| JwsError::Malformed)?;
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(JwsError::Unsigned);
    }
    if header.crit.is_some() {
        // RFC 7515 §4.1.11: extensions this verifier does not understand must fail it.
        return Err(JwsError::UnsupportedAlgorithm(format!(
            "{} with critical extensions",
            header.alg
        )));
    }
    let offered_ok = if offered.is_empty() {
        header.alg == "RS256"
    } else {
        offered.contains(&header.alg)
    };
    if !offered_ok {
        return Err(JwsError::AlgorithmNotOffered(header.alg));
    }
    let (kty, how) =
        verifier(&header.alg).ok_or_else(|| JwsError::UnsupportedAlgorithm(header.alg.clone()))?;
    let signature = b64(sig)?;
    let message = &jwt.as_bytes()[..head.len() + 1 + payload.len()];
    let candidates: Vec<&Jwk> = jwks
        .keys
        .iter()
        .filter(|k| k.kty == kty)
        .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == header.alg))
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .collect();
    if candidates.is_empty() {
        return Err(JwsError::NoKey(
            header.kid.unwrap_or_else(|| "none given".into()),
        ));
    }
    if candidates
        .iter()
        .any(|k| check(k, how, message, &signature).is_ok())
    {
        b64(payload)
    } else {
        Err(JwsError::BadSignature)
    }
}

fn check(key: &Jwk, how: Verifier, message: &[u8], sig: &[u8]) -> Result<(), JwsError> {
    let member = |m: &Option<String>| m.as_deref().ok_or(JwsError::BadSignature).and_then(b64);
    let bad = |_| JwsError::BadSignature;
    match how {
        Verifier::Rsa(params) => {
            let (n, e) = (member(&key.n)?, member(&key.e)?);
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, message, sig)
                .map_err(bad)
        }
        Verifier::Ec(curve, alg) => {
            if key.crv.as_deref() != Some(curve) {
                return Err(JwsError::BadSignature);
            }
            let mut point = vec![0x04];
            point.extend(member(&key.x)?);
            point.extend(member(&key.y)?);
            UnparsedPublicKey::new(alg, point)
                .verify(message, sig)
                .map_err(bad)
        }
        Verifier::Ed => {
            if key.crv.as_deref() != Some("Ed25519") {
                return Err(JwsError::BadSignature);
            }
            UnparsedPublicKey::new(&signature::ED25519, member(&key.x)?)
                .verify(message, sig)
                .map_err(bad)
        }
    }
}
