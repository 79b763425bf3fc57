//! The admin's bearer token (issue #18): an API token as it is, or one the provider's token
//! endpoint gives for a service client's secret (RFC 6749 §4.4) or a service account's signed
//! assertion (RFC 7523). Through the core's one HTTP call: https or loopback only, no
//! redirects, the secret kept out of every error.

use super::super::Signoff;
use super::assertion::{PrivateKey, ServiceAccount};
use crate::error::{Error, Result};
use crate::profile::{AdminCredential, Profile};
use crate::secret::SecretString;

impl Signoff {
    /// The bearer of the admin calls: the API token itself, or one the token endpoint gives
    /// for the client's secret (RFC 6749 §4.4), a service account's assertion (RFC 7523 §2.1)
    /// or a service app's private key (`private_key_jwt`, in place of an API token). `true`
    /// when the token is a bearer where the profile's calls expected the API token's scheme.
    pub(super) async fn admin_token(
        &self,
        profile: &Profile,
        secret: &SecretString,
    ) -> Result<(SecretString, bool, Option<std::time::Duration>)> {
        let admin = profile.admin.as_ref().expect("checked by the caller");
        let service_app = admin.service_app.as_ref().filter(|_| {
            admin.credential == AdminCredential::ApiToken && PrivateKey::looks_like_one(secret)
        });
        let url = match (admin.credential, service_app) {
            (_, Some(app)) => app.token_url.clone(),
            (AdminCredential::ApiToken, None) => return Ok((secret.clone(), false, None)),
            _ => admin.token_url.clone().expect("resolved with the profile"),
        };
        let client_id = || {
            admin.client_id.clone().ok_or_else(|| {
                Error::invalid(
                    "client_id",
                    format!(
                        "set params.admin_client_id for provider {:?} (the admin app's id) in providers.toml",
                        profile.id
                    ),
                )
            })
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Through the one HTTP call of the core (no redirects, https or loopback only, the
        // secret kept out of errors), read as every token answer is.
        let assertion;
        let mut call = crate::http::Call::post(&url);
        match admin.credential {
            AdminCredential::ApiToken => {
                let app = service_app.expect("an API token returned above");
                let key = PrivateKey::parse(secret)?;
                assertion = key.client_assertion(&client_id()?, url.as_str(), now)?;
                call = call
                    .field("grant_type", "client_credentials")
                    .field(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    )
                    .field("client_assertion", assertion.expose_secret());
                if let Some(s) = &app.scope {
                    call = call.field("scope", s.as_str());
                }
            }
            AdminCredential::ClientCredentials => {
                let client_id = client_id()?;
                call = call
                    .field("grant_type", "client_credentials")
                    .authenticate_as(admin.token_auth, Some(&client_id), Some(secret));
                if let Some(a) = &admin.audience {
                    call = call.field("audience", a.as_str());
                }
                if let Some(s) = &admin.scope {
                    call = call.field("scope", s.as_str());
                }
            }
            AdminCredential::ServiceAccount => {
                let account = ServiceAccount::from_key_file(secret)?;
                assertion = account.assertion(
                    url.as_str(),
                    admin.subject.as_deref(),
                    admin.scope.as_deref(),
                    now,
                )?;
                call = call
                    .field("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                    .field("assertion", assertion.expose_secret());
            }
        }
        let refused = |detail: String| Error::SignIn {
            reason: format!("the admin token endpoint {detail}"),
        };
        let answer = call.send(self.http()).await.map_err(|e| match e {
            crate::http::CallError::Network(r) | crate::http::CallError::Refused(r) => {
                refused(format!("could not be reached: {r}"))
            }
        })?;
        let access = (200..300)
            .contains(&answer.status)
            .then(|| crate::signin::parse_token_answer(&answer.body))
            .flatten()
            .and_then(|(tokens, expires)| {
                let lifetime = expires.map(|at| {
                    std::time::Duration::try_from(at - time::OffsetDateTime::now_utc())
                        .unwrap_or_default()
                });
                tokens.access_token.map(|t| (t, lifetime))
            });
        let bearer = service_app.is_some();
        access
            .map(|(a, lifetime)| (a, bearer, lifetime))
            .ok_or_else(|| {
                let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
                let said = |k: &str| {
                    v.get(k)
                        .and_then(|e| e.as_str())
                        .map(|e| crate::outcome::clean(e, &[secret.expose_secret()], 120))
                };
                refused(format!(
                    "refused the admin credential (HTTP {}{}{})",
                    answer.status,
                    said("error").map(|e| format!(", {e}")).unwrap_or_default(),
                    said("error_description")
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default(),
                ))
            })
    }
}
