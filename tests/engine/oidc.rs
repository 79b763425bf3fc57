//! A generic OpenID provider by issuer alone: the real `oidc-provider` package.

use signoff_core::outcome::Outcome;
use signoff_tests::oidc::{BASIC_CLIENT, OidcProvider, POST_CLIENT};

use crate::{SignOutJob, assert_no_secret, engine, job, profile, tokens};

fn oidc_profile(
    issuer: &url::Url,
    client: (&str, &str),
    auth: &str,
) -> signoff_core::profile::Profile {
    profile(
        &format!(
            "[[provider]]\nid = \"corp\"\nlabel = \"Corp ID\"\nprotocol = \"oidc\"\n\
             issuer = \"{}\"\nclient_id = \"{}\"\nclient_auth = \"{auth}\"\n",
            issuer.as_str().trim_end_matches('/'),
            client.0
        ),
        "corp",
    )
}

#[tokio::test]
async fn oidc_by_issuer_alone_revokes_both_tokens_and_introspection_confirms() {
    let op = OidcProvider::start().await;
    for (client, auth) in [(BASIC_CLIENT, "basic"), (POST_CLIENT, "post")] {
        let minted = op.mint(client.0, "ada").await;
        assert!(op.is_active(client, &minted.access_token).await);
        let p = oidc_profile(&op.issuer, client, auth);
        let mut j = job(
            &p,
            tokens(&format!(
                r#"{{"refresh_token":"{}","access_token":"{}"}}"#,
                minted.refresh_token, minted.access_token
            )),
            Some(client.1),
        );
        j.verify = true;
        let r = engine().sign_out(&j).await;
        assert_eq!(r.report.outcome, Outcome::Revoked, "{auth}: {r:?}");
        assert_eq!(r.report.http_status, Some(200));
        assert_eq!(
            r.report.verified,
            Some(true),
            "introspection says inactive ({auth})"
        );
        assert_no_secret(&r, &[&minted.refresh_token, &minted.access_token, client.1]);
        assert!(!op.is_active(client, &minted.refresh_token).await);
        assert!(!op.is_active(client, &minted.access_token).await);
    }
}

#[tokio::test]
async fn oidc_bad_client_credentials_fail_with_the_providers_error() {
    let op = OidcProvider::start().await;
    let minted = op.mint(BASIC_CLIENT.0, "bob").await;
    let p = oidc_profile(&op.issuer, BASIC_CLIENT, "basic");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(&format!(
                r#"{{"refresh_token":"{}"}}"#,
                minted.refresh_token
            )),
            Some("not-the-secret"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.http_status, Some(401));
    assert_eq!(r.report.error.as_ref().unwrap().code(), "invalid_client");
    assert!(
        op.is_active(BASIC_CLIENT, &minted.refresh_token).await,
        "still live: nothing was revoked"
    );
    assert_no_secret(&r, &[&minted.refresh_token, "not-the-secret"]);
}

/// A minimal metadata server: serves `doc` at both well-known locations.
async fn metadata_server(
    doc: impl Fn(&str) -> serde_json::Value + Send + Sync + 'static,
) -> (url::Url, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let body = doc(&base).to_string();
    let router = axum::Router::new().route(
        "/.well-known/openid-configuration",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url::Url::parse(&base).unwrap(), task)
}

#[tokio::test]
async fn oidc_without_a_revocation_endpoint_is_local_only_and_says_so() {
    let (issuer, _task) = metadata_server(|base| {
        serde_json::json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
        })
    })
    .await;
    let p = oidc_profile(&issuer, ("client", "secret"), "basic");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"rt-local"}"#),
            Some("secret"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::LocalOnly);
    let note = r.report.note.unwrap();
    assert!(note.contains("publishes no revocation endpoint"), "{note}");
    assert!(note.contains("lives on"), "{note}");
}

#[tokio::test]
async fn oidc_metadata_for_another_issuer_is_refused() {
    let (issuer, _task) = metadata_server(|_| {
        serde_json::json!({
            "issuer": "https://evil.example",
            "revocation_endpoint": "https://evil.example/revoke",
        })
    })
    .await;
    let p = oidc_profile(&issuer, ("client", "secret"), "basic");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"rt-mismatch"}"#),
            Some("secret"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    assert_eq!(r.report.error.unwrap().code(), "discovery_failed");
}

#[tokio::test]
async fn oidc_metadata_pointing_at_plain_http_off_loopback_is_refused() {
    // The profile itself is fine (loopback issuer): the insecure URL arrives at run time.
    let (issuer, _task) = metadata_server(|base| {
        serde_json::json!({
            "issuer": base,
            "revocation_endpoint": "http://id.corp.example/revoke",
        })
    })
    .await;
    let p = oidc_profile(&issuer, ("client", "secret"), "basic");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"rt-plain-http"}"#),
            Some("secret"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Failed);
    let e = r.report.error.unwrap();
    assert_eq!(e.code(), "discovery_failed");
    let why = e.description().unwrap();
    assert!(
        why.contains("http://id.corp.example/revoke") && why.contains("is not https://"),
        "{why}"
    );
}

#[tokio::test]
async fn oidc_issuer_that_is_down_is_pending() {
    let down = signoff_tests::DownPort::new();
    let issuer = url::Url::parse(&format!("http://127.0.0.1:{}", down.port)).unwrap();
    let p = oidc_profile(&issuer, ("client", "secret"), "basic");
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(r#"{"refresh_token":"rt-down"}"#),
            Some("secret"),
        ))
        .await;
    assert_eq!(r.report.outcome, Outcome::Pending);
    assert_eq!(r.report.error.unwrap().code(), "network");
}
