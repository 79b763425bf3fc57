//! IT admins: sign people out at their identity provider with the admin's own credential
//! (issue #18) — the admin calls are the profile's `[provider.admin]` steps, run by the same
//! engine (retries, rate limits, answer rules) as a person's own sign-out. The credential is
//! stored once in the keychain (`signoff admin login`), never read from argv or files.

mod assertion;
mod find;
mod token;

pub use find::{AdminMatch, AdminSession};

use std::sync::Arc;

use futures_util::StreamExt;
use serde::Serialize;

use super::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::Report;
use crate::error::{Error, Result};
use crate::outcome::{Outcome, Reason, ReasonKind};
use crate::profile::{Profile, Protocol};
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
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminReceipt {
    pub provider: String,
    pub user: String,
    /// The provider's ids of the people signed out (what a lookup found for `user`).
    pub ids: Vec<String>,
    pub result: AdminOutcome,
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
    /// `None` when the provider has no way to list them (Okta, Microsoft, Google).
    pub sessions: Option<Vec<AdminSession>>,
    /// Why the person could not be looked up (or their sessions listed): the provider's reason.
    pub problem: Option<crate::outcome::Reason>,
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
        if profile.admin.as_ref().map(|a| a.credential)
            == Some(crate::profile::AdminCredential::ServiceAccount)
        {
            // Refused now, not at the first sign-out: the key file must be one.
            assertion::ServiceAccount::from_key_file(&secret)?;
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
                    if finders.is_empty() {
                        calls.extend(admin.steps_for(user)?.into_iter().map(view));
                    } else {
                        // The calls take the id the lookup finds.
                        calls.extend(admin.steps.iter().map(|s| {
                            let mut c = view(s.clone());
                            c.url = c.url.replace(crate::profile::USER_SEGMENT, "{id}");
                            c
                        }));
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

    /// Signs each of `users` out at `provider` as its admin, reporting each receipt as it is
    /// ready; every one is in the audit log with the admin as actor.
    pub async fn admin_sign_out(
        self: &Arc<Self>,
        provider_id: &str,
        users: Vec<String>,
        actor: Actor,
        mut on_receipt: impl FnMut(&AdminReceipt),
    ) -> Result<Vec<AdminReceipt>> {
        let mut seen = std::collections::HashSet::new();
        let users: Vec<String> = users
            .into_iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| seen.insert(u.clone()))
            .collect();
        let (profile, tokens) = self.admin_bearer(provider_id).await?;
        let tokens = Arc::new(tokens);
        let profile = Arc::new(profile);
        // The list is kept as it runs: a run stopped before its end resumes here.
        let run = {
            let (provider, users) = (profile.id.clone(), users.clone());
            self.blocking(move |core| core.store.start_admin_run(&provider, &users))
                .await?
        };
        let mut receipts = Vec::new();
        let mut todo = Vec::new();
        for (position, user, done) in run.people {
            match done.and_then(|r| serde_json::from_str::<AdminReceipt>(&r).ok()) {
                Some(mut receipt) => {
                    receipt.resumed = true;
                    on_receipt(&receipt);
                    receipts.push((position, receipt));
                }
                None => todo.push((position, user)),
            }
        }
        let pace = profile
            .admin
            .as_ref()
            .and_then(|a| a.per_minute)
            .map(|n| Arc::new(Pace::per_minute(n)));
        let mut runs = futures_util::stream::iter(todo)
            .map(|(position, user)| {
                let (core, profile, tokens, pace) = (
                    Arc::clone(self),
                    Arc::clone(&profile),
                    Arc::clone(&tokens),
                    pace.clone(),
                );
                async move {
                    if let Some(pace) = &pace {
                        pace.wait(calls_per_person(&profile, &user)).await;
                    }
                    (
                        position,
                        core.admin_sign_out_one(&profile, &tokens, user).await,
                    )
                }
            })
            .buffer_unordered(IN_FLIGHT);
        while let Some((position, receipt)) = runs.next().await {
            let mut entry = AuditEntry::new(actor, Action::AdminSignOut)
                .provider(&receipt.provider)
                .report(&receipt.report);
            entry.label = Some(receipt.user.clone());
            let kept = serde_json::to_string(&receipt).unwrap_or_default();
            let run_id = run.id.clone();
            self.blocking(move |core| {
                core.store.append_audit(&entry)?;
                core.store.finish_admin_person(&run_id, position, &kept)
            })
            .await?;
            on_receipt(&receipt);
            receipts.push((position, receipt));
        }
        let run_id = run.id;
        self.blocking(move |core| core.store.finish_admin_run(&run_id))
            .await?;
        receipts.sort_by_key(|(position, _)| *position);
        Ok(receipts.into_iter().map(|(_, r)| r).collect())
    }

    /// The profile and the admin's bearer token for its calls, from the credential stored by
    /// `signoff admin login`.
    async fn admin_bearer(self: &Arc<Self>, provider_id: &str) -> Result<(Profile, TokenBundle)> {
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
        let (token, bearer) = self.admin_token(&profile, &secret).await?;
        let mut profile = profile;
        if bearer {
            // A service app's token goes where the API token's scheme went: as a bearer.
            if let Some(admin) = profile.admin.as_mut() {
                let steps = admin
                    .steps
                    .iter_mut()
                    .chain(admin.find.iter_mut().map(|f| &mut f.step))
                    .chain(admin.sessions.iter_mut().map(|s| &mut s.step))
                    .chain(
                        admin
                            .each
                            .iter_mut()
                            .flat_map(|e| [&mut e.list, &mut e.call]),
                    );
                for step in steps {
                    step.send = crate::profile::Placement::Bearer;
                }
            }
        }
        Ok((
            profile,
            TokenBundle {
                access_token: Some(token),
                ..TokenBundle::default()
            },
        ))
    }

    /// Looks `user` up at `provider` as its admin: who matches, and the sessions the provider
    /// lists for them. Nothing is signed out.
    pub async fn admin_lookup(
        self: &Arc<Self>,
        provider_id: &str,
        user: &str,
    ) -> Result<AdminPerson> {
        let (profile, tokens) = self.admin_bearer(provider_id).await?;
        let admin = profile.admin.as_ref().expect("checked by admin_bearer");
        let mut person = AdminPerson {
            provider: profile.id.clone(),
            user: user.trim().to_owned(),
            matches: Vec::new(),
            sessions: None,
            problem: None,
            note: admin.note.clone(),
        };
        match self.admin_find(&profile, admin, &tokens, user).await {
            Err(report) => person.problem = report.error,
            Ok((matches, _)) => {
                if !admin.sessions.is_empty() {
                    match self
                        .admin_list_sessions(&profile, admin, &tokens, &matches)
                        .await
                    {
                        Ok(list) => person.sessions = Some(list),
                        Err(report) => person.problem = report.error,
                    }
                }
                person.matches = matches;
            }
        }
        Ok(person)
    }

    /// One person: found (where the profile looks people up), then the admin steps with
    /// `{user}` filled in, through the engine.
    async fn admin_sign_out_one(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        user: String,
    ) -> AdminReceipt {
        let admin = profile.admin.as_ref().expect("checked by the caller");
        let (ids, report) = match self.admin_find(profile, admin, tokens, &user).await {
            Err(report) => (Vec::new(), report),
            Ok((matches, attempts)) => {
                let mut reports = Vec::new();
                for m in &matches {
                    reports.push(self.admin_calls(profile, admin, tokens, &m.id).await);
                }
                let mut report = merged(reports);
                report.attempts += attempts;
                (matches.into_iter().map(|m| m.id).collect(), report)
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
            user: user.trim().to_owned(),
            ids,
            result,
            resumed: false,
            report,
        }
    }

    /// The admin steps for the provider's id `id`, through the engine.
    async fn admin_calls(
        &self,
        profile: &Profile,
        admin: &crate::profile::AdminProfile,
        tokens: &TokenBundle,
        id: &str,
    ) -> Report {
        match admin.steps_for(id) {
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
                if report.outcome.is_done() && !admin.each.is_empty() {
                    report = self.admin_each(profile, admin, tokens, id, report).await;
                }
                if report.note.is_none() {
                    report.note = admin.note.clone();
                }
                report
            }
        }
    }

    /// The `each` calls for the person `id` after their steps ended (`report`): one per item
    /// of each listing, each read by its answer rules. Ended only when every one ended.
    async fn admin_each(
        &self,
        profile: &Profile,
        admin: &crate::profile::AdminProfile,
        tokens: &TokenBundle,
        id: &str,
        mut report: Report,
    ) -> Report {
        let mut done = Vec::new();
        for each in &admin.each {
            let mut ended = Vec::new();
            let items = match self
                .admin_items(
                    profile,
                    tokens,
                    &each.list,
                    id,
                    &each.items,
                    each.having.as_deref(),
                )
                .await
            {
                Ok(items) => items,
                Err(mut r) => {
                    r.attempts += report.attempts;
                    return r;
                }
            };
            for item in items {
                let Some(value) = item.pointer(&each.item).and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }) else {
                    continue;
                };
                let step = match crate::profile::fill_user(&each.call, id).and_then(|s| {
                    crate::profile::fill_placeholder(&s, crate::profile::ITEM_SEGMENT, &value)
                }) {
                    Ok(step) => step,
                    Err(e) => {
                        return Report::failed(Reason::new(
                            ReasonKind::InvalidInput,
                            e.to_string(),
                        ));
                    }
                };
                let calls = Profile {
                    protocol: Protocol::Steps,
                    steps: vec![step],
                    probe: None,
                    issuer: None,
                    incomplete: None,
                    ..profile.clone()
                };
                let r = self.engine().revoke(&calls, tokens, None, false).await;
                report.attempts += r.attempts;
                if !r.outcome.is_done() {
                    return Report {
                        attempts: report.attempts,
                        ..r
                    };
                }
                ended.push(crate::outcome::clean(&value, &[], 80));
            }
            if !ended.is_empty() {
                done.push(format!("{} ({})", each.call.name, ended.join(", ")));
            }
        }
        if !done.is_empty() {
            let said = format!("Also done: {}.", done.join("; "));
            report.note = Some(match (&report.note, &admin.note) {
                (Some(n), _) | (None, Some(n)) => format!("{n} {said}"),
                (None, None) => said,
            });
        }
        report
    }
}

/// How many calls one person's sign-out makes (its lookups and its steps), for the pace.
fn calls_per_person(profile: &Profile, user: &str) -> u32 {
    profile.admin.as_ref().map_or(1, |a| {
        let finds = u32::from(!a.finders_for(user).is_empty());
        u32::try_from(a.steps.len())
            .unwrap_or(u32::MAX)
            .saturating_add(finds)
    })
}

/// The provider's documented request rate: at most `n` calls a minute, in bursts of at most
/// [`IN_FLIGHT`].
#[derive(Debug)]
struct Pace(governor::DefaultDirectRateLimiter);

impl Pace {
    fn per_minute(n: std::num::NonZeroU32) -> Self {
        let burst = std::num::NonZeroU32::new(IN_FLIGHT as u32)
            .expect("not zero")
            .min(n);
        Self(governor::RateLimiter::direct(
            governor::Quota::per_minute(n).allow_burst(burst),
        ))
    }

    /// Waits until `calls` more fit in the rate.
    async fn wait(&self, calls: u32) {
        let Some(calls) = std::num::NonZeroU32::new(calls) else {
            return;
        };
        // More calls at once than the burst allows: taken one by one.
        if self.0.until_n_ready(calls).await.is_err() {
            for _ in 0..calls.get() {
                self.0.until_ready().await;
            }
        }
    }
}

/// One report for the sign-outs of several matches of one person: ended only when each ended;
/// else the first that failed, or else the first still pending.
fn merged(reports: Vec<Report>) -> Report {
    let attempts = reports.iter().map(|r| r.attempts).sum();
    let worst = reports
        .iter()
        .position(|r| r.outcome == Outcome::Failed)
        .or_else(|| reports.iter().position(|r| !r.outcome.is_done()))
        .unwrap_or(0);
    let mut report = reports
        .into_iter()
        .nth(worst)
        .unwrap_or_else(|| Report::new(Outcome::AlreadyRevoked));
    report.attempts = attempts;
    report
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
