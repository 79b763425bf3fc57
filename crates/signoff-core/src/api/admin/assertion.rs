//! Signed assertions of the admin's own key (issue #18): a Google service account's JSON key
//! file for the JWT bearer grant (RFC 7523 §2.1: `iss` the account, `sub` the admin it acts
//! as, `scope`, `aud` the token endpoint), and an OAuth service app's private key (PEM or JWK)
//! for `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9: `iss` =
//! `sub` = the client id; Okta's service apps). RS256 with `ring`, an hour at most; the key
//! never leaves this module, and no error names any part of it.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// How long an assertion is good for: Google and Okta take at most an hour.
const LIFETIME_SECS: u64 = 3600;

/// Why a key is refused, in words that name no part of it.
fn refused(what: &'static str, why: &str) -> Error {
    Error::invalid(what, why.to_owned())
}

/// An RSA private key and its key id.
pub(super) struct PrivateKey {
    key: RsaKeyPair,
    kid: Option<String>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The private parts of an RSA JWK (RFC 7518 §6.3), as base64url text.
#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    kid: Option<String>,
    n: SecretString,
    e: SecretString,
    d: SecretString,
    p: SecretString,
    q: SecretString,
    dp: SecretString,
    dq: SecretString,
    qi: SecretString,
}

impl PrivateKey {
    /// A PKCS #8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    fn from_pem(pem: &str, kid: Option<String>, what: &'static str) -> Result<Self> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PRIVATE KEY-----")
            .collect();
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|_| refused(what, "expected a PEM private key (BEGIN PRIVATE KEY)"))?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|_| refused(what, "expected an RSA private key in PKCS #8"))?;
        Ok(Self { key, kid })
    }

    /// An RSA private JWK, or a PEM private key: what an OAuth service app's console gives.
    pub fn parse(text: &SecretString) -> Result<Self> {
        const WHAT: &str = "private key";
        let text = text.expose_secret().trim();
        if text.starts_with('{') {
            let jwk: RsaJwk = serde_json::from_str(text).map_err(|_| {
                refused(
                    WHAT,
                    "expected an RSA private JWK (kty, n, e, d, p, q, dp, dq, qi)",
                )
            })?;
            if jwk.kty != "RSA" {
                return Err(refused(WHAT, "the JWK is not an RSA key"));
            }
            let b =
                |v: &SecretString| URL_SAFE_NO_PAD.decode(v.expose_secret().trim_end_matches('='));
            let parts = (|| {
                Ok::<_, base64::DecodeError>(KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: b(&jwk.n)?,
                        e: b(&jwk.e)?,
                    },
                    d: b(&jwk.d)?,
                    p: b(&jwk.p)?,
                    q: b(&jwk.q)?,
                    dP: b(&jwk.dp)?,
                    dQ: b(&jwk.dq)?,
                    qInv: b(&jwk.qi)?,
                })
            })()
            .map_err(|_| refused(WHAT, "the JWK's values are not base64url"))?;
            let key = RsaKeyPair::from_components(&parts)
                .map_err(|_| refused(WHAT, "the JWK is not a usable RSA private key"))?;
            return Ok(Self { key, kid: jwk.kid });
        }
        Self::from_pem(text, None, WHAT)
    }

    /// True when `text` looks like a private key rather than an API token.
    pub fn looks_like_one(text: &SecretString) -> bool {
        let t = text.expose_secret().trim_start();
        t.starts_with("-----BEGIN") || (t.starts_with('{') && t.contains("\"kty\""))
    }

    /// The signed JWT of `claims` (`exp` set an hour after `iat`).
    fn sign(&self, mut claims: serde_json::Value, now: u64) -> Result<SecretString> {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = kid.as_str().into();
        }
        claims["iat"] = now.into();
        claims["exp"] = (now + LIFETIME_SECS).into();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| refused("private key", "the key could not sign"))?;
        Ok(SecretString::new(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }

    /// A `private_key_jwt` client assertion for `client_id` at the token endpoint `aud`.
    pub fn client_assertion(&self, client_id: &str, aud: &str, now: u64) -> Result<SecretString> {
        self.sign(
            serde_json::json!({
                "iss": client_id,
                "sub": client_id,
                "aud": aud,
                "jti": uuid::Uuid::new_v4().to_string(),
            }),
            now,
        )
    }
}

/// The parts of a key file Signoff uses.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    client_email: String,
    private_key_id: Option<String>,
    private_key: SecretString,
}

/// A service account's identity and key, read from its key file.
#[derive(Debug)]
pub(super) struct ServiceAccount {
    pub client_email: String,
    key: PrivateKey,
}

impl ServiceAccount {
    /// Reads a service account's JSON key file (as Google's console downloads it).
    pub fn from_key_file(text: &SecretString) -> Result<Self> {
        const WHAT: &str = "service account key";
        let file: KeyFile = serde_json::from_str(text.expose_secret()).map_err(|_| {
            refused(
                WHAT,
                "expected the service account's JSON key file (type, client_email, private_key)",
            )
        })?;
        if file.kind != "service_account" {
            return Err(refused(
                WHAT,
                "the key file's type is not \"service_account\"",
            ));
        }
        if !file.client_email.contains('@') {
            return Err(refused(
                WHAT,
                "the key file's client_email is not an e-mail address",
            ));
        }
        let key =
            PrivateKey::from_pem(file.private_key.expose_secret(), file.private_key_id, WHAT)?;
        Ok(Self {
            client_email: file.client_email,
            key,
        })
    }

    /// A signed assertion for `aud`, acting as `subject` with `scope`, issued at `now`.
    pub fn assertion(
        &self,
        aud: &str,
        subject: Option<&str>,
        scope: Option<&str>,
        now: u64,
    ) -> Result<SecretString> {
        let mut claims = serde_json::json!({"iss": self.client_email, "aud": aud});
        if let Some(sub) = subject {
            claims["sub"] = sub.into();
        }
        if let Some(scope) = scope {
            claims["scope"] = scope.into();
        }
        self.key.sign(claims, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_that_is_not_one_is_refused_without_echoing_it() {
        for text in [
            "not json at all -----BEGIN PRIVATE KEY----- c2VjcmV0",
            r#"{"type":"authorized_user","client_email":"a@b","private_key":"x"}"#,
            r#"{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nc2VjcmV0IHNlY3JldA==\n-----END PRIVATE KEY-----\n"}"#,
        ] {
            let e = ServiceAccount::from_key_file(&SecretString::new(text.into())).unwrap_err();
            let said = e.to_string();
            assert!(
                !said.contains("c2VjcmV0") && !said.contains("secret"),
                "{said}"
            );
            let e = PrivateKey::parse(&SecretString::new(text.into())).unwrap_err();
            let said = e.to_string();
            assert!(
                !said.contains("c2VjcmV0") && !said.contains("secret"),
                "{said}"
            );
        }
    }

    /// A throwaway RSA key from openssl, as PEM and as the JWK of the same numbers.
    fn openssl_key() -> (String, String) {
        let pem = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("openssl");
        let pem = String::from_utf8(pem.stdout).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, &pem).unwrap();
        let text = std::process::Command::new("openssl")
            .args(["pkey", "-noout", "-text", "-in"])
            .arg(&path)
            .output()
            .expect("openssl");
        let text = String::from_utf8(text.stdout).unwrap();
        // "modulus:" then lines of hex bytes "00:c3:…"; "publicExponent: 65537 (0x10001)".
        let field = |name: &str| -> Vec<u8> {
            let mut lines = text.lines().skip_while(|l| !l.starts_with(name));
            lines.next();
            let hex: String = lines
                .take_while(|l| l.starts_with(' '))
                .flat_map(|l| l.trim().split(':'))
                .filter(|h| !h.is_empty())
                .collect();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            bytes.into_iter().skip_while(|b| *b == 0).collect()
        };
        let b = |v: Vec<u8>| URL_SAFE_NO_PAD.encode(v);
        let jwk = serde_json::json!({
            "kty": "RSA", "kid": "k-2026", "e": "AQAB",
            "n": b(field("modulus:")), "d": b(field("privateExponent:")),
            "p": b(field("prime1:")), "q": b(field("prime2:")),
            "dp": b(field("exponent1:")), "dq": b(field("exponent2:")), "qi": b(field("coefficient:")),
        });
        (pem, jwk.to_string())
    }

    #[test]
    fn a_service_app_s_key_as_pem_or_jwk_signs_a_client_assertion_that_verifies() {
        let (pem, jwk) = openssl_key();
        let mut publics = Vec::new();
        for text in [&pem, &jwk] {
            let secret = SecretString::new(text.clone());
            assert!(PrivateKey::looks_like_one(&secret));
            let key = PrivateKey::parse(&secret).unwrap();
            let jwt = key
                .client_assertion(
                    "0oa1app",
                    "https://acme.okta.com/oauth2/v1/token",
                    1_764_600_000,
                )
                .unwrap();
            let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
            let claims: serde_json::Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
            assert_eq!(
                (claims["iss"].as_str(), claims["sub"].as_str()),
                (Some("0oa1app"), Some("0oa1app"))
            );
            assert_eq!(
                claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
                3600
            );
            // The signature verifies with the key's public half.
            let public = key.key.public().as_ref().to_vec();
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                &public,
            )
            .verify(
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .expect("RS256 verifies");
            publics.push(public);
        }
        assert_eq!(publics[0], publics[1], "the JWK is the same key as the PEM");
        assert!(!PrivateKey::looks_like_one(&SecretString::new(
            "00aBcDeF-okta-api-token".into()
        )));
    }
}
