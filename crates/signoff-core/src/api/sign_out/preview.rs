//! The preview the sign-out confirmation shows: how many accounts, and for each provider
//! whether signing out ends the session there or only deletes the copy here. For `oidc`
//! profiles that depends on the provider's metadata, so it is discovered (and cached for the
//! sign-out that follows) instead of guessed.

use std::sync::Arc;

use serde::Serialize;

use super::{AccountFilter, Signoff};
use crate::engine::{Plan, plan};
use crate::error::Result;
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
}

/// What signing out these accounts will do.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignOutPreview {
    pub accounts: usize,
    /// In the order their first account is listed.
    pub providers: Vec<PreviewProvider>,
}

impl Signoff {
    /// What "sign out everywhere" with `filter` will do, provider by provider.
    pub async fn sign_out_preview(
        self: &Arc<Self>,
        filter: &AccountFilter,
    ) -> Result<SignOutPreview> {
        let accounts = self.covered(filter).await?;
        let profiles = self.providers();
        let mut providers: Vec<PreviewProvider> = Vec::new();
        for a in &accounts {
            match providers.iter_mut().find(|p| p.id == a.provider_id) {
                Some(p) => p.accounts += 1,
                None => providers.push(PreviewProvider {
                    id: a.provider_id.clone(),
                    label: profiles
                        .get(&a.provider_id)
                        .map_or_else(|_| a.provider_id.clone(), |p| p.label.clone()),
                    accounts: 1,
                    ends: Ends::Unknown,
                }),
            }
        }
        for p in &mut providers {
            if let Ok(profile) = profiles.get(&p.id) {
                p.ends = self.ends(profile).await;
            }
        }
        Ok(SignOutPreview {
            accounts: accounts.len(),
            providers,
        })
    }

    /// Where a sign-out at `profile` ends, planned for an account holding both tokens.
    async fn ends(&self, profile: &crate::profile::Profile) -> Ends {
        let engine = self.engine();
        let metadata = match (&profile.issuer, profile.protocol) {
            (Some(issuer), crate::profile::Protocol::Oidc) if profile.incomplete.is_none() => {
                match engine.discover(issuer).await {
                    Ok(m) => Some(m),
                    Err(_) => return Ends::Unknown,
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
            Ok(Plan::Calls { .. }) => Ends::AtProvider,
            Ok(Plan::Done { .. }) => Ends::OnlyHere,
            Err(_) => Ends::Unknown,
        }
    }
}
