//! A service account's key (Google's JSON key file) and the assertion it signs for the JWT
//! bearer grant (RFC 7523 §2.1): `iss` the account, `sub` the admin it acts as (domain-wide
//! delegation), `scope`, `aud` the token endpoint, an hour at most. RS256 with `ring`; the key
//! never leaves this module, and no error names any part of it.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// How long an assertion is good for: Google takes at most an hour.
const LIFETIME_SECS: u64 = 3600;

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
pub(super) struct ServiceAccount {
    pub client_email: String,
    key_id: Option<String>,
    key: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Why a key file is refused, in words that name no part of it.
fn refused(why: &str) -> Error {
    Error::invalid("service account key", why.to_owned())
}

impl ServiceAccount {
    /// Reads a service account's JSON key file (as Google's console downloads it).
    pub fn from_key_file(text: &SecretString) -> Result<Self> {
        let file: KeyFile = serde_json::from_str(text.expose_secret()).map_err(|_| {
            refused(
                "expected the service account's JSON key file (type, client_email, private_key)",
            )
        })?;
        if file.kind != "service_account" {
            return Err(refused("the key file's type is not \"service_account\""));
        }
        if !file.client_email.contains('@') {
            return Err(refused(
                "the key file's client_email is not an e-mail address",
            ));
        }
        let pem = file.private_key.expose_secret();
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PRIVATE KEY-----")
            .collect();
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|_| refused("the key file's private_key is not a PEM private key"))?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|_| refused("the key file's private_key is not an RSA key in PKCS #8"))?;
        Ok(Self {
            client_email: file.client_email,
            key_id: file.private_key_id,
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
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.as_str().into();
        }
        let mut claims = serde_json::json!({
            "iss": self.client_email,
            "aud": aud,
            "iat": now,
            "exp": now + LIFETIME_SECS,
        });
        if let Some(sub) = subject {
            claims["sub"] = sub.into();
        }
        if let Some(scope) = scope {
            claims["scope"] = scope.into();
        }
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
            .map_err(|_| refused("the key could not sign"))?;
        Ok(SecretString::new(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
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
        }
    }
}
