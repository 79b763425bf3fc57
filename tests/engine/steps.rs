//! Profiles written as steps, against a test server that follows GitHub's REST documentation
//! (`tests/providers/src/github.rs`): a `DELETE` with a JSON body and Basic client credentials,
//! and the probe that settles GitHub's ambiguous 404.

use signoff_core::outcome::{Outcome, ReasonKind};
use signoff_tests::servers::{self, TestServer};

use crate::{SignOutJob, assert_no_secret, engine, job, profile, tokens};

const CLIENT_ID: &str = "Iv1.signoff";
const CLIENT_SECRET: &str = "gh-client-secret-1";

/// GitHub's sign-out as a user writes it in providers.toml, pointed at the test server.
fn github_toml(server: &TestServer) -> String {
    format!(
        r#"
[[provider]]
id = "gh"
label = "GitHub"
base_url = "{base}"
client_id = "{CLIENT_ID}"
client_auth = "basic"
ends = "token"

[[provider.step]]
name = "delete app token"
method = "DELETE"
path = "/applications/{{client_id}}/token"
token = "access_token"
send = "json:access_token"
headers = {{ Accept = "application/vnd.github+json", "X-GitHub-Api-Version" = "2022-11-28" }}
answer = [
  {{ status = 204, then = "revoked" }},
  {{ status = 404, then = "probe" }},
]

[provider.probe]
method = "GET"
path = "/user"
token = "access_token"
send = "bearer"
client_auth = "none"
answer = [
  {{ status = 401, then = "already_revoked" }},
  {{ status = 200, then = "failed", reason = "not_this_client" }},
]
"#,
        base = server.base.as_str().trim_end_matches('/')
    )
}

async fn sign_out(server: &TestServer, token: &str) -> signoff_core::engine::Receipt {
    let p = profile(&github_toml(server), "gh");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(&format!(r#"{{"access_token":"{token}"}}"#)),
            Some(CLIENT_SECRET),
        ))
        .await;
    assert_no_secret(&r, &[token, CLIENT_SECRET]);
    r
}

#[tokio::test]
async fn a_delete_with_a_json_body_and_basic_credentials_revokes_the_token() {
    let server = servers::github(CLIENT_ID, CLIENT_SECRET).await;
    server.issue("gho_live_1");
    let r = sign_out(&server, "gho_live_1").await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(r.report.http_status, Some(204));
    assert!(server.is_ended("gho_live_1"));
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "no probe after a 204");
    assert_eq!(seen[0].path, format!("/applications/{CLIENT_ID}/token"));
}

#[tokio::test]
async fn a_404_for_a_token_that_is_gone_is_settled_by_the_probe_as_already_revoked() {
    let server = servers::github(CLIENT_ID, CLIENT_SECRET).await;
    // Never issued (or revoked elsewhere): the revoke says 404, GET /user says 401.
    let r = sign_out(&server, "gho_gone_1").await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked, "{r:?}");
    let paths: Vec<_> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [format!("/applications/{CLIENT_ID}/token"), "/user".into()]
    );
}

#[tokio::test]
async fn a_404_for_another_apps_live_token_is_failed_and_never_called_signed_out() {
    let server = servers::github(CLIENT_ID, CLIENT_SECRET).await;
    server.issue_foreign("gho_other_app_1");
    let r = sign_out(&server, "gho_other_app_1").await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    let e = r.report.error.as_ref().unwrap();
    assert_eq!(e.kind(), ReasonKind::NotThisClient, "{e}");
    assert_eq!(
        server.requests_with("gho_other_app_1"),
        1,
        "the probe sent it as a bearer"
    );
}

#[tokio::test]
async fn wrong_client_credentials_never_count_as_a_sign_out() {
    let server = servers::github(CLIENT_ID, "another-secret").await;
    server.issue("gho_live_2");
    let r = sign_out(&server, "gho_live_2").await;
    // GitHub hides the app behind a 404; the probe finds the token alive.
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    assert!(!server.is_ended("gho_live_2"));
}
