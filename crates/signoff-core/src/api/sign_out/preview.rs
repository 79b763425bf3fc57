//! The preview the sign-out confirmation and `signoff signout --dry-run` show: which accounts,
//! and for each provider whether signing out ends the session there or only deletes the copy
//! here, which calls it makes (method, URL, which token where: never a token's value), what
//! dies at the provider, and where a person finishes what Signoff cannot. Nothing is called;
//! for `oidc` profiles the provider's public metadata is read (and cached for the sign-out that
//! follows) instead of guessed.

use std::sync::Arc;

use serde::Serialize;

use super::{AccountFilter, Signoff};
use crate::account::AccountId;
use crate::engine::{Plan, PlannedCall, plan};
use crate::error::Result;
use crate::found::Revoker;
use crate::profile::{Placement, Profile, WhatEnds};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// Where a provider's sign-out ends the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Ends {
    /// The provider is called and ends the session (or says it already had).
    AtProvider,
    /// The provider has no way to end it: the tokens are deleted here, the session lives on
    /// until it expires.
    OnlyHere,
    /// Not known before trying (the provider's metadata could not be read, the profile is
    /// missing or incomplete); the receipt will say.
    Unknown,
}

/// One provider's part of a sign-out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewProvider {
    pub id: String,
    pub label: String,
    pub accounts: usize,
    pub ends: Ends,
    /// What the sign-out ends at the provider, when its profile says.
    pub what_ends: Option<WhatEnds>,
    /// The calls an account holding a refresh and an access token gets, in order.
    pub calls: Vec<CallView>,
    /// Why nothing is called, or what is not known yet.
    pub note: Option<String>,
    /// The provider's page where a person finishes the job.
    pub manage_url: Option<String>,
    /// What else a person should know (AWS: issued role credentials live on).
    pub caveat: Option<String>,
}

/// One call a sign-out would make, without any token's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CallView {
    pub name: String,
    pub method: String,
    /// Where; `{token}` stands for a token sent in the path.
    pub url: String,
    /// `refresh_token`, `access_token` or `id_token`.
    pub token: String,
    /// Where the token goes, in words ("form field token", "Authorization: Bearer").
    pub sends: String,
}

impl From<&PlannedCall> for CallView {
    fn from(c: &PlannedCall) -> Self {
        let s = &c.step;
        let sends = match &s.send {
            Placement::Form(f) => format!("form field {f}"),
            Placement::Json(f) => format!("JSON field {f}"),
            Placement::Bearer => "Authorization: Bearer".into(),
            Placement::Header(h) => format!("header {h}"),
            Placement::Scheme(s) => format!("Authorization: {s}"),
            Placement::Path => "the URL's path".into(),
            Placement::Query(q) => format!("query parameter {q}"),
        };
        Self {
            name: s.name.clone(),
            method: s.method.as_str().into(),
            url: s
                .url
                .as_str()
                .replace(crate::profile::steps::TOKEN_SEGMENT, "{token}"),
            token: s.token.as_str().into(),
            sends,
        }
    }
}

/// One account a sign-out covers.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PreviewAccount {
    pub id: AccountId,
    pub label: String,
    pub provider: String,
}

/// What signing out these accounts will do.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignOutPreview {
    pub accounts: usize,
    /// In the order their first account is listed.
    pub providers: Vec<PreviewProvider>,
    /// Each account covered, oldest first.
    pub covered: Vec<PreviewAccount>,
}

impl Signoff {
    /// What "sign out everywhere" with `filter` will do, provider by provider; an id in the
    /// filter that names no account to sign out is [`Error::NotFound`](crate::error::Error).
    pub async fn sign_out_preview(
        self: &Arc<Self>,
        filter: &AccountFilter,
    ) -> Result<SignOutPreview> {
        let accounts = self.covered(filter).await?;
        if let Some(missing) = filter
            .ids
            .iter()
            .find(|id| !accounts.iter().any(|a| &a.id == *id))
        {
            return Err(crate::error::Error::NotFound {
                what: "account to sign out",
                id: missing.to_string(),
            });
        }
        let profiles = self.providers();
        let mut providers: Vec<PreviewProvider> = Vec::new();
        // Accounts group by what signs them out: the profile, or for a found session the
        // profile as its revoker points it (npm at that registry, GitHub as gh's app).
        let mut keys: Vec<String> = Vec::new();
        let mut targets: Vec<Target> = Vec::new();
        // The found sessions' rows in one read, not one per account.
        let mut rows: std::collections::HashMap<AccountId, crate::store::FoundRow> =
            if accounts.iter().any(|a| a.is_found()) {
                self.blocking(|core| core.store.found_rows())
                    .await?
                    .into_iter()
                    .map(|r| (r.account.clone(), r))
                    .collect()
            } else {
                Default::default()
            };
        for a in &accounts {
            let row = rows.remove(&a.id);
            // A local-only found session is named by where it was for (its provider is none).
            let where_ = row
                .as_ref()
                .map(|r| r.host.clone().unwrap_or_else(|| r.tool.label().to_owned()));
            let revoker = row.map(|r| r.revoker);
            let key = match &revoker {
                Some(r) => serde_json::to_string(r).unwrap_or_default(),
                None => a.provider_id.clone(),
            };
            if let Some(i) = keys.iter().position(|k| *k == key) {
                providers[i].accounts += 1;
                continue;
            }
            let target = match &revoker {
                Some(Revoker::LocalOnly { why, manage_url }) => Target::LocalOnly {
                    why: why.clone(),
                    manage_url: manage_url.as_ref().map(|u| u.to_string()),
                },
                Some(r) => r
                    .resolve(&profiles)
                    .ok()
                    .flatten()
                    .map_or(Target::Missing, |p| Target::Profile(Box::new(p))),
                None => profiles
                    .get(&a.provider_id)
                    .map_or(Target::Missing, |p| Target::Profile(Box::new(p.clone()))),
            };
            keys.push(key);
            providers.push(PreviewProvider {
                id: a.provider_id.clone(),
                label: match &target {
                    Target::Profile(p) => p.label.clone(),
                    _ => where_.unwrap_or_else(|| a.provider_id.clone()),
                },
                accounts: 1,
                ends: Ends::Unknown,
                what_ends: None,
                calls: Vec::new(),
                note: Some("no provider profile has this id".into()),
                manage_url: None,
                caveat: None,
            });
            targets.push(target);
        }
        for (p, target) in providers.iter_mut().zip(&targets) {
            match target {
                Target::Profile(profile) => self.plan_preview(profile, p).await,
                Target::LocalOnly { why, manage_url } => {
                    p.ends = Ends::OnlyHere;
                    p.what_ends = Some(WhatEnds::Nothing);
                    p.note = Some(why.clone());
                    p.manage_url = manage_url.clone();
                }
                Target::Missing => {}
            }
        }
        Ok(SignOutPreview {
            accounts: accounts.len(),
            providers,
            covered: accounts
                .iter()
                .map(|a| PreviewAccount {
                    id: a.id.clone(),
                    label: a.label.clone(),
                    provider: a.provider_id.clone(),
                })
                .collect(),
        })
    }

    /// Fills in where a sign-out at `profile` ends and what it calls, planned for an account
    /// holding both tokens.
    async fn plan_preview(&self, profile: &Profile, view: &mut PreviewProvider) {
        view.what_ends = profile.ends;
        view.manage_url = profile.manage_url.as_ref().map(|u| u.to_string());
        view.caveat = profile.caveat.clone();
        view.note = None;
        let engine = self.engine();
        let metadata = match (&profile.issuer, profile.protocol) {
            (Some(issuer), crate::profile::Protocol::Oidc) if profile.incomplete.is_none() => {
                match engine.discover(issuer).await {
                    Ok(m) => Some(m),
                    Err(v) => {
                        view.ends = Ends::Unknown;
                        view.note = Some(verdict_text(&v));
                        return;
                    }
                }
            }
            _ => None,
        };
        // Planning looks at which tokens there are, never at their values.
        let tokens = TokenBundle {
            refresh_token: Some(SecretString::new("refresh".into())),
            access_token: Some(SecretString::new("access".into())),
            id_token: None,
        };
        match plan(profile, &tokens, metadata.as_ref()) {
            Ok(Plan::Calls { calls, .. }) => {
                view.ends = Ends::AtProvider;
                view.calls = calls.iter().map(CallView::from).collect();
            }
            Ok(Plan::Done { note, .. }) => {
                view.ends = Ends::OnlyHere;
                view.what_ends = Some(WhatEnds::Nothing);
                view.note = Some(note);
            }
            Err(v) => {
                view.ends = Ends::Unknown;
                view.note = Some(verdict_text(&v));
            }
        }
    }
}

/// What signs a group of accounts out.
enum Target {
    Profile(Box<Profile>),
    LocalOnly {
        why: String,
        manage_url: Option<String>,
    },
    Missing,
}

/// A verdict reached without calling, in words.
fn verdict_text(v: &crate::outcome::Verdict) -> String {
    use crate::outcome::Verdict;
    match v {
        Verdict::Permanent(e) | Verdict::Retry { error: e, .. } => e.to_string(),
        Verdict::Ended(o) => o.as_str().to_owned(),
    }
}
