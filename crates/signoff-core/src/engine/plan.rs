//! Planning a sign-out, with no network: from a profile, the account's tokens and (for `oidc`
//! profiles) the provider's metadata, which calls to make, in which order, sending which token
//! where, or the outcome when there is nothing to call.

use std::borrow::Cow;

use url::Url;

use crate::discovery::Metadata;
use crate::http::Call;
use crate::outcome::{CallKind, Outcome, Reason, ReasonKind, Verdict};
use crate::profile::steps::{SEGMENT, TOKEN_SEGMENT};
use crate::profile::{Placement, Profile, Protocol, SignoutMode, Step, TokenKind, presets};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// Where a call puts its token (a summary of its step, for tests and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendAs {
    /// In this form field, with `token_type_hint` when set, and the client's authentication.
    Form {
        field: String,
        hint: Option<TokenKind>,
    },
    /// `Authorization: Bearer`, no client authentication.
    Bearer,
    /// Anywhere else a step can put it.
    Other(Placement),
}

/// One planned call: a step, with how its answer is read by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    /// Which preset it is (or a profile's own step).
    pub kind: CallKind,
    pub step: Step,
}

impl PlannedCall {
    /// Where it goes (before a `path` token is put in).
    pub fn url(&self) -> &Url {
        &self.step.url
    }

    /// Which of the account's tokens it sends (and ends).
    pub fn token_kind(&self) -> TokenKind {
        self.step.token
    }

    /// The token this call sends, from the account's bundle (planned calls only name tokens the
    /// bundle holds).
    pub fn token<'t>(&self, tokens: &'t TokenBundle) -> &'t SecretString {
        tokens
            .of(self.step.token)
            .expect("planned calls only name tokens the bundle holds")
    }

    /// Where the token goes, in short.
    pub fn send_as(&self) -> SendAs {
        match &self.step.send {
            Placement::Form(field) => SendAs::Form {
                field: field.clone(),
                hint: self
                    .step
                    .fields
                    .iter()
                    .find(|(k, _)| k == "token_type_hint")
                    .and_then(|(_, v)| v.parse().ok()),
            },
            Placement::Bearer => SendAs::Bearer,
            other => SendAs::Other(other.clone()),
        }
    }

    /// The HTTP request: the step's method, URL, body, headers, the token where the step says
    /// and the client's authentication as it says.
    pub fn to_http<'a>(
        &'a self,
        profile: &Profile,
        tokens: &TokenBundle,
        client_secret: Option<&SecretString>,
    ) -> Call<'a> {
        let s = &self.step;
        let token = self.token(tokens);
        let url = match &s.send {
            Placement::Path => {
                let mut url = s.url.clone();
                let path = s.url.path_segments().map(|segments| {
                    segments
                        .map(|seg| {
                            if seg == TOKEN_SEGMENT {
                                percent_encoding::utf8_percent_encode(
                                    token.expose_secret(),
                                    SEGMENT,
                                )
                                .to_string()
                            } else {
                                seg.to_owned()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("/")
                });
                url.set_path(&format!("/{}", path.unwrap_or_default()));
                Cow::Owned(url)
            }
            Placement::Query(name) => {
                let mut url = s.url.clone();
                url.query_pairs_mut()
                    .append_pair(name, token.expose_secret());
                Cow::Owned(url)
            }
            _ => Cow::Borrowed(&s.url),
        };
        let mut call = Call::new(s.method, url, s.body);
        if let Some(ct) = &s.content_type {
            call = call.content_type(ct);
        }
        if s.bearer_too {
            call = call.bearer(token);
        }
        call = match &s.send {
            Placement::Path | Placement::Query(_) => call.url_holds_secret(),
            Placement::Form(field) | Placement::Json(field) => call.secret_field(field, token),
            Placement::Bearer => call.bearer(token),
            Placement::Header(name) => call.secret_header(name, token),
            Placement::Scheme(scheme) => call.secret_header(
                "Authorization",
                &SecretString::new(format!("{scheme} {}", token.expose_secret())),
            ),
        };
        for (k, v) in &s.fields {
            call = call.field(k, v);
        }
        for (k, v) in &s.headers {
            call = call.header(k, v);
        }
        if let Some(r) = &s.rate_limit_reset {
            call = call.reset_header(&r.name);
        }
        call.authenticate_as(s.client_auth, profile.client_id.as_deref(), client_secret)
    }
}

/// What to do for one sign-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Make these calls in order; each must end its token for the sign-out to succeed.
    Calls {
        calls: Vec<PlannedCall>,
        /// Where `--verify` asks afterwards, if known.
        introspection: Option<Url>,
    },
    /// Nothing to call: the outcome is known already (`local_only`).
    Done { outcome: Outcome, note: String },
}

/// Plans the sign-out of `tokens` at `profile`. `metadata` is the provider's discovered
/// metadata (`oidc` profiles); endpoints in the profile win over discovered ones. `Err` is a
/// verdict reached without calling (an incomplete profile, a missing access token).
pub fn plan(
    profile: &Profile,
    tokens: &TokenBundle,
    metadata: Option<&Metadata>,
) -> Result<Plan, Verdict> {
    let p = profile;
    if let Some(why) = &p.incomplete {
        return Err(Verdict::Permanent(Reason::new(
            ReasonKind::ProfileIncomplete,
            why.clone(),
        )));
    }
    let revocation = p
        .revocation_endpoint
        .clone()
        .or_else(|| metadata.and_then(|m| m.revocation_endpoint.clone()));
    let introspection = p
        .introspection_endpoint
        .clone()
        .or_else(|| metadata.and_then(|m| m.introspection_endpoint.clone()));
    let local_only = |note: String| {
        Ok(Plan::Done {
            outcome: Outcome::LocalOnly,
            note,
        })
    };
    let calls = match (p.protocol, p.signout) {
        (Protocol::KeycloakLogout, SignoutMode::Logout) => {
            let url = p.logout_endpoint.clone().expect("checked at load");
            if let Some(rt) = &tokens.refresh_token {
                keycloak_token_is_ours(p, &url, rt)?;
            }
            match (&tokens.refresh_token, revocation) {
                (Some(_), _) => vec![PlannedCall {
                    kind: CallKind::KeycloakLogout,
                    step: presets::keycloak_logout(url, p.client_auth),
                }],
                (None, Some(r)) => revoke_calls(p, tokens, r),
                (None, None) => {
                    return local_only("the account has no refresh token to end the session with, and the provider has no revocation endpoint; the access token stays valid until it expires".into());
                }
            }
        }
        (Protocol::Steps, _) if p.steps.is_empty() => {
            return local_only(format!(
                "{} offers no way to end a session from here; the tokens were deleted on this computer, and the session lives on until it expires{}",
                p.label,
                finish_at(p)
            ));
        }
        (Protocol::Steps, _) => p
            .steps
            .iter()
            .filter(|s| {
                tokens
                    .of(s.token)
                    .is_some_and(|t| s.applies_to(t.expose_secret()))
            })
            .map(|s| PlannedCall {
                kind: CallKind::Step,
                step: s.clone(),
            })
            .collect(),
        (Protocol::BearerLogout, _) => {
            let url = p.logout_endpoint.clone().expect("checked at load");
            if tokens.access_token.is_none() {
                return Err(Verdict::Permanent(Reason::new(
                    ReasonKind::NoAccessToken,
                    "this provider logs out with an access token, and the account has none; sign in again, or forget the account locally",
                )));
            }
            vec![PlannedCall {
                kind: CallKind::BearerLogout,
                step: presets::bearer_logout(url),
            }]
        }
        _ => match revocation {
            Some(url) => revoke_calls(p, tokens, url),
            None => {
                let read = metadata
                    .map(|m| format!(" ({})", m.describe_sources()))
                    .unwrap_or_default();
                return local_only(format!(
                    "{} publishes no revocation endpoint{read}; the tokens were deleted here, and the server session lives on until it expires{}",
                    p.label,
                    finish_at(p)
                ));
            }
        },
    };
    if calls.is_empty() {
        return local_only(format!(
            "the account holds no token {} can revoke from here; it was deleted here only{}",
            p.label,
            finish_at(p)
        ));
    }
    Ok(Plan::Calls {
        calls,
        introspection,
    })
}

/// Where a person finishes what Signoff could not, for a `local_only` note.
fn finish_at(p: &Profile) -> String {
    p.manage_url
        .as_ref()
        .map(|u| format!(" (end it at {u})"))
        .unwrap_or_default()
}

/// Keycloak ends a session only for the client the refresh token was issued to, in its realm:
/// for another client it answers `invalid_grant` and the session lives on. When the token is a
/// JWT (Keycloak's are), its `azp` must be the profile's client and its `iss` the realm the
/// logout endpoint belongs to; a mismatch is refused before calling, with the token kept.
fn keycloak_token_is_ours(
    profile: &Profile,
    logout: &Url,
    token: &SecretString,
) -> Result<(), Verdict> {
    let Some(claims) = crate::jwt::unverified_claims(token.expose_secret()) else {
        return Ok(());
    };
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str());
    let mismatch = |why: String| {
        Err(Verdict::Permanent(Reason::new(
            ReasonKind::ClientMismatch,
            why,
        )))
    };
    if let (Some(azp), Some(ours)) = (text("azp"), profile.client_id.as_deref())
        && azp != ours
    {
        return mismatch(format!(
            "this account's refresh token was issued to the client {azp:?}, not to {ours:?}: {} would refuse to end its session for this client, so the token was kept; sign out where it was signed in, or fix the profile's client_id",
            profile.label
        ));
    }
    if let (Some(iss), Some(realm)) = (text("iss"), realm_of(logout.path())) {
        let token_realm = url::Url::parse(iss)
            .ok()
            .and_then(|u| realm_of(u.path()).map(str::to_owned));
        if token_realm.as_deref() != Some(realm) {
            return mismatch(format!(
                "this account's refresh token belongs to another realm ({iss}) than the profile's logout endpoint ({realm}): the session cannot be ended there, so the token was kept"
            ));
        }
    }
    Ok(())
}

/// The realm in a Keycloak path: the segment after `/realms/`.
fn realm_of(path: &str) -> Option<&str> {
    let rest = path.split("/realms/").nth(1)?;
    rest.split('/').next().filter(|r| !r.is_empty())
}

/// RFC 7009 revocations at `url`: the refresh token first (it ends the grant), then the access
/// token; only the profile's hinted kind when it names one.
fn revoke_calls(profile: &Profile, tokens: &TokenBundle, url: Url) -> Vec<PlannedCall> {
    let kinds: &[TokenKind] = match &profile.token_type_hint {
        Some(k) => std::slice::from_ref(k),
        None => &[TokenKind::RefreshToken, TokenKind::AccessToken],
    };
    kinds
        .iter()
        .filter(|k| tokens.of(**k).is_some())
        .map(|&k| PlannedCall {
            kind: CallKind::Revocation,
            step: presets::revoke(url.clone(), k, profile.client_auth),
        })
        .collect()
}

#[cfg(test)]
mod tests;
