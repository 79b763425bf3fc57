//! An admin's sign-out of one person or a list (issue #18): each person found, then the
//! profile's admin calls one by one through the engine (so a receipt says what ended when not
//! everything did), then the per-item calls; eight people at a time, every call to a host
//! paced to the provider's documented rate; each receipt kept as it comes so a stopped list
//! resumes; the admin's token refreshed before it expires and once after a 401.

use std::sync::Arc;

use futures_util::StreamExt;

use super::bearer::Bearer;
use super::{AdminOutcome, AdminReceipt, IN_FLIGHT};
use crate::api::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::Report;
use crate::error::Result;
use crate::outcome::{Outcome, Reason, ReasonKind};
use crate::profile::{AdminProfile, Profile, Protocol, Step};
use crate::tokens::TokenBundle;

/// True when the provider ended what the call was for (a call that made no request, such as
/// a step that did not apply, is not).
fn ended(o: Outcome) -> bool {
    matches!(o, Outcome::Revoked | Outcome::AlreadyRevoked)
}

impl Signoff {
    /// Signs each of `users` out at `provider` as its admin, reporting each receipt as it is
    /// ready; every one is in the audit log with the admin as actor. A list stopped before its
    /// end (within a day, its process gone) resumes: those ended or not found then are not
    /// called again.
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
        let bearer = self.admin_bearer(provider_id).await?;
        let profile = Arc::clone(&bearer.profile);
        let admin = profile.admin.as_ref().expect("checked by admin_bearer");
        if let Some(n) = admin.per_minute {
            let burst = std::num::NonZeroU32::new(IN_FLIGHT as u32).expect("not zero");
            for url in admin
                .steps
                .iter()
                .chain(admin.find.iter().map(|f| &f.step))
                .chain(admin.each.iter().flat_map(|e| [&e.list, &e.call]))
                .map(|s| &s.url)
            {
                self.engine().set_rate(url, n, burst);
            }
        }
        // The list is kept as it runs: a run stopped before its end resumes here. Its
        // settings are the resolved calls, so a changed realm or tenant is another list.
        let run = {
            let (provider, users) = (profile.id.clone(), users.clone());
            let settings = serde_json::to_string(admin).unwrap_or_default();
            self.blocking(move |core| core.store.start_admin_run(&provider, &settings, &users))
                .await?
        };
        let mut receipts = Vec::new();
        let mut todo = Vec::new();
        for (position, user, kept) in run.people {
            let earlier = kept
                .and_then(|r| serde_json::from_str::<AdminReceipt>(&r).ok())
                .filter(|r| matches!(r.result, AdminOutcome::Ended | AdminOutcome::NotFound));
            match earlier {
                Some(mut receipt) => {
                    receipt.resumed = true;
                    on_receipt(&receipt);
                    receipts.push((position, receipt));
                }
                // Pending or failed then: tried again.
                None => todo.push((position, user)),
            }
        }
        let mut runs = futures_util::stream::iter(todo)
            .map(|(position, user)| {
                let (core, bearer) = (Arc::clone(self), Arc::clone(&bearer));
                async move { (position, core.admin_sign_out_one(&bearer, user).await) }
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

    /// One person with the admin's current token, once more with a fresh one when a call
    /// said 401 and the token can be refreshed.
    async fn admin_sign_out_one(&self, bearer: &Bearer, user: String) -> AdminReceipt {
        let profile = &bearer.profile;
        let mut receipt = match bearer.tokens(self).await {
            Ok((tokens, generation)) => {
                let receipt = self.admin_person(profile, &tokens, &user).await;
                if receipt.report.http_status == Some(401) && receipt.done.is_empty() {
                    match bearer.refreshed(self, generation).await {
                        Ok(Some(tokens)) => self.admin_person(profile, &tokens, &user).await,
                        Ok(None) => receipt,
                        Err(e) => failed(profile, &user, e.to_string()),
                    }
                } else {
                    receipt
                }
            }
            Err(e) => failed(profile, &user, e.to_string()),
        };
        let admin = profile.admin.as_ref().expect("checked by the caller");
        if receipt.result != AdminOutcome::Ended && !receipt.done.is_empty() {
            let partly = format!(
                "Partly done: {}; the rest was not, so the person may still be signed in.",
                receipt.done.join("; ")
            );
            receipt.report.note = Some(partly);
        }
        // The provider's word on what its sign-out does belongs to a sign-out that ended.
        if receipt.result == AdminOutcome::Ended && receipt.report.note.is_none() {
            receipt.report.note = admin.note.clone();
        } else if receipt.result == AdminOutcome::Ended
            && let (Some(n), Some(extra)) = (&admin.note, &receipt.report.note)
        {
            receipt.report.note = Some(format!("{n} {extra}"));
        }
        receipt
    }

    /// One person: found (where the profile looks people up), then the calls for each match.
    async fn admin_person(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        user: &str,
    ) -> AdminReceipt {
        let admin = profile.admin.as_ref().expect("checked by the caller");
        let (ids, report, done) = match self.admin_find(profile, admin, tokens, user).await {
            Err(report) => (Vec::new(), report, Vec::new()),
            Ok((matches, attempts)) => {
                let mut runs = Vec::new();
                for m in &matches {
                    runs.push(self.admin_calls(profile, admin, tokens, &m.id).await);
                }
                let (mut report, done) = merged(runs);
                report.attempts += attempts;
                (matches.into_iter().map(|m| m.id).collect(), report, done)
            }
        };
        let result = match (report.outcome, report.error.as_ref().map(|e| e.kind())) {
            (o, _) if ended(o) => AdminOutcome::Ended,
            (Outcome::Pending, _) => AdminOutcome::Pending,
            (_, Some(ReasonKind::UserNotFound)) => AdminOutcome::NotFound,
            _ => AdminOutcome::Failed,
        };
        AdminReceipt {
            provider: profile.id.clone(),
            user: user.trim().to_owned(),
            ids,
            result,
            done: if result == AdminOutcome::Ended {
                Vec::new()
            } else {
                done
            },
            resumed: false,
            report,
        }
    }

    /// The admin calls for the provider's id `id`, one at a time through the engine, then the
    /// per-item calls: the report of the first that did not end (or of the whole, ended), and
    /// the names of the calls that ended.
    async fn admin_calls(
        &self,
        profile: &Profile,
        admin: &AdminProfile,
        tokens: &TokenBundle,
        id: &str,
    ) -> (Report, Vec<String>) {
        let steps = match admin.steps_for(id) {
            Ok(steps) => steps,
            Err(e) => {
                return (
                    Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string())),
                    Vec::new(),
                );
            }
        };
        let mut done = Vec::new();
        let mut attempts = 0;
        let mut outcome = Outcome::AlreadyRevoked;
        for step in steps {
            let name = step.name.clone();
            let r = self.admin_call(profile, tokens, step).await;
            attempts += r.attempts;
            if !ended(r.outcome) {
                return (Report { attempts, ..r }, done);
            }
            if r.outcome == Outcome::Revoked {
                outcome = Outcome::Revoked;
            }
            done.push(name);
        }
        let mut items_done = Vec::new();
        for each in &admin.each {
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
                Err(r) => {
                    return (
                        Report {
                            attempts: attempts + r.attempts,
                            ..r
                        },
                        done,
                    );
                }
            };
            let mut ended_items = Vec::new();
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
                        return (
                            Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string())),
                            done,
                        );
                    }
                };
                let r = self.admin_call(profile, tokens, step).await;
                attempts += r.attempts;
                let shown = crate::outcome::clean(&value, &[], 80);
                if !ended(r.outcome) {
                    return (Report { attempts, ..r }, done);
                }
                done.push(format!("{} ({shown})", each.call.name));
                ended_items.push(shown);
            }
            if !ended_items.is_empty() {
                items_done.push(format!("{} ({})", each.call.name, ended_items.join(", ")));
            }
        }
        let mut report = Report::new(outcome);
        report.attempts = attempts;
        if !items_done.is_empty() {
            report.note = Some(format!("Also done: {}.", items_done.join("; ")));
        }
        (report, done)
    }

    /// One admin call through the engine (retries, rate limits, its answer rules).
    async fn admin_call(&self, profile: &Profile, tokens: &TokenBundle, step: Step) -> Report {
        let calls = Profile {
            protocol: Protocol::Steps,
            steps: vec![step],
            probe: None,
            issuer: None,
            incomplete: None,
            ..profile.clone()
        };
        self.engine().revoke(&calls, tokens, None, false).await
    }
}

/// A failed receipt for `user` that reached no call (the admin token could not be had).
fn failed(profile: &Profile, user: &str, why: String) -> AdminReceipt {
    AdminReceipt {
        provider: profile.id.clone(),
        user: user.trim().to_owned(),
        ids: Vec::new(),
        result: AdminOutcome::Failed,
        done: Vec::new(),
        resumed: false,
        report: Report::failed(Reason::new(ReasonKind::RefreshUnavailable, why)),
    }
}

/// One report for the sign-outs of several matches of one person: ended only when each ended;
/// else the first that failed, or else the first still pending. What ended is kept from all.
fn merged(runs: Vec<(Report, Vec<String>)>) -> (Report, Vec<String>) {
    let attempts = runs.iter().map(|(r, _)| r.attempts).sum();
    let several = runs.len() > 1;
    let worst = runs
        .iter()
        .position(|(r, _)| r.outcome == Outcome::Failed)
        .or_else(|| runs.iter().position(|(r, _)| !ended(r.outcome)))
        .unwrap_or(0);
    let mut done = Vec::new();
    let mut notes = Vec::new();
    for (r, d) in &runs {
        done.extend(d.iter().cloned());
        notes.extend(r.note.iter().cloned());
    }
    notes.dedup();
    let mut report = runs
        .into_iter()
        .nth(worst)
        .map(|(r, _)| r)
        .unwrap_or_else(|| Report::new(Outcome::AlreadyRevoked));
    report.attempts = attempts;
    if several && ended(report.outcome) && !notes.is_empty() {
        report.note = Some(notes.join(" "));
    }
    (report, done)
}
