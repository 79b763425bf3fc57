//! IT admins: sign people out at their identity provider with the admin's own credential
//! (issue #18) — the admin calls are the profile's `[provider.admin]` steps, run by the same
//! engine (retries, rate limits, answer rules) as a person's own sign-out. The credential is
//! stored once in the keychain (`signoff admin login`), never read from argv or files.

mod assertion;
mod bearer;
mod find;
mod sign_out;
mod token;

pub(crate) use bearer::Bearers;

pub use find::{AdminMatch, AdminSession};

use std::sync::Arc;

use serde::Serialize;

use super::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::Report;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::secret::SecretString;

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
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminReceipt {
    pub provider: String,
    pub user: String,
    /// The provider's ids of the people signed out (what a lookup found for `user`).
    pub ids: Vec<String>,
    pub result: AdminOutcome,
    /// What was ended when not everything was (the calls' names): a partial sign-out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<String>,
    /// Done by an earlier run of the same list that was stopped before its end.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    #[serde(flatten)]
    pub report: Report,
}

/// A person as the provider knows them: who matched what the admin typed, and the sessions
/// the provider lists for them (where it can).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminPerson {
    pub provider: String,
    pub user: String,
    pub matches: Vec<AdminMatch>,
    /// The provider was asked who this is; false when it takes what was typed as it is
    /// (Google's e-mail or id), so the match is that text, not a person it confirmed.
    pub looked_up: bool,
    /// `None` when the provider has no way to list them (Okta, Microsoft).
    pub sessions: Option<Vec<AdminSession>>,
    /// Why the person could not be looked up (or their sessions listed): the provider's reason.
    pub problem: Option<crate::outcome::Reason>,
    /// The problem is passing: the provider could not be reached or asked to wait.
    pub pending: bool,
    pub note: Option<String>,
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

/// A provider whose admins can sign people out from here.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminProvider {
    pub id: String,
    pub label: String,
    /// The admin credential is in the keychain (`signoff admin login`).
    pub credential_stored: bool,
    /// The provider can list a person's sessions.
    pub lists_sessions: bool,
    /// What its profile still needs before admins can use it.
    pub incomplete: Option<String>,
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
        // Refused now, not at the first sign-out: a key must be one that signs.
        let admin = profile.admin.as_ref().expect("checked above");
        if admin.credential == crate::profile::AdminCredential::ServiceAccount {
            assertion::ServiceAccount::from_key_file(&secret)?;
        } else if assertion::PrivateKey::looks_like_one(&secret) {
            if admin.service_app.is_none()
                || admin.credential != crate::profile::AdminCredential::ApiToken
            {
                return Err(Error::invalid(
                    "admin credential",
                    format!(
                        "{} takes an API token or a client secret here, not a private key",
                        profile.label
                    ),
                ));
            }
            assertion::PrivateKey::parse(&secret)?;
            if admin.client_id.is_none() {
                return Err(Error::invalid(
                    "client_id",
                    format!(
                        "set params.admin_client_id for provider {:?} (the service app's id) in providers.toml",
                        profile.id
                    ),
                ));
            }
        }
        self.vault()?
            .put_client_secret(&admin_key(provider_id), &secret)?;
        self.store
            .append_audit(&AuditEntry::new(actor, Action::SetAdminSecret).provider(provider_id))?;
        Ok(())
    }

    /// The providers set up for admin sign-outs: an admin part in the profile and an admin
    /// credential in the keychain (`signoff admin login`; a catalogue entry alone is not
    /// offered).
    pub fn admin_providers(&self) -> Result<Vec<AdminProvider>> {
        let vault = self.vault()?;
        let mut list = Vec::new();
        for profile in &self.providers().profiles {
            let Some(admin) = &profile.admin else {
                continue;
            };
            let stored = vault.client_secret(&admin_key(&profile.id))?.is_some();
            if !stored {
                continue;
            }
            list.push(AdminProvider {
                id: profile.id.clone(),
                label: profile.label.clone(),
                credential_stored: stored,
                lists_sessions: !admin.sessions.is_empty(),
                incomplete: admin.incomplete.clone(),
            });
        }
        Ok(list)
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
        let view = |step: crate::profile::Step| {
            crate::api::CallView::from(&crate::engine::PlannedCall {
                kind: crate::outcome::CallKind::Step,
                step,
            })
        };
        Ok(users
            .iter()
            .map(|user| {
                let planned = || -> Result<Vec<crate::api::CallView>> {
                    let user = crate::profile::check_user(user)?;
                    let finders = admin.finders_for(user);
                    let mut calls = Vec::new();
                    for f in &finders {
                        calls.push(view(crate::profile::fill_user(&f.step, user)?));
                    }
                    // The calls take what was typed, or the id the lookup finds; the per-item
                    // calls are made for each item of their listing.
                    let shown = |s: &crate::profile::Step| {
                        let mut c = view(s.clone());
                        if finders.is_empty() {
                            if let Ok(filled) = crate::profile::fill_user(s, user) {
                                c = view(filled);
                            }
                        } else {
                            c.url = c.url.replace(crate::profile::USER_SEGMENT, "{id}");
                        }
                        c.url = c.url.replace(crate::profile::ITEM_SEGMENT, "{item}");
                        c
                    };
                    admin.steps_for(user)?;
                    calls.extend(admin.steps.iter().map(shown));
                    for each in &admin.each {
                        calls.push(shown(&each.list));
                        calls.push(shown(&each.call));
                    }
                    Ok(calls)
                };
                let (calls, problem) = match planned() {
                    Ok(calls) => (calls, None),
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

    /// Looks `user` up at `provider` as its admin: who matches, and the sessions the provider
    /// lists for them. Nothing is signed out.
    pub async fn admin_lookup(
        self: &Arc<Self>,
        provider_id: &str,
        user: &str,
    ) -> Result<AdminPerson> {
        let bearer = self.admin_bearer(provider_id).await?;
        let (tokens, _) = bearer.tokens(self).await?;
        let profile = &bearer.profile;
        let admin = profile.admin.as_ref().expect("checked by admin_bearer");
        let mut person = AdminPerson {
            provider: profile.id.clone(),
            user: user.trim().to_owned(),
            matches: Vec::new(),
            looked_up: !admin.finders_for(user.trim()).is_empty(),
            sessions: None,
            problem: None,
            pending: false,
            note: admin.note.clone(),
        };
        match self.admin_find(profile, admin, &tokens, user).await {
            Err(report) => {
                person.pending = report.outcome == crate::outcome::Outcome::Pending;
                person.problem = report.error;
            }
            Ok((matches, _)) => {
                if !admin.sessions.is_empty() {
                    match self
                        .admin_list_sessions(profile, admin, &tokens, &matches)
                        .await
                    {
                        Ok(list) => person.sessions = Some(list),
                        Err(report) => {
                            person.pending = report.outcome == crate::outcome::Outcome::Pending;
                            person.problem = report.error;
                        }
                    }
                }
                person.matches = matches;
            }
        }
        Ok(person)
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
