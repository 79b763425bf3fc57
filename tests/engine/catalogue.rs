//! The catalogue's built-in profiles, each signed out through the shipped engine against a test
//! server that follows that provider's documentation (`tests/providers/src/<id>.rs`, from
//! docs/catalogue.md). The profile is always the BUILT-IN one: the test only adds what a person
//! would set in providers.toml (`base_url` pointing at the server, the client id, params), so
//! each test proves the built-in's steps, not steps written here.

use std::time::Duration;

use signoff_core::engine::Receipt;
use signoff_core::outcome::{Outcome, Reason, ReasonKind};
use signoff_core::profile::Profile;
use signoff_tests::servers::{self, Busy, Fault, TestServer};

use crate::{SignOutJob, assert_no_secret, engine, job, profile, tokens};

const CLIENT_ID: &str = "app-1";
const CLIENT_SECRET: &str = "client-secret-1";

/// A built-in profile as a person points it at `server`: its id, `base_url` (the server, plus
/// `under`), and the `settings` lines they add (client id, params).
struct Builtin {
    profile: Profile,
    secret: Option<&'static str>,
}

impl Builtin {
    fn new(id: &str, server: &TestServer, under: &str, settings: &str) -> Self {
        let base = format!("{}{under}", server.base.as_str().trim_end_matches('/'));
        let toml = format!("[[provider]]\nid = \"{id}\"\nbase_url = \"{base}\"\n{settings}\n");
        let profile = profile(&toml, id);
        assert_eq!(profile.incomplete, None, "{id}");
        assert!(
            !profile.steps.is_empty(),
            "{id} signs out with its built-in steps"
        );
        Self {
            profile,
            secret: None,
        }
    }

    /// The client secret the person stored (`signoff provider secret <id>`).
    fn secret(mut self, secret: &'static str) -> Self {
        self.secret = Some(secret);
        self
    }

    /// Signs out an account holding `held` (`("refresh_token", "…")`, `("access_token", "…")`)
    /// and checks that no token and no client secret is in the receipt.
    async fn sign_out(&self, held: &[(&str, &str)]) -> Receipt {
        let fields: Vec<String> = held
            .iter()
            .map(|(k, v)| format!("\"{k}\":\"{v}\""))
            .collect();
        let bundle = tokens(&format!("{{{}}}", fields.join(",")));
        let r = engine()
            .sign_out(&job(&self.profile, bundle, self.secret))
            .await;
        let mut secrets: Vec<&str> = held.iter().map(|(_, v)| *v).collect();
        secrets.extend(self.secret);
        assert_no_secret(&r, &secrets);
        r
    }
}

fn rt(token: &str) -> (&'static str, &str) {
    ("refresh_token", token)
}

fn at(token: &str) -> (&'static str, &str) {
    ("access_token", token)
}

/// The reason of a receipt that is not an end.
fn reason(r: &Receipt) -> &Reason {
    r.report.error.as_ref().expect("a failed receipt says why")
}

/// The provider asked to wait about a second (its reset header or `Retry-After`), and the
/// engine's own backoff (at most 200 ms in these tests) did not replace that wait.
fn waited_as_asked(server: &TestServer) {
    let waited = server.first_wait();
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}, before the provider's reset"
    );
}

// Slack: HTTP 200 either way, the body's `ok` and `error` say what happened.

async fn slack() -> (TestServer, Builtin) {
    let server = servers::slack().await;
    let p = Builtin::new("slack", &server, "/api", "");
    (server, p)
}

#[tokio::test]
async fn slack_revokes_with_auth_revoke_and_reads_ok_true_in_the_200() {
    let (server, slack) = slack().await;
    server.issue("xoxp-live-1");
    let r = slack.sign_out(&[at("xoxp-live-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("xoxp-live-1"));
    assert_eq!(server.paths(), ["/api/auth.revoke"]);
}

#[tokio::test]
async fn slack_token_revoked_in_a_200_is_already_revoked() {
    let (server, slack) = slack().await;
    server.revoke_elsewhere("xoxp-gone-1");
    let r = slack.sign_out(&[at("xoxp-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(server.paths(), ["/api/auth.revoke"], "no probe needed");
}

#[tokio::test]
async fn slack_invalid_auth_that_auth_test_cannot_settle_keeps_the_token() {
    let (server, slack) = slack().await;
    // A token Slack does not know: invalid_auth, which can also mean "not from an address the
    // workspace allows". auth.test answers the same, so nothing says the session is over.
    let r = slack.sign_out(&[at("xoxp-unknown-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::Ambiguous, "{r:?}");
    assert_eq!(server.paths(), ["/api/auth.revoke", "/api/auth.test"]);
}

#[tokio::test]
async fn slack_429_is_retried_after_its_retry_after() {
    let (server, slack) = slack().await;
    server.issue("xoxp-live-2");
    server.busy_next(1, Busy::RateLimited);
    let r = slack.sign_out(&[at("xoxp-live-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(r.report.attempts, 2);
    waited_as_asked(&server);
}

#[tokio::test]
async fn slack_ok_false_with_another_error_is_failed_once_and_the_token_kept() {
    let (server, slack) = slack().await;
    server.issue_foreign("xoxp-policy-1");
    let r = slack.sign_out(&[at("xoxp-policy-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).code(), "access_denied");
    assert_eq!(server.seen().len(), 1, "never retried");
}

// Dropbox: a bearer and no body; 401 with an error tag.

async fn dropbox() -> (TestServer, Builtin) {
    let server = servers::dropbox().await;
    let p = Builtin::new("dropbox", &server, "", "");
    (server, p)
}

#[tokio::test]
async fn dropbox_revokes_the_access_token_and_with_it_the_refresh_token() {
    let (server, dropbox) = dropbox().await;
    server.issue_grant(&["dbx-rt-1", "sl.dbx-at-1"]);
    let r = dropbox.sign_out(&[rt("dbx-rt-1"), at("sl.dbx-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(200));
    assert!(server.is_ended("sl.dbx-at-1") && server.is_ended("dbx-rt-1"));
    assert_eq!(server.paths(), ["/2/auth/token/revoke"]);
}

#[tokio::test]
async fn dropbox_invalid_access_token_is_already_revoked() {
    let (server, dropbox) = dropbox().await;
    server.revoke_elsewhere("sl.dbx-gone-1");
    let r = dropbox.sign_out(&[at("sl.dbx-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(401));
}

#[tokio::test]
async fn dropbox_429_is_retried_after_its_retry_after() {
    let (server, dropbox) = dropbox().await;
    server.issue("sl.dbx-at-2");
    server.busy_next(1, Busy::RateLimited);
    let r = dropbox.sign_out(&[at("sl.dbx-at-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn dropbox_expired_access_token_is_failed_once_as_expired() {
    let (server, dropbox) = dropbox().await;
    server.issue_expired("sl.dbx-old-1");
    let r = dropbox.sign_out(&[at("sl.dbx-old-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::TokenExpired);
    assert_eq!(server.seen().len(), 1, "never retried");
}

// Google: a form `token`, no client; 400 invalid_token for a token that is gone.

async fn google() -> (TestServer, Builtin) {
    let server = servers::google().await;
    let p = Builtin::new("google", &server, "", "");
    (server, p)
}

#[tokio::test]
async fn google_revoking_the_refresh_token_ends_the_grant() {
    let (server, google) = google().await;
    server.issue_grant(&["1//g-rt-1", "ya29.g-at-1"]);
    let r = google.sign_out(&[rt("1//g-rt-1"), at("ya29.g-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("1//g-rt-1") && server.is_ended("ya29.g-at-1"));
    // The access token's own call finds it gone with its grant (400 invalid_token).
    assert_eq!(server.paths(), ["/revoke", "/revoke"]);
    assert_eq!(
        server.seen()[0].form.get("token").map(String::as_str),
        Some("1//g-rt-1")
    );
}

#[tokio::test]
async fn google_invalid_token_is_already_revoked() {
    let (server, google) = google().await;
    server.revoke_elsewhere("1//g-gone-1");
    let r = google.sign_out(&[rt("1//g-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(400));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn google_429_is_retried_after_its_retry_after() {
    let (server, google) = google().await;
    server.issue("1//g-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = google.sign_out(&[rt("1//g-rt-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn google_400_that_is_not_invalid_token_is_failed_once_and_the_token_kept() {
    let (server, google) = google().await;
    server.issue("1//g-rt-3");
    server.fail_next(1, Fault::Malformed);
    let r = google.sign_out(&[rt("1//g-rt-3")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("1//g-rt-3"));
}

// Auth0: a JSON body with the client; 200 with an error body for a token that is gone.

/// The built-in `auth0` pointed at `server`, with the person's client secret if any.
fn auth0_at(server: &TestServer, secret: Option<&'static str>) -> Builtin {
    let settings =
        format!("client_id = \"{CLIENT_ID}\"\nparams = {{ tenant = \"acme.eu.auth0.com\" }}");
    Builtin {
        secret,
        ..Builtin::new("auth0", server, "", &settings)
    }
}

async fn auth0(secret: Option<&'static str>) -> (TestServer, Builtin) {
    let server = servers::auth0(CLIENT_ID, secret).await;
    let p = auth0_at(&server, secret);
    (server, p)
}

#[tokio::test]
async fn auth0_revokes_the_refresh_token_of_a_confidential_application() {
    let (server, auth0) = auth0(Some(CLIENT_SECRET)).await;
    server.issue("a0-rt-1");
    let r = auth0.sign_out(&[rt("a0-rt-1"), at("eyJ.a0-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("a0-rt-1"));
    assert_eq!(
        server.paths(),
        ["/oauth/revoke"],
        "access tokens are JWTs: not revoked"
    );
}

#[tokio::test]
async fn auth0_revokes_the_refresh_token_of_a_native_application_without_a_secret() {
    let (server, auth0) = auth0(None).await;
    server.issue("a0-rt-2");
    let r = auth0.sign_out(&[rt("a0-rt-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("a0-rt-2"));
}

#[tokio::test]
async fn auth0_error_in_a_200_is_already_revoked() {
    let (server, auth0) = auth0(Some(CLIENT_SECRET)).await;
    server.revoke_elsewhere("a0-gone-1");
    let r = auth0.sign_out(&[rt("a0-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(200));
}

#[tokio::test]
async fn auth0_429_waits_until_its_x_ratelimit_reset() {
    let (server, auth0) = auth0(Some(CLIENT_SECRET)).await;
    server.issue("a0-rt-3");
    server.busy_next(1, Busy::RateLimited);
    let r = auth0.sign_out(&[rt("a0-rt-3")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn auth0_wrong_client_secret_is_failed_once_and_the_token_kept() {
    let server = servers::auth0(CLIENT_ID, Some(CLIENT_SECRET)).await;
    let auth0 = auth0_at(&server, Some("another-secret"));
    server.issue("a0-rt-4");
    let r = auth0.sign_out(&[rt("a0-rt-4")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).code(), "invalid_client");
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("a0-rt-4"));
}

// Okta: RFC 7009 with the app's client authentication; 200 for any token; X-Rate-Limit-Reset.

fn okta_at(server: &TestServer) -> Builtin {
    let settings = format!("client_id = \"{CLIENT_ID}\"\nparams = {{ org = \"acme.okta.com\" }}");
    Builtin::new("okta", server, "", &settings)
}

#[tokio::test]
async fn okta_revokes_both_tokens_with_basic_client_credentials() {
    let server = servers::okta(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue("okta-rt-1");
    server.issue("okta-at-1");
    let okta = okta_at(&server).secret(CLIENT_SECRET);
    let r = okta.sign_out(&[rt("okta-rt-1"), at("okta-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("okta-rt-1") && server.is_ended("okta-at-1"));
    assert_eq!(
        server.paths(),
        ["/oauth2/default/v1/revoke", "/oauth2/default/v1/revoke"]
    );
    let hints: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.form.get("token_type_hint").cloned())
        .collect();
    assert_eq!(
        hints,
        [Some("refresh_token".into()), Some("access_token".into())]
    );
}

#[tokio::test]
async fn okta_public_client_revokes_with_its_client_id_alone() {
    let server = servers::okta(CLIENT_ID, None).await;
    server.issue("okta-rt-2");
    let r = okta_at(&server).sign_out(&[rt("okta-rt-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("okta-rt-2"));
}

#[tokio::test]
async fn okta_answers_200_for_a_token_already_revoked_which_counts_as_signed_out() {
    // Okta does not tell: "revoking an invalid, expired, or revoked token is still considered
    // a success". Either way the token no longer works.
    let server = servers::okta(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.revoke_elsewhere("okta-gone-1");
    let r = okta_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[rt("okta-gone-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn okta_429_waits_until_its_x_rate_limit_reset() {
    let server = servers::okta(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue("okta-rt-3");
    server.busy_next(1, Busy::RateLimited);
    let r = okta_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[rt("okta-rt-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn okta_wrong_client_secret_is_failed_once_and_the_tokens_kept() {
    let server = servers::okta(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue("okta-rt-4");
    server.issue("okta-at-4");
    let r = okta_at(&server)
        .secret("another-secret")
        .sign_out(&[rt("okta-rt-4"), at("okta-at-4")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).code(), "invalid_client");
    assert_eq!(
        server.seen().len(),
        1,
        "never retried, and the access token's call not made"
    );
    assert!(server.is_live("okta-rt-4") && server.is_live("okta-at-4"));
}

// Cognito: GlobalSignOut (AWS JSON) first, then the refresh token at /oauth2/revoke.

fn cognito_at(server: &TestServer) -> Builtin {
    let settings = format!(
        "client_id = \"{CLIENT_ID}\"\nparams = {{ domain = \"acme\", region = \"eu-west-1\" }}"
    );
    Builtin::new("cognito", server, "", &settings)
}

#[tokio::test]
async fn cognito_signs_out_globally_then_revokes_the_refresh_token() {
    let server = servers::cognito(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue_grant(&["cg-rt-1", "cg-at-1"]);
    let r = cognito_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[rt("cg-rt-1"), at("cg-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("cg-rt-1") && server.is_ended("cg-at-1"));
    assert_eq!(server.paths(), ["/", "/oauth2/revoke"]);
}

#[tokio::test]
async fn cognito_app_client_without_a_secret_revokes_with_its_client_id() {
    let server = servers::cognito(CLIENT_ID, None).await;
    server.issue("cg-rt-2");
    let r = cognito_at(&server).sign_out(&[rt("cg-rt-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("cg-rt-2"));
    assert_eq!(server.paths(), ["/oauth2/revoke"]);
}

#[tokio::test]
async fn cognito_access_token_has_been_revoked_is_already_revoked() {
    let server = servers::cognito(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.revoke_elsewhere("cg-gone-1");
    let r = cognito_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[at("cg-gone-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(400));
}

#[tokio::test]
async fn cognito_throttling_as_a_400_is_retried() {
    let server = servers::cognito(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue_grant(&["cg-rt-3", "cg-at-3"]);
    server.busy_next(1, Busy::RateLimited);
    let r = cognito_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[rt("cg-rt-3"), at("cg-at-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(server.paths(), ["/", "/", "/oauth2/revoke"]);
}

#[tokio::test]
async fn cognito_access_token_without_the_admin_scope_is_failed_once_and_nothing_revoked() {
    let server = servers::cognito(CLIENT_ID, Some(CLIENT_SECRET)).await;
    server.issue_foreign("cg-at-4");
    server.issue("cg-rt-4");
    let r = cognito_at(&server)
        .secret(CLIENT_SECRET)
        .sign_out(&[rt("cg-rt-4"), at("cg-at-4")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).code(), "http_400");
    assert_eq!(server.paths(), ["/"], "never retried; the revoke not made");
    assert!(server.is_live("cg-rt-4"));
}

// npm: the token in the path (and as the bearer); a 401/403 is settled by /-/whoami.

async fn npm() -> (TestServer, Builtin) {
    let server = servers::npm().await;
    let p = Builtin::new("npm", &server, "", "");
    (server, p)
}

#[tokio::test]
async fn npm_deletes_the_token_named_in_the_path() {
    let (server, npm) = npm().await;
    server.issue("npm_live1");
    let r = npm.sign_out(&[at("npm_live1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("npm_live1"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn npm_401_is_settled_by_whoami_as_already_revoked() {
    let (server, npm) = npm().await;
    server.revoke_elsewhere("npm_gone1");
    let r = npm.sign_out(&[at("npm_gone1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(server.paths(), ["/-/user/token/…", "/-/whoami"]);
}

#[tokio::test]
async fn npm_403_for_a_token_whoami_still_accepts_is_failed_and_kept() {
    let (server, npm) = npm().await;
    server.issue_foreign("npm_readonly1");
    let r = npm.sign_out(&[at("npm_readonly1")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::StillActive);
    assert_eq!(
        server.paths(),
        ["/-/user/token/…", "/-/whoami"],
        "the delete is not retried"
    );
}

#[tokio::test]
async fn npm_429_is_retried_after_its_retry_after() {
    let (server, npm) = npm().await;
    server.issue("npm_live2");
    server.busy_next(1, Busy::RateLimited);
    let r = npm.sign_out(&[at("npm_live2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

// Vault: X-Vault-Token; 403 means dead or denied, settled by lookup-self.

async fn vault() -> (TestServer, Builtin) {
    let server = servers::vault().await;
    let p = Builtin::new("vault", &server, "", "");
    (server, p)
}

#[tokio::test]
async fn vault_revoke_self_answers_204() {
    let (server, vault) = vault().await;
    server.issue("hvs.live1");
    let r = vault.sign_out(&[at("hvs.live1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(204));
    assert!(server.is_ended("hvs.live1"));
}

#[tokio::test]
async fn vault_403_is_settled_by_lookup_self_as_already_revoked() {
    let (server, vault) = vault().await;
    server.revoke_elsewhere("hvs.gone1");
    let r = vault.sign_out(&[at("hvs.gone1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(
        server.paths(),
        ["/v1/auth/token/revoke-self", "/v1/auth/token/lookup-self"]
    );
}

#[tokio::test]
async fn vault_403_for_a_token_lookup_self_accepts_is_failed_and_kept() {
    let (server, vault) = vault().await;
    server.issue_foreign("hvs.denied1");
    let r = vault.sign_out(&[at("hvs.denied1")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::StillActive);
    assert_eq!(
        server.paths(),
        ["/v1/auth/token/revoke-self", "/v1/auth/token/lookup-self"],
        "the revoke is not retried"
    );
}

#[tokio::test]
async fn vault_429_is_retried_after_its_retry_after() {
    let (server, vault) = vault().await;
    server.issue("hvs.live2");
    server.busy_next(1, Busy::RateLimited);
    let r = vault.sign_out(&[at("hvs.live2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn vault_412_from_a_standby_not_caught_up_is_retried() {
    let (server, vault) = vault().await;
    server.issue("hvs.live3");
    server.busy_next(1, Busy::Lagging);
    let r = vault.sign_out(&[at("hvs.live3")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(server.seen().len(), 2);
}

// GitLab: RFC 7009 with the client in the form; 403 unauthorized_client.

fn gitlab_at(server: &TestServer, secret: &'static str) -> Builtin {
    Builtin::new(
        "gitlab",
        server,
        "",
        &format!("client_id = \"{CLIENT_ID}\""),
    )
    .secret(secret)
}

#[tokio::test]
async fn gitlab_revokes_the_token_pair() {
    let server = servers::gitlab(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["gl-rt-1", "gl-at-1"]);
    let r = gitlab_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("gl-rt-1"), at("gl-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("gl-rt-1") && server.is_ended("gl-at-1"));
    assert_eq!(server.paths(), ["/oauth/revoke", "/oauth/revoke"]);
}

#[tokio::test]
async fn gitlab_429_is_retried_after_the_wait_it_asks_for() {
    let server = servers::gitlab(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("gl-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = gitlab_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("gl-rt-2")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn gitlab_unauthorized_client_is_failed_once_and_the_tokens_kept() {
    let server = servers::gitlab(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["gl-rt-3", "gl-at-3"]);
    let r = gitlab_at(&server, "another-secret")
        .sign_out(&[rt("gl-rt-3"), at("gl-at-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::ClientMismatch);
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("gl-rt-3") && server.is_live("gl-at-3"));
}

#[tokio::test]
async fn a_gitlab_personal_access_token_revokes_itself_and_never_counts_as_an_oauth_revoke() {
    let server = servers::gitlab(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("glpat-live-token-1");
    let gitlab = gitlab_at(&server, CLIENT_SECRET);
    let r = gitlab.sign_out(&[at("glpat-live-token-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("glpat-live-token-1"));
    assert_eq!(
        server.paths(),
        ["/api/v4/personal_access_tokens/self"],
        "not /oauth/revoke, which answers 200 for a token it does not know"
    );
    let again = gitlab.sign_out(&[at("glpat-live-token-1")]).await;
    assert_eq!(again.report.outcome, Outcome::AlreadyRevoked, "{again:?}");
}

// Twitch: the client id in the form, no secret; 400 "Invalid token"; 404 for the client.

fn twitch_at(server: &TestServer) -> Builtin {
    Builtin::new(
        "twitch",
        server,
        "",
        &format!("client_id = \"{CLIENT_ID}\""),
    )
}

#[tokio::test]
async fn twitch_revokes_the_access_token_with_the_client_id_sent_once() {
    let server = servers::twitch(CLIENT_ID).await;
    server.issue("tw-at-1");
    let r = twitch_at(&server).sign_out(&[at("tw-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("tw-at-1"));
    assert_eq!(
        server.seen()[0].form.get("client_id").map(String::as_str),
        Some(CLIENT_ID)
    );
}

#[tokio::test]
async fn twitch_invalid_token_is_already_revoked() {
    let server = servers::twitch(CLIENT_ID).await;
    server.revoke_elsewhere("tw-gone-1");
    let r = twitch_at(&server).sign_out(&[at("tw-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
}

#[tokio::test]
async fn twitch_429_waits_until_its_ratelimit_reset() {
    let server = servers::twitch(CLIENT_ID).await;
    server.issue("tw-at-2");
    server.busy_next(1, Busy::RateLimited);
    let r = twitch_at(&server).sign_out(&[at("tw-at-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn twitch_client_does_not_exist_is_failed_once_as_a_profile_to_fix() {
    let server = servers::twitch("another-app").await;
    server.issue("tw-at-3");
    let r = twitch_at(&server).sign_out(&[at("tw-at-3")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::ProfileIncomplete);
    assert_eq!(server.seen().len(), 1, "never retried");
}

// Reddit: Basic client, a User-Agent; 204 for anything; X-Ratelimit-Reset in seconds.

fn reddit_at(server: &TestServer, secret: &'static str) -> Builtin {
    Builtin::new(
        "reddit",
        server,
        "",
        &format!("client_id = \"{CLIENT_ID}\""),
    )
    .secret(secret)
}

#[tokio::test]
async fn reddit_revokes_the_refresh_token_and_its_access_token() {
    let server = servers::reddit(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["rd-rt-1", "rd-at-1"]);
    let r = reddit_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("rd-rt-1"), at("rd-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(204));
    assert!(server.is_ended("rd-rt-1") && server.is_ended("rd-at-1"));
}

#[tokio::test]
async fn reddit_429_waits_the_seconds_its_x_ratelimit_reset_says() {
    let server = servers::reddit(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("rd-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = reddit_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("rd-rt-2")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn reddit_403_while_read_only_is_retried() {
    let server = servers::reddit(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("rd-rt-3");
    server.busy_next(1, Busy::Lagging);
    let r = reddit_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("rd-rt-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn reddit_token_of_another_app_is_failed_once_as_a_client_mismatch() {
    let server = servers::reddit(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_foreign("rd-rt-4");
    let r = reddit_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("rd-rt-4")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).kind(), ReasonKind::ClientMismatch);
    assert_eq!(server.seen().len(), 1, "never retried");
}

#[tokio::test]
async fn reddit_wrong_client_secret_is_failed_once() {
    let server = servers::reddit(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("rd-rt-5");
    let r = reddit_at(&server, "another-secret")
        .sign_out(&[rt("rd-rt-5")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(r.report.http_status, Some(401));
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("rd-rt-5"));
}

// Zoom: Basic client; the outcome in the body.

fn zoom_at(server: &TestServer, secret: &'static str) -> Builtin {
    Builtin::new("zoom", server, "", &format!("client_id = \"{CLIENT_ID}\"")).secret(secret)
}

#[tokio::test]
async fn zoom_status_success_is_revoked() {
    let server = servers::zoom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["zm-rt-1", "zm-at-1"]);
    let r = zoom_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("zm-rt-1"), at("zm-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("zm-at-1") && server.is_ended("zm-rt-1"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn zoom_error_4741_the_token_has_been_revoked_is_already_revoked() {
    let server = servers::zoom(CLIENT_ID, CLIENT_SECRET).await;
    server.revoke_elsewhere("zm-gone-1");
    let r = zoom_at(&server, CLIENT_SECRET)
        .sign_out(&[at("zm-gone-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
}

#[tokio::test]
async fn zoom_429_is_retried_after_its_retry_after() {
    let server = servers::zoom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("zm-at-2");
    server.busy_next(1, Busy::RateLimited);
    let r = zoom_at(&server, CLIENT_SECRET)
        .sign_out(&[at("zm-at-2")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn zoom_invalid_client_is_failed_once_and_the_token_kept() {
    let server = servers::zoom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("zm-at-3");
    let r = zoom_at(&server, "another-secret")
        .sign_out(&[at("zm-at-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("zm-at-3"));
}

// Salesforce: a form token, no client; 400 invalid_token.

async fn salesforce() -> (TestServer, Builtin) {
    let server = servers::salesforce().await;
    let p = Builtin::new("salesforce", &server, "", "");
    (server, p)
}

#[tokio::test]
async fn salesforce_revoking_the_refresh_token_ends_its_access_tokens() {
    let (server, sf) = salesforce().await;
    server.issue_grant(&["sf-rt-1", "00D!sf-at-1"]);
    let r = sf.sign_out(&[rt("sf-rt-1"), at("00D!sf-at-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("sf-rt-1") && server.is_ended("00D!sf-at-1"));
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn salesforce_invalid_token_is_already_revoked() {
    let (server, sf) = salesforce().await;
    server.revoke_elsewhere("00D!sf-gone-1");
    let r = sf.sign_out(&[at("00D!sf-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(400));
}

#[tokio::test]
async fn salesforce_429_is_retried_after_its_retry_after() {
    let (server, sf) = salesforce().await;
    server.issue("sf-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = sf.sign_out(&[rt("sf-rt-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn salesforce_400_that_is_not_invalid_token_is_failed_once() {
    let (server, sf) = salesforce().await;
    server.issue("sf-rt-3");
    server.fail_next(1, Fault::Malformed);
    let r = sf.sign_out(&[rt("sf-rt-3")]).await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("sf-rt-3"));
}

// Box: the client in the form.

fn box_at(server: &TestServer, secret: &'static str) -> Builtin {
    Builtin::new("box", server, "", &format!("client_id = \"{CLIENT_ID}\"")).secret(secret)
}

#[tokio::test]
async fn box_revokes_the_token_pair() {
    let server = servers::boxcom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["box-rt-1", "box-at-1"]);
    let r = box_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("box-rt-1"), at("box-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("box-rt-1") && server.is_ended("box-at-1"));
}

#[tokio::test]
async fn box_429_is_retried_after_its_retry_after() {
    let server = servers::boxcom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("box-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = box_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("box-rt-2")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn box_invalid_client_is_failed_once_and_the_tokens_kept() {
    let server = servers::boxcom(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["box-rt-3", "box-at-3"]);
    let r = box_at(&server, "another-secret")
        .sign_out(&[rt("box-rt-3"), at("box-at-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(reason(&r).code(), "invalid_client");
    assert_eq!(server.seen().len(), 1, "never retried");
    assert!(server.is_live("box-rt-3"));
}

// Discord: form only, Basic client; the whole authorization ends.

fn discord_at(server: &TestServer, secret: &'static str) -> Builtin {
    Builtin::new(
        "discord",
        server,
        "/api/v10",
        &format!("client_id = \"{CLIENT_ID}\""),
    )
    .secret(secret)
}

#[tokio::test]
async fn discord_revokes_the_whole_authorization() {
    let server = servers::discord(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["dc-rt-1", "dc-at-1"]);
    let r = discord_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("dc-rt-1"), at("dc-at-1")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("dc-rt-1") && server.is_ended("dc-at-1"));
}

#[tokio::test]
async fn discord_429_is_retried_after_its_retry_after() {
    let server = servers::discord(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("dc-rt-2");
    server.busy_next(1, Busy::RateLimited);
    let r = discord_at(&server, CLIENT_SECRET)
        .sign_out(&[rt("dc-rt-2")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    waited_as_asked(&server);
}

#[tokio::test]
async fn discord_invalid_client_is_failed_once_never_adding_to_its_ban_count() {
    let server = servers::discord(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_grant(&["dc-rt-3", "dc-at-3"]);
    let r = discord_at(&server, "another-secret")
        .sign_out(&[rt("dc-rt-3"), at("dc-at-3")])
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert_eq!(r.report.http_status, Some(401));
    assert_eq!(server.seen().len(), 1, "one 401, never retried");
}

// AWS IAM Identity Center: the portal's logout with x-amz-sso_bearer_token.

async fn aws_sso() -> (TestServer, Builtin) {
    let server = servers::aws_sso().await;
    let p = Builtin::new(
        "aws-sso",
        &server,
        "",
        "params = { region = \"eu-west-1\" }",
    );
    (server, p)
}

#[tokio::test]
async fn aws_sso_logout_ends_the_sign_in_session() {
    let (server, sso) = aws_sso().await;
    server.issue("aoa-live-1");
    let r = sso.sign_out(&[at("aoa-live-1")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended("aoa-live-1"));
    assert_eq!(server.paths(), ["/logout"]);
}

#[tokio::test]
async fn aws_sso_unauthorized_is_already_revoked() {
    let (server, sso) = aws_sso().await;
    server.revoke_elsewhere("aoa-gone-1");
    let r = sso.sign_out(&[at("aoa-gone-1")]).await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(401));
}

#[tokio::test]
async fn aws_sso_too_many_requests_is_retried() {
    let (server, sso) = aws_sso().await;
    server.issue("aoa-live-2");
    server.busy_next(1, Busy::RateLimited);
    let r = sso.sign_out(&[at("aoa-live-2")]).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(server.seen().len(), 2);
}
