//! IT admins: sign people out at their identity provider with the admin's own credential
//! (issue #18) — the admin calls are the profile's `[provider.admin]` steps, run by the same
//! engine (retries, rate limits, answer rules) as a person's own sign-out. The credential is
//! stored once in the keychain (`signoff admin login`), never read from argv or files.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::Serialize;

use super::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::Report;
use crate::error::{Error, Result};
use crate::outcome::{Outcome, Reason, ReasonKind};
use crate::profile::{AdminCredential, Profile, Protocol};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

named!(
    /// What an admin sign-out of one person came to.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AdminOutcome {
        /// The provider accepted the sign-out: the person's sessions are ending.
        Ended,
        /// The provider knows no such person.
        NotFound,
        /// The provider could not be reached or asked to wait longer than this run.
        Pending,
        /// The provider refused (its reason is kept): a person must look.
        Failed,
    }
);

/// The receipt for one person.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminReceipt {
    pub provider: String,
    pub user: String,
    pub result: AdminOutcome,
    #[serde(flatten)]
    pub report: Report,
}

/// What an admin sign-out of one person would call (a dry run).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminPlan {
    pub provider: String,
    pub user: String,
    pub calls: Vec<crate::api::CallView>,
    /// Why this person cannot be signed out as given (nothing would be called).
    pub problem: Option<String>,
    pub note: Option<String>,
}

/// How many people are signed out at once. Providers document per-minute limits, which the
/// engine's rate-limit handling honours; this bounds the requests in flight.
const IN_FLIGHT: usize = 8;

impl Signoff {
    /// Stores a provider's admin credential (an API token, a client secret, a service account
    /// key) in the keychain, apart from the client secret of people's own sign-outs.
    pub fn set_admin_secret(
        &self,
        provider_id: &str,
        secret: SecretString,
        actor: Actor,
    ) -> Result<()> {
        let profile = self.providers().get(provider_id)?.clone();
        if profile.admin.is_none() {
            return Err(no_admin(&profile));
        }
        if secret.is_blank() {
            return Err(Error::invalid("admin credential", "is empty"));
        }
        let secret = SecretString::new(secret.expose_secret().trim().to_owned());
        self.vault()?
            .put_client_secret(&admin_key(provider_id), &secret)?;
        self.store
            .append_audit(&AuditEntry::new(actor, Action::SetAdminSecret).provider(provider_id))?;
        Ok(())
    }

    /// The provider's profile and its admin part, complete, or why it cannot sign people out.
    fn admin_profile(&self, provider_id: &str) -> Result<(Profile, crate::profile::AdminProfile)> {
        let profile = self.providers().get(provider_id)?.clone();
        let admin = profile.admin.clone().ok_or_else(|| no_admin(&profile))?;
        if let Some(why) = &admin.incomplete {
            return Err(Error::invalid("provider", why.clone()));
        }
        Ok((profile, admin))
    }

    /// What signing `users` out at `provider` would call, without a credential or any call.
    pub fn admin_sign_out_preview(
        &self,
        provider_id: &str,
        users: &[String],
    ) -> Result<Vec<AdminPlan>> {
        let (profile, admin) = self.admin_profile(provider_id)?;
        Ok(users
            .iter()
            .map(|user| {
                let (calls, problem) = match admin.steps_for(user) {
                    Ok(steps) => (
                        steps
                            .into_iter()
                            .map(|step| {
                                crate::api::CallView::from(&crate::engine::PlannedCall {
                                    kind: crate::outcome::CallKind::Step,
                                    step,
                                })
                            })
                            .collect(),
                        None,
                    ),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                };
                AdminPlan {
                    provider: profile.id.clone(),
                    user: user.trim().to_owned(),
                    calls,
                    problem,
                    note: admin.note.clone(),
                }
            })
            .collect())
    }

    /// Signs each of `users` out at `provider` as its admin, reporting each receipt as it is
    /// ready; every one is in the audit log with the admin as actor.
    pub async fn admin_sign_out(
        self: &Arc<Self>,
        provider_id: &str,
        users: Vec<String>,
        actor: Actor,
        mut on_receipt: impl FnMut(&AdminReceipt),
    ) -> Result<Vec<AdminReceipt>> {
        let (profile, _) = self.admin_profile(provider_id)?;
        let key = admin_key(provider_id);
        let secret = self
            .blocking(move |core| core.vault()?.client_secret(&key))
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "admin credential",
                    format!("none stored for {provider_id}: run `signoff admin login {provider_id}` first"),
                )
            })?;
        let token = self.admin_token(&profile, &secret).await?;
        let tokens = Arc::new(TokenBundle {
            access_token: Some(token),
            ..TokenBundle::default()
        });
        let profile = Arc::new(profile);
        let mut runs = futures_util::stream::iter(users)
            .map(|user| {
                let (core, profile, tokens) =
                    (Arc::clone(self), Arc::clone(&profile), Arc::clone(&tokens));
                async move { core.admin_sign_out_one(&profile, &tokens, user).await }
            })
            .buffer_unordered(IN_FLIGHT);
        let mut receipts = Vec::new();
        while let Some(receipt) = runs.next().await {
            let mut entry = AuditEntry::new(actor, Action::AdminSignOut)
                .provider(&receipt.provider)
                .report(&receipt.report);
            entry.label = Some(receipt.user.clone());
            self.blocking(move |core| core.store.append_audit(&entry))
                .await?;
            on_receipt(&receipt);
            receipts.push(receipt);
        }
        Ok(receipts)
    }

    /// One person: the admin steps with `{user}` filled in, through the engine.
    async fn admin_sign_out_one(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        user: String,
    ) -> AdminReceipt {
        let admin = profile.admin.as_ref().expect("checked by the caller");
        let report = match admin.steps_for(&user) {
            Err(e) => Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string())),
            Ok(steps) => {
                let calls = Profile {
                    protocol: Protocol::Steps,
                    steps,
                    probe: None,
                    issuer: None,
                    incomplete: None,
                    ..profile.clone()
                };
                let mut report = self.engine().revoke(&calls, tokens, None, false).await;
                if report.note.is_none() {
                    report.note = admin.note.clone();
                }
                report
            }
        };
        let result = match (report.outcome, report.error.as_ref().map(|e| e.kind())) {
            (o, _) if o.is_done() => AdminOutcome::Ended,
            (Outcome::Pending, _) => AdminOutcome::Pending,
            (_, Some(ReasonKind::UserNotFound)) => AdminOutcome::NotFound,
            _ => AdminOutcome::Failed,
        };
        AdminReceipt {
            provider: profile.id.clone(),
            user,
            result,
            report,
        }
    }

    /// The bearer of the admin calls: the API token itself, or one the token endpoint gives
    /// for the client's secret (RFC 6749 §4.4).
    async fn admin_token(&self, profile: &Profile, secret: &SecretString) -> Result<SecretString> {
        let admin = profile.admin.as_ref().expect("checked by the caller");
        match admin.credential {
            AdminCredential::ApiToken => Ok(secret.clone()),
            AdminCredential::ClientCredentials => {
                let url = admin.token_url.clone().expect("resolved with the profile");
                let client_id = profile.client_id.clone().ok_or_else(|| {
                    Error::invalid(
                        "client_id",
                        format!("set client_id for provider {:?} (the admin app's id) in providers.toml", profile.id),
                    )
                })?;
                // Through the one HTTP call of the core (no redirects, https or loopback only,
                // the secret kept out of errors), read as every token answer is.
                let mut call = crate::http::Call::post(&url)
                    .field("grant_type", "client_credentials")
                    .authenticate_as(
                        crate::profile::ClientAuth::Basic,
                        Some(&client_id),
                        Some(secret),
                    );
                if let Some(s) = &admin.scope {
                    call = call.field("scope", s.as_str());
                }
                if let Some(a) = &admin.audience {
                    call = call.field("audience", a.as_str());
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
                    .and_then(|(tokens, _)| tokens.access_token);
                access.ok_or_else(|| {
                    let v: serde_json::Value =
                        serde_json::from_slice(&answer.body).unwrap_or_default();
                    refused(format!(
                        "refused the admin credential (HTTP {}{})",
                        answer.status,
                        v.get("error")
                            .and_then(|e| e.as_str())
                            .map(|e| format!(
                                ", {}",
                                crate::outcome::clean(e, &[secret.expose_secret()], 64)
                            ))
                            .unwrap_or_default()
                    ))
                })
            }
            AdminCredential::ServiceAccount => Err(Error::invalid(
                "admin credential",
                "service-account sign-in (Google) is not built yet",
            )),
        }
    }
}

/// Why a provider cannot sign people out as an admin: its profile has no admin part.
fn no_admin(profile: &Profile) -> Error {
    Error::invalid(
        "provider",
        format!(
            "{} has no admin sign-out in Signoff's catalogue",
            profile.label
        ),
    )
}

/// The keychain name of a provider's admin credential.
fn admin_key(provider_id: &str) -> String {
    format!("admin-{provider_id}")
}
