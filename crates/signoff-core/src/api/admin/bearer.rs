//! The admin's bearer for one provider (issue #18): the credential from the keychain, the token
//! it gives (see `token.rs`), refreshed shortly before it expires or once a call says 401, and
//! kept in memory for the process's next admin action with the same credential (so the
//! window's find, sign-out and look again mint one token, not three). Never written anywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::super::Signoff;
use super::admin_key;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// A token this close to its expiry is replaced before use.
const MARGIN: Duration = Duration::from_secs(30);

/// The tokens of the admin calls, and when they stop working.
#[derive(Debug, Clone)]
struct Current {
    tokens: Arc<TokenBundle>,
    expires: Option<Instant>,
    /// Counts refreshes, so concurrent callers that saw the same 401 refresh once.
    generation: u64,
}

/// One provider's admin bearer.
#[derive(Debug)]
pub(super) struct Bearer {
    /// The provider's profile, its admin calls sent the way this token goes.
    pub profile: Arc<Profile>,
    /// The admin part as the profile says, to know when it changed.
    settings: Option<crate::profile::AdminProfile>,
    secret: SecretString,
    /// The token is exchanged at a token endpoint (and can be refreshed).
    exchanged: bool,
    current: tokio::sync::Mutex<Current>,
}

/// The bearers made in this process, by provider.
#[derive(Debug, Default)]
pub(crate) struct Bearers(Mutex<HashMap<String, Arc<Bearer>>>);

impl Bearer {
    /// The tokens to use now (a fresh one first when this one is about to expire), and its
    /// generation for [`Self::refreshed`].
    pub async fn tokens(&self, core: &Signoff) -> Result<(Arc<TokenBundle>, u64)> {
        let mut current = self.current.lock().await;
        if self.exchanged
            && current
                .expires
                .is_some_and(|at| Instant::now() + MARGIN >= at)
        {
            *current = self.fetch(core, current.generation + 1).await?;
        }
        Ok((Arc::clone(&current.tokens), current.generation))
    }

    /// Fresh tokens after a 401 on `seen` (unless another caller refreshed since). `None`
    /// when this credential is not exchanged: an API token cannot be refreshed.
    pub async fn refreshed(&self, core: &Signoff, seen: u64) -> Result<Option<Arc<TokenBundle>>> {
        if !self.exchanged {
            return Ok(None);
        }
        let mut current = self.current.lock().await;
        if current.generation == seen {
            *current = self.fetch(core, seen + 1).await?;
        }
        Ok(Some(Arc::clone(&current.tokens)))
    }

    async fn fetch(&self, core: &Signoff, generation: u64) -> Result<Current> {
        let (token, _, lifetime) = core.admin_token(&self.profile, &self.secret).await?;
        Ok(Current {
            tokens: Arc::new(TokenBundle {
                access_token: Some(token),
                ..TokenBundle::default()
            }),
            expires: lifetime.map(|d| Instant::now() + d),
            generation,
        })
    }
}

impl Signoff {
    /// The admin bearer of `provider_id`, from the credential stored by `signoff admin
    /// login`: the one this process already has while the credential and the profile are the
    /// same, else a new one (its first token fetched now).
    pub(super) async fn admin_bearer(self: &Arc<Self>, provider_id: &str) -> Result<Arc<Bearer>> {
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
        let known = self
            .admin_bearers
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(provider_id)
            .cloned();
        if let Some(b) = known
            && b.secret.expose_secret() == secret.expose_secret()
            && b.settings == profile.admin
        {
            return Ok(b);
        }
        let (token, bearer, lifetime) = self.admin_token(&profile, &secret).await?;
        let settings = profile.admin.clone();
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
        let exchanged = bearer
            || profile
                .admin
                .as_ref()
                .is_some_and(|a| a.credential != crate::profile::AdminCredential::ApiToken);
        let b = Arc::new(Bearer {
            profile: Arc::new(profile),
            settings,
            secret,
            exchanged,
            current: tokio::sync::Mutex::new(Current {
                tokens: Arc::new(TokenBundle {
                    access_token: Some(token),
                    ..TokenBundle::default()
                }),
                expires: lifetime.map(|d| Instant::now() + d),
                generation: 0,
            }),
        });
        self.admin_bearers
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(provider_id.to_owned(), Arc::clone(&b));
        Ok(b)
    }
}
