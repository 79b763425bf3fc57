//! Every row of the protocol table against the seed providers' test servers, and the faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use signoff_core::api::{AccountFilter, SignOutOptions};
use signoff_core::audit::Actor;
use signoff_core::engine::{DEFAULT_PER_HOST, Receipt};
use signoff_core::outcome::{Outcome, ReasonKind};
use signoff_core::{NewAccount, Paths, Signoff};
use signoff_tests::servers::{self, Fault, TestServer};

use crate::{Job, SignOutJob, assert_no_secret, engine, job, profile, tokens};

const MESHY_KEY: &str = "pk_acme_public";

/// The built-in MeshyDB profile, pointed at the test server and filled in as a user would.
fn meshy_toml(server: &TestServer) -> String {
    format!(
        "[[provider]]\nid = \"meshydb\"\nclient_id = \"{MESHY_KEY}\"\n\
         revocation_endpoint = \"{}{{account}}/connect/revocation\"\n\
         params = {{ account = \"{}\" }}\n",
        server.base,
        servers::MESHYDB_ACCOUNT
    )
}

async fn meshy() -> (TestServer, signoff_core::profile::Profile) {
    let server = servers::meshydb(MESHY_KEY).await;
    let p = profile(&meshy_toml(&server), "meshydb");
    (server, p)
}

async fn meshy_sign_out(
    server: &TestServer,
    p: &signoff_core::profile::Profile,
    rt: &str,
) -> Receipt {
    server.issue(rt);
    let receipt = engine()
        .sign_out(&job(
            p,
            tokens(&format!(r#"{{"refresh_token":"{rt}"}}"#)),
            None,
        ))
        .await;
    assert_no_secret(&receipt, &[rt]);
    receipt
}

#[tokio::test]
async fn meshydb_revokes_the_refresh_token_as_documented() {
    let (server, p) = meshy().await;
    let r = meshy_sign_out(&server, &p, "meshy-rt-1").await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!((r.report.http_status, r.report.attempts), (Some(200), 1));
    assert!(server.is_ended("meshy-rt-1"));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/acme/connect/revocation");
    assert_eq!(seen[0].form["token"], "meshy-rt-1");
    assert_eq!(seen[0].form["token_type_hint"], "refresh_token");
    assert_eq!(seen[0].form["client_id"], MESHY_KEY);
    assert!(
        seen[0].authorization.is_none(),
        "MeshyDB takes no client secret"
    );
}

#[tokio::test]
async fn meshydb_only_revokes_the_token_type_its_profile_names() {
    let (server, p) = meshy().await;
    server.issue("meshy-rt-2");
    let j = job(
        &p,
        tokens(r#"{"refresh_token":"meshy-rt-2","access_token":"meshy-at-2"}"#),
        None,
    );
    let r = engine().sign_out(&j).await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(
        server.seen().len(),
        1,
        "the access token is not sent to MeshyDB"
    );
}

#[tokio::test]
async fn meshydb_invalid_client_id_is_a_permanent_failure() {
    let (server, mut p) = meshy().await;
    p.client_id = Some("pk_wrong".into());
    let r = meshy_sign_out(&server, &p, "meshy-rt-3").await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.http_status, Some(400));
    assert_eq!(r.report.error.as_ref().unwrap().code(), "invalid_client");
    assert_eq!(r.report.attempts, 1, "permanent errors are not retried");
    assert!(!server.is_ended("meshy-rt-3"));
}

#[tokio::test]
async fn meshydb_429_honours_retry_after_then_succeeds() {
    let (server, p) = meshy().await;
    server.fail_next(
        1,
        Fault::RateLimited {
            retry_after: Some("1".into()),
        },
    );
    let started = Instant::now();
    let r = meshy_sign_out(&server, &p, "meshy-rt-4").await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(r.report.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited as Retry-After asked"
    );
    assert!(server.is_ended("meshy-rt-4"));
}

#[tokio::test]
async fn meshydb_429_asking_for_longer_than_the_budget_is_pending_at_once() {
    let (server, p) = meshy().await;
    server.fail_always(Some(Fault::RateLimited {
        retry_after: Some("3600".into()),
    }));
    let r = meshy_sign_out(&server, &p, "meshy-rt-5").await;
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert_eq!(r.report.retry_after_secs, Some(3600));
    assert_eq!(r.report.attempts, 1);
    assert_eq!(r.report.http_status, Some(429));
    assert!(
        r.report
            .error
            .unwrap()
            .description()
            .unwrap()
            .contains("Database limit")
    );
}

#[tokio::test]
async fn a_429_storm_is_retried_as_asked_within_the_budget_then_pending() {
    let (server, p) = meshy().await;
    server.fail_always(Some(Fault::RateLimited {
        retry_after: Some("1".into()),
    }));
    let started = Instant::now();
    let r = meshy_sign_out(&server, &p, "meshy-rt-storm").await;
    let took = started.elapsed();
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert_eq!(r.report.http_status, Some(429));
    assert_eq!(r.report.retry_after_secs, Some(1));
    let sent = server.seen().len() as u32;
    assert_eq!(sent, r.report.attempts);
    assert!(
        (2..=4).contains(&sent),
        "retried, a bounded number of times: {sent}"
    );
    assert!(
        took >= Duration::from_millis(950) * (sent - 1),
        "waited as Retry-After asked between attempts ({took:?})"
    );
    assert!(
        took < Duration::from_secs(4),
        "gave up within the budget ({took:?})"
    );
    assert!(!server.is_ended("meshy-rt-storm"));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let (server, p) = meshy().await;
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    server.fail_next(
        1,
        Fault::Unavailable {
            retry_after: Some(when),
        },
    );
    let started = Instant::now();
    let r = meshy_sign_out(&server, &p, "meshy-rt-date").await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the date"
    );
}

#[tokio::test]
async fn persistent_503_backs_off_then_is_pending() {
    let (server, p) = meshy().await;
    server.fail_always(Some(Fault::Unavailable { retry_after: None }));
    let r = meshy_sign_out(&server, &p, "meshy-rt-6").await;
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert_eq!(r.report.attempts, 4, "max attempts");
    assert_eq!(r.report.error.unwrap().code(), "http_503");
    assert!(!server.is_ended("meshy-rt-6"));
}

#[tokio::test]
async fn transient_500s_are_retried() {
    let (server, p) = meshy().await;
    server.fail_next(2, Fault::ServerError);
    let r = meshy_sign_out(&server, &p, "meshy-rt-7").await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(r.report.attempts, 3);
}

#[tokio::test]
async fn provider_down_is_pending_with_a_network_error() {
    let (server, p) = meshy().await;
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = engine()
        .sign_out(&job(&p, tokens(r#"{"refresh_token":"meshy-rt-8"}"#), None))
        .await;
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert_eq!(r.report.http_status, None);
    let e = r.report.error.unwrap();
    assert_eq!(e.code(), "network");
    assert!(e.description().unwrap().contains("could not connect"));
}

#[tokio::test]
async fn slow_beyond_the_timeout_is_pending() {
    let (server, p) = meshy().await;
    server.fail_always(Some(Fault::Slow(Duration::from_secs(5))));
    let r = meshy_sign_out(&server, &p, "meshy-rt-9").await;
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert!(
        r.report
            .error
            .unwrap()
            .description()
            .unwrap()
            .contains("timed out")
    );
}

#[tokio::test]
async fn malformed_and_oversized_error_bodies_fail_cleanly() {
    let (server, p) = meshy().await;
    server.fail_next(1, Fault::Malformed);
    let r = meshy_sign_out(&server, &p, "meshy-rt-10").await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.error.unwrap().code(), "http_400");

    server.fail_next(1, Fault::Oversized(10 * 1024 * 1024));
    let r = meshy_sign_out(&server, &p, "meshy-rt-11").await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert!(
        r.report
            .error
            .unwrap()
            .description()
            .unwrap()
            .chars()
            .count()
            <= 301
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused_and_the_token_never_arrives_there() {
    let (server, p) = meshy().await;
    let elsewhere = servers::bystander().await;
    server.fail_always(Some(Fault::Redirect(elsewhere.url("/steal").to_string())));
    let r = meshy_sign_out(&server, &p, "meshy-rt-12").await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.http_status, Some(307));
    assert_eq!(r.report.error.unwrap().code(), "redirect_refused");
    assert!(elsewhere.seen().is_empty(), "the other host saw no request");
}

// --- HyperID (keycloak-logout) -------------------------------------------------------------

const HYPER_ID: &str = "signoff-desktop";
const HYPER_SECRET: &str = "hyper-secret-value";

async fn hyper(extra: &str) -> (TestServer, signoff_core::profile::Profile) {
    let server = servers::hyperid(HYPER_ID, HYPER_SECRET).await;
    let base = format!(
        "{}auth/realms/{{realm}}/protocol/openid-connect",
        server.base
    );
    let p = profile(
        &format!(
            "[[provider]]\nid = \"hyperid\"\nclient_id = \"{HYPER_ID}\"\n\
             logout_endpoint = \"{base}/logout\"\nrevocation_endpoint = \"{base}/revoke\"\n\
             introspection_endpoint = \"{base}/token/introspect\"\n{extra}"
        ),
        "hyperid",
    );
    (server, p)
}

/// A Keycloak-style refresh token: a JWT (signature not checked by anyone here) with `claims`.
fn keycloak_jwt(claims: serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(r#"{"alg":"HS512","typ":"JWT"}"#),
        b64(&claims.to_string())
    )
}

/// Signs out a HyperID account that holds only `rt`, with the test client's secret.
async fn hyper_sign_out(p: &signoff_core::profile::Profile, rt: &str) -> Receipt {
    engine()
        .sign_out(&job(
            p,
            tokens(&format!(r#"{{"refresh_token":"{rt}"}}"#)),
            Some(HYPER_SECRET),
        ))
        .await
}

#[tokio::test]
async fn hyperid_refresh_token_of_another_client_or_realm_is_refused_before_calling() {
    // Keycloak answers `invalid_grant` for another client's token and the session lives on:
    // Signoff reads the token's own claims first, says why, and keeps it.
    let (server, p) = hyper("").await;
    let realm_iss = "https://login.hypersecureid.com/auth/realms/HyperID";
    for (claims, says) in [
        (
            serde_json::json!({"azp": "other-app", "iss": realm_iss, "typ": "Refresh"}),
            "other-app",
        ),
        (
            serde_json::json!({"azp": HYPER_ID, "iss": "https://login.hypersecureid.com/auth/realms/Other"}),
            "another realm",
        ),
    ] {
        let rt = keycloak_jwt(claims);
        server.issue(&rt);
        let r = hyper_sign_out(&p, &rt).await;
        assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
        let e = r.report.error.unwrap();
        assert_eq!(e.kind(), ReasonKind::ClientMismatch);
        assert!(e.description().unwrap().contains(says), "{e}");
        assert!(!server.is_ended(&rt));
    }
    assert!(server.seen().is_empty(), "refused before any call");
    // The same shape with this client and realm is signed out as usual.
    let ours = keycloak_jwt(serde_json::json!({"azp": HYPER_ID, "iss": realm_iss}));
    server.issue(&ours);
    let r = hyper_sign_out(&p, &ours).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert!(server.is_ended(&ours));
}

#[tokio::test]
async fn hyperid_logout_ends_the_session_with_the_documented_form() {
    let (server, p) = hyper("").await;
    server.issue("hyper-rt-1");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"hyper-rt-1","access_token":"hyper-at-1"}"#),
            Some(HYPER_SECRET),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(r.report.http_status, Some(204));
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one logout ends the whole session");
    assert_eq!(
        seen[0].path,
        "/auth/realms/HyperID/protocol/openid-connect/logout"
    );
    assert_eq!(seen[0].form["refresh_token"], "hyper-rt-1");
    assert_eq!(seen[0].form["client_id"], HYPER_ID);
    assert_eq!(seen[0].form["client_secret"], HYPER_SECRET);
    assert_no_secret(&r, &["hyper-rt-1", "hyper-at-1", HYPER_SECRET]);
}

#[tokio::test]
async fn hyperid_invalid_grant_means_already_signed_out() {
    let (server, p) = hyper("").await;
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"hyper-rt-gone"}"#),
            Some(HYPER_SECRET),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::AlreadyRevoked);
    assert_eq!(r.report.http_status, Some(400));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn hyperid_bad_client_secret_fails_with_the_providers_error() {
    let (server, p) = hyper("").await;
    server.issue("hyper-rt-3");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"hyper-rt-3"}"#),
            Some("wrong"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.http_status, Some(401));
    let e = r.report.error.unwrap();
    assert_eq!(e.code(), "invalid_client");
    assert_eq!(
        e.description(),
        Some("Invalid client or Invalid client credentials")
    );
    assert!(!server.is_ended("hyper-rt-3"));
}

#[tokio::test]
async fn hyperid_revoke_mode_revokes_the_token() {
    let (server, p) = hyper("signout = \"revoke\"\n").await;
    server.issue("hyper-rt-4");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"hyper-rt-4"}"#),
            Some(HYPER_SECRET),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    let seen = server.seen();
    assert_eq!(
        seen[0].path,
        "/auth/realms/HyperID/protocol/openid-connect/revoke"
    );
    assert_eq!(seen[0].form["token"], "hyper-rt-4");
    assert_eq!(seen[0].form["token_type_hint"], "refresh_token");
    assert!(server.is_ended("hyper-rt-4"));
}

#[tokio::test]
async fn hyperid_verify_introspects_and_confirms_inactive() {
    let (server, p) = hyper("").await;
    server.issue("hyper-rt-5");
    let mut j = job(
        &p,
        tokens(r#"{"refresh_token":"hyper-rt-5"}"#),
        Some(HYPER_SECRET),
    );
    j.verify = true;
    let r = engine().sign_out(&j).await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(r.report.verified, Some(true));
}

#[tokio::test]
async fn hyperid_without_a_refresh_token_revokes_the_access_token() {
    let (server, p) = hyper("").await;
    server.issue("hyper-at-6");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"access_token":"hyper-at-6"}"#),
            Some(HYPER_SECRET),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(server.seen()[0].form["token_type_hint"], "access_token");
    assert!(server.is_ended("hyper-at-6"));
}

// --- Matar (bearer-logout) -----------------------------------------------------------------

fn matar_toml(server: &TestServer) -> String {
    format!(
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"{}api/v1/logout\"\n",
        server.base
    )
}

async fn matar() -> (TestServer, signoff_core::profile::Profile) {
    let server = servers::matar().await;
    let p = profile(&matar_toml(&server), "matar");
    (server, p)
}

#[tokio::test]
async fn matar_logs_out_with_the_bearer_token_then_reports_already_revoked() {
    let (server, p) = matar().await;
    server.issue("matar-at-1");
    let j = job(&p, tokens(r#"{"access_token":"matar-at-1"}"#), None);
    let r = engine().sign_out(&j).await;
    assert_eq!(r.report.outcome, Outcome::Revoked);
    assert_eq!(r.report.http_status, Some(200));
    assert_eq!(
        server.seen()[0].authorization.as_deref(),
        Some("Bearer matar-at-1")
    );
    assert!(
        server.seen()[0].form.is_empty(),
        "the token travels in the header only"
    );

    let again = engine().sign_out(&j).await;
    assert_eq!(again.report.outcome, Outcome::AlreadyRevoked);
    assert_eq!(again.report.http_status, Some(401));
}

#[tokio::test]
async fn matar_expired_token_needs_attention() {
    let (_server, p) = matar().await;
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"access_token":"matar-never-issued"}"#),
            None,
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    let e = r.report.error.unwrap();
    assert_eq!(e.code(), "token_expired");
    assert_eq!(e.description(), Some("The token has expired."));
}

#[tokio::test]
async fn matar_without_an_access_token_fails_without_calling() {
    let (server, p) = matar().await;
    let r = engine()
        .sign_out(&job(&p, tokens(r#"{"refresh_token":"matar-rt"}"#), None))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.error.unwrap().code(), "no_access_token");
    assert_eq!(r.report.attempts, 0);
    assert!(server.seen().is_empty());
}

// --- Everywhere at once --------------------------------------------------------------------

const ADMIN: SignOutOptions = SignOutOptions {
    actor: Actor::Admin,
    verify: false,
};

/// A Signoff on a throwaway data dir whose providers.toml is `toml` (and no system profiles),
/// with the engine's default settings, holding one real account per job in the real keychain.
fn accounts(toml: &str, jobs: Vec<Job>) -> (tempfile::TempDir, Arc<Signoff>) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("providers.toml"), toml).unwrap();
    let core = Signoff::open(Paths::under(home.path()))
        .unwrap()
        .with_system_profiles(None);
    for j in jobs {
        let new = NewAccount {
            provider_id: j.profile.id.clone(),
            label: j.account.label.clone(),
            subject: None,
        };
        core.add_account(new, j.tokens, Actor::Admin).unwrap();
    }
    (home, Arc::new(core))
}

#[tokio::test]
async fn sign_out_everywhere_runs_concurrently_bounded_per_host_and_streams_receipts() {
    let (meshy_server, meshy_p) = meshy().await;
    let (matar_server, matar_p) = matar().await;
    meshy_server.fail_always(Some(Fault::Slow(Duration::from_millis(300))));
    matar_server.fail_always(Some(Fault::Slow(Duration::from_millis(300))));
    // More accounts per host than the bound, so the bound has to hold them back.
    let per_host = DEFAULT_PER_HOST + 4;
    let mut jobs = Vec::new();
    for i in 0..per_host {
        let rt = format!("many-rt-{i}");
        meshy_server.issue(&rt);
        jobs.push(job(
            &meshy_p,
            tokens(&format!(r#"{{"refresh_token":"{rt}"}}"#)),
            None,
        ));
        let at = format!("many-at-{i}");
        matar_server.issue(&at);
        jobs.push(job(
            &matar_p,
            tokens(&format!(r#"{{"access_token":"{at}"}}"#)),
            None,
        ));
    }
    let toml = format!(
        "{}\n{}",
        meshy_toml(&meshy_server),
        matar_toml(&matar_server)
    );
    let (_home, core) = accounts(&toml, jobs);
    let mut streamed = Vec::new();
    let receipts = core
        .sign_out_all(&AccountFilter::default(), ADMIN, |r| {
            streamed.push(r.account.clone())
        })
        .await
        .unwrap()
        .results;
    assert_eq!(receipts.len(), 2 * per_host);
    assert_eq!(
        streamed.len(),
        2 * per_host,
        "one progress report per account"
    );
    assert!(
        receipts
            .iter()
            .all(|r| r.report.outcome == Outcome::Revoked),
        "{receipts:?}"
    );
    assert_eq!(
        meshy_server.max_in_flight(),
        DEFAULT_PER_HOST,
        "bounded at the default per host, and concurrent"
    );
    assert_eq!(matar_server.max_in_flight(), DEFAULT_PER_HOST);
    for i in 0..per_host {
        assert!(meshy_server.is_ended(&format!("many-rt-{i}")));
        assert!(matar_server.is_ended(&format!("many-at-{i}")));
    }
}

#[tokio::test]
async fn a_dozen_accounts_at_one_provider_are_signed_out_in_one_wave_by_default() {
    // "Sign out everywhere" with ~10 accounts at one provider takes one round trip, not three.
    let (server, p) = meshy().await;
    server.fail_always(Some(Fault::Slow(Duration::from_millis(300))));
    let jobs: Vec<Job> = (0..12)
        .map(|i| {
            let rt = format!("dozen-rt-{i}");
            server.issue(&rt);
            job(&p, tokens(&format!(r#"{{"refresh_token":"{rt}"}}"#)), None)
        })
        .collect();
    let (_home, core) = accounts(&meshy_toml(&server), jobs);
    let receipts = core
        .sign_out_all(&AccountFilter::default(), ADMIN, |_| {})
        .await
        .unwrap()
        .results;
    assert!(
        receipts
            .iter()
            .all(|r| r.report.outcome == Outcome::Revoked)
    );
    assert_eq!(server.max_in_flight(), 12, "all twelve calls at once");
}

#[tokio::test]
async fn an_http_endpoint_off_loopback_is_never_called() {
    // Profiles like this are rejected at load; the engine refuses them again on its own.
    let (_server, mut p) = matar().await;
    p.logout_endpoint = Some(url::Url::parse("http://matar.example/api/v1/logout").unwrap());
    let r = engine()
        .sign_out(&job(&p, tokens(r#"{"access_token":"at-insecure"}"#), None))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.error.unwrap().code(), "insecure_endpoint");
    assert_eq!(r.report.http_status, None);
}
