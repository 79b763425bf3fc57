//! What an IT admin's sign-out of a person at the identity provider is made of (issue #18): the
//! admin's own credential, how it becomes a bearer token, and the calls, each with `{user}` in
//! its path — steps like any other, read by the same answer rules. From `[provider.admin]`:
//!
//! ```toml
//! [provider.admin]
//! credential = "client_credentials"   # or "api_token", "service_account"
//! token_path = "/realms/{realm}/protocol/openid-connect/token"   # or token_url, token_host
//! scope = "…"                          # audience = "…" (Auth0)
//! [[provider.admin.step]]
//! method = "POST"
//! path = "/admin/realms/{realm}/users/{user}/logout"
//! token = "access_token"               # the admin's token
//! send = "bearer"                       # or authorization:SSWS (Okta API tokens)
//! answer = [{ status = 404, then = "failed", reason = "user_not_found" }]
//! ```

use percent_encoding::utf8_percent_encode;
use serde::{Deserialize, Serialize};
use url::Url;

use super::steps::{Context, RawStep, SEGMENT, Step, USER_SEGMENT};
use super::vocab::TokenKind;
use crate::error::{Error, Result};

named!(
    /// What the admin holds, and how it becomes the bearer of the admin calls.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AdminCredential {
        /// A long-lived API token, sent as it is (Okta's `SSWS` token).
        ApiToken,
        /// A service client's secret, exchanged at the token endpoint (RFC 6749 §4.4).
        ClientCredentials,
        /// A service account's private key, signed into a JWT and exchanged (RFC 7523; Google,
        /// with domain-wide delegation to an admin).
        ServiceAccount,
    }
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    credential: AdminCredential,
    token_path: Option<String>,
    token_url: Option<String>,
    token_host: Option<String>,
    scope: Option<String>,
    audience: Option<String>,
    /// What the admin should know about the result ("takes a few minutes").
    note: Option<String>,
    #[serde(default)]
    step: Vec<RawStep>,
}

/// An admin sign-out, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminProfile {
    pub credential: AdminCredential,
    /// Where a client secret or a service account's assertion becomes a token.
    pub token_url: Option<Url>,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub note: Option<String>,
    /// The calls, in order; each URL holds [`USER_SEGMENT`]. Empty while incomplete.
    pub steps: Vec<Step>,
    /// What admin sign-outs still need (a `{param}` only they use, such as Microsoft's tenant);
    /// the profile's own sign-out is not held up by it.
    pub incomplete: Option<String>,
}

/// The longest user id or e-mail an admin step takes.
const USER_LIMIT: usize = 320;

impl AdminProfile {
    /// The calls for one person: `{user}` filled in as one path segment.
    pub fn steps_for(&self, user: &str) -> Result<Vec<Step>> {
        let user = user.trim();
        if user.is_empty() || user.len() > USER_LIMIT || user.chars().any(char::is_control) {
            return Err(Error::invalid(
                "user",
                format!("expected a user id, login or e-mail of 1 to {USER_LIMIT} characters"),
            ));
        }
        let segment = utf8_percent_encode(user, SEGMENT).to_string();
        self.steps
            .iter()
            .map(|s| {
                let url = s.url.as_str().replace(USER_SEGMENT, &segment);
                let mut step = s.clone();
                step.url = Url::parse(&url)
                    .map_err(|_| Error::invalid("user", "does not fit in the provider's URL"))?;
                Ok(step)
            })
            .collect()
    }
}

impl RawAdmin {
    /// Checks the section. `Err` is the reason; params not set yet leave it incomplete.
    pub(super) fn resolve(
        &self,
        cx: &Context<'_>,
        id: &str,
    ) -> std::result::Result<AdminProfile, String> {
        let exchanged = self.credential != AdminCredential::ApiToken;
        let has_location = self.token_path.is_some() || self.token_url.is_some();
        if exchanged != has_location {
            return Err(if exchanged {
                format!(
                    "[provider.admin] credential = {:?} needs token_path or token_url",
                    self.credential.as_str()
                )
            } else {
                "[provider.admin] credential = \"api_token\" is sent as it is: no token_path or token_url".into()
            });
        }
        if self.step.is_empty() {
            return Err("[provider.admin] has no step".into());
        }
        let mut unfilled = Vec::new();
        let token_url = if has_location {
            let location = RawStep::location(
                self.token_path.clone(),
                self.token_url.clone(),
                self.token_host.clone(),
            );
            match location.resolve("the admin token endpoint", cx)? {
                Ok(step) => Some(step.url),
                Err(names) => {
                    unfilled.extend(names);
                    None
                }
            }
        } else {
            None
        };
        // The admin's token is the only credential of these calls: no client authentication.
        let admin_cx = Context {
            admin: true,
            client_auth: super::vocab::ClientAuth::None,
            ..*cx
        };
        let mut steps = Vec::new();
        for (i, raw) in self.step.iter().enumerate() {
            let what = format!("admin step {}", i + 1);
            if raw.token() != TokenKind::AccessToken {
                return Err(format!(
                    "{what} sends the admin's token: token = \"access_token\""
                ));
            }
            match raw.clone().resolve(&what, &admin_cx)? {
                Ok(step) => {
                    if !step.url.as_str().contains(USER_SEGMENT) {
                        return Err(format!("{what} needs `{{user}}` in its path"));
                    }
                    steps.push(step);
                }
                Err(names) => unfilled.extend(names),
            }
        }
        let incomplete = (!unfilled.is_empty()).then(|| {
            unfilled.sort();
            unfilled.dedup();
            format!(
                "set {} for provider {id:?} in providers.toml to sign people out as an admin",
                unfilled.join(" and ")
            )
        });
        if incomplete.is_some() {
            steps.clear();
        }
        Ok(AdminProfile {
            credential: self.credential,
            token_url: token_url.filter(|_| incomplete.is_none()),
            scope: self.scope.clone(),
            audience: self.audience.clone(),
            note: self.note.clone(),
            steps,
            incomplete,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::profile::ProfileSet;

    fn set(text: &str) -> ProfileSet {
        ProfileSet::parse_user_text(Path::new("providers.toml"), text)
    }

    #[test]
    fn okta_s_admin_call_takes_the_user_as_one_segment_and_its_api_token() {
        let s = set("[[provider]]\nid = \"okta\"\nparams = { org = \"acme.okta.com\" }\n");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let admin = s.get("okta").unwrap().admin.clone().unwrap();
        assert_eq!(admin.credential, super::AdminCredential::ApiToken);
        assert_eq!(admin.incomplete, None);
        let steps = admin.steps_for("ada/x@acme.test").unwrap();
        assert_eq!(
            steps[0].url.as_str(),
            "https://acme.okta.com/api/v1/users/ada%2Fx@acme.test/sessions?oauthTokens=true&forgetDevices=false"
        );
        assert_eq!(
            steps[0].send,
            crate::profile::Placement::Scheme("SSWS".into())
        );
        assert!(admin.steps_for(" ").is_err());
        assert!(admin.steps_for("a\nb").is_err());
    }

    #[test]
    fn microsoft_s_admin_waits_for_its_tenant_without_holding_up_the_profile() {
        let s = set("");
        let p = s.get("microsoft").unwrap();
        assert_eq!(p.incomplete, None);
        let admin = p.admin.clone().unwrap();
        assert!(admin.incomplete.unwrap().contains("params.tenant"));
        assert!(admin.steps.is_empty());
        let s = set(
            "[[provider]]\nid = \"microsoft\"\nparams = { tenant = \"contoso.onmicrosoft.com\" }\n",
        );
        let admin = s.get("microsoft").unwrap().admin.clone().unwrap();
        assert_eq!(
            admin.token_url.as_ref().unwrap().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            admin.steps_for("ada@contoso.com").unwrap()[0].url.as_str(),
            "https://graph.microsoft.com/v1.0/users/ada@contoso.com/revokeSignInSessions"
        );
        // A test server (or a proxy) as base_url takes every call, the token endpoint's too.
        let s = set(
            "[[provider]]\nid = \"microsoft\"\nbase_url = \"http://127.0.0.1:9\"\nparams = { tenant = \"t\" }\n",
        );
        let admin = s.get("microsoft").unwrap().admin.clone().unwrap();
        assert_eq!(
            admin.token_url.unwrap().as_str(),
            "http://127.0.0.1:9/t/oauth2/v2.0/token"
        );
    }

    #[test]
    fn a_bad_admin_section_is_a_problem_with_its_reason() {
        for (section, says) in [
            (
                "credential = \"api_token\"\ntoken_path = \"/t\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "no token_path",
            ),
            (
                "credential = \"client_credentials\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "needs token_path",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "needs `{user}`",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"refresh_token\"\nsend = \"bearer\"\n",
                "admin's token",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"authorization:Bearer\"\n",
                "other than Bearer",
            ),
            ("credential = \"api_token\"\n", "no step"),
        ] {
            let text = format!(
                "[[provider]]\nid = \"corp\"\nbase_url = \"https://idp.example\"\nends = \"nothing\"\n[provider.admin]\n{section}"
            );
            let s = set(&text);
            assert!(
                s.problems.iter().any(|p| p.reason.contains(says)),
                "{says}: {:?}",
                s.problems
            );
        }
    }
}
