//! A generic OpenID provider by issuer alone: the real `oidc-provider` package.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use signoff_core::outcome::Outcome;
use signoff_tests::oidc::{BASIC_CLIENT, Minted, OidcProvider, POST_CLIENT};

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

/// Signs out an account holding both `minted` tokens with `--verify`.
async fn sign_out_verified(
    p: &signoff_core::profile::Profile,
    minted: &Minted,
    secret: &str,
) -> signoff_core::engine::Receipt {
    let mut j = job(
        p,
        tokens(&format!(
            r#"{{"refresh_token":"{}","access_token":"{}"}}"#,
            minted.refresh_token, minted.access_token
        )),
        Some(secret),
    );
    j.verify = true;
    engine().sign_out(&j).await
}

#[tokio::test]
async fn oidc_by_issuer_alone_revokes_both_tokens_and_introspection_confirms() {
    let op = OidcProvider::start().await;
    for (client, auth) in [(BASIC_CLIENT, "basic"), (POST_CLIENT, "post")] {
        let minted = op.mint(client.0, "ada").await;
        assert!(op.is_active(client, &minted.access_token).await);
        let p = oidc_profile(&op.issuer, client, auth);
        let r = sign_out_verified(&p, &minted, client.1).await;
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

/// A metadata server on 127.0.0.1 for layouts `oidc-provider` does not make. The issuer is
/// `http://127.0.0.1:<port><path>`; `docs(issuer)` lists the documents to serve as
/// (location path, status, body); every other GET is 404. `POST /revoke` records the token it
/// is sent and answers 200, as RFC 7009 says.
struct MetadataServer {
    issuer: url::Url,
    revoked: Arc<Mutex<Vec<String>>>,
    _task: tokio::task::JoinHandle<()>,
}

async fn metadata_server(
    path: &str,
    docs: impl FnOnce(&str) -> Vec<(String, u16, serde_json::Value)>,
) -> MetadataServer {
    use axum::http::{StatusCode, Uri};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}{path}", listener.local_addr().unwrap());
    let docs: HashMap<String, (u16, String)> = docs(&issuer)
        .into_iter()
        .map(|(at, status, body)| (at, (status, body.to_string())))
        .collect();
    let revoked = Arc::new(Mutex::new(Vec::new()));
    let record = revoked.clone();
    let router = axum::Router::new()
        .route(
            "/revoke",
            axum::routing::post(move |form: String| async move {
                let token = url::form_urlencoded::parse(form.as_bytes())
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.into_owned());
                record.lock().unwrap().extend(token);
                StatusCode::OK
            }),
        )
        .fallback(move |uri: Uri| {
            let found = docs.get(uri.path()).cloned();
            async move {
                let (status, body) = found.unwrap_or((404, "{}".into()));
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }
        });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    MetadataServer {
        issuer: url::Url::parse(&issuer).unwrap(),
        revoked,
        _task: task,
    }
}

/// A server whose only document is the OpenID configuration `doc(issuer)`.
async fn openid_configuration_only(doc: impl FnOnce(&str) -> serde_json::Value) -> MetadataServer {
    metadata_server("", |issuer| {
        vec![(OIDC_CONFIGURATION.into(), 200, doc(issuer))]
    })
    .await
}

const OIDC_CONFIGURATION: &str = "/.well-known/openid-configuration";
const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";

/// The issuer's origin (`http://127.0.0.1:<port>`), where `/revoke` is.
fn origin(issuer: &str) -> String {
    url::Url::parse(issuer)
        .unwrap()
        .origin()
        .ascii_serialization()
}

/// Signs out an account holding `refresh_token` at the `oidc` profile for `issuer`.
async fn sign_out_at(issuer: &url::Url, refresh_token: &str) -> signoff_core::engine::Receipt {
    let p = oidc_profile(issuer, ("client", "secret"), "basic");
    engine()
        .sign_out(&job(
            &p,
            tokens(&format!(r#"{{"refresh_token":"{refresh_token}"}}"#)),
            Some("secret"),
        ))
        .await
}

#[tokio::test]
async fn oidc_revocation_endpoint_only_in_the_authorization_server_metadata_is_used() {
    let op = OidcProvider::start_split_metadata().await;
    let minted = op.mint(BASIC_CLIENT.0, "grace").await;
    let p = oidc_profile(&op.issuer, BASIC_CLIENT, "basic");
    let r = sign_out_verified(&p, &minted, BASIC_CLIENT.1).await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{r:?}");
    assert_eq!(
        r.report.verified,
        Some(true),
        "the introspection endpoint came from the second document too"
    );
    assert!(!op.is_active(BASIC_CLIENT, &minted.refresh_token).await);
    assert!(!op.is_active(BASIC_CLIENT, &minted.access_token).await);
}

#[tokio::test]
async fn oidc_revocation_endpoint_at_either_authorization_server_location_is_used() {
    for (layout, location) in [
        ("RFC 8414", format!("{OAUTH_METADATA}/tenant")),
        ("issuer-relative", format!("/tenant{OAUTH_METADATA}")),
    ] {
        let server = metadata_server("/tenant", |issuer| {
            vec![
                (
                    format!("/tenant{OIDC_CONFIGURATION}"),
                    200,
                    serde_json::json!({ "issuer": issuer }),
                ),
                (
                    location.clone(),
                    200,
                    serde_json::json!({
                        "issuer": issuer,
                        "revocation_endpoint": format!("{}/revoke", origin(issuer)),
                    }),
                ),
            ]
        })
        .await;
        let r = sign_out_at(&server.issuer, "rt-split").await;
        assert_eq!(r.report.outcome, Outcome::Revoked, "{layout}: {r:?}");
        assert_eq!(*server.revoked.lock().unwrap(), ["rt-split"], "{layout}");
    }
}

#[tokio::test]
async fn oidc_with_no_revocation_endpoint_in_any_document_is_local_only_and_names_them() {
    let server = metadata_server("/tenant", |issuer| {
        vec![
            (
                format!("/tenant{OIDC_CONFIGURATION}"),
                200,
                serde_json::json!({ "issuer": issuer, "token_endpoint": format!("{issuer}/token") }),
            ),
            (
                format!("{OAUTH_METADATA}/tenant"),
                200,
                serde_json::json!({ "issuer": issuer }),
            ),
        ]
    })
    .await;
    let r = sign_out_at(&server.issuer, "rt-nowhere").await;
    assert_eq!(r.report.outcome, Outcome::LocalOnly, "{r:?}");
    let note = r.report.note.unwrap();
    let issuer = server.issuer.as_str();
    let origin = origin(issuer);
    for named in [
        format!("read {issuer}{OIDC_CONFIGURATION}, {origin}{OAUTH_METADATA}/tenant"),
        format!("nothing at {issuer}{OAUTH_METADATA}"),
    ] {
        assert!(note.contains(&named), "{named:?} in {note}");
    }
    assert!(note.contains("lives on"), "{note}");
}

#[tokio::test]
async fn oidc_a_second_document_for_another_issuer_is_refused_not_merged() {
    let server = metadata_server("/tenant", |issuer| {
        let other = format!("{}/other", origin(issuer));
        vec![
            (
                format!("/tenant{OIDC_CONFIGURATION}"),
                200,
                serde_json::json!({ "issuer": issuer }),
            ),
            (
                format!("{OAUTH_METADATA}/tenant"),
                200,
                serde_json::json!({
                    "issuer": other,
                    "revocation_endpoint": format!("{}/revoke", origin(issuer)),
                }),
            ),
        ]
    })
    .await;
    let r = sign_out_at(&server.issuer, "rt-other-issuer").await;
    assert_eq!(r.report.outcome, Outcome::Failed, "{r:?}");
    let e = r.report.error.unwrap();
    assert_eq!(e.code(), "discovery_failed");
    let why = e.description().unwrap();
    assert!(
        why.contains("/other") && why.contains(OAUTH_METADATA),
        "names the issuer and the document: {why}"
    );
    assert!(
        server.revoked.lock().unwrap().is_empty(),
        "nothing sent to the other issuer's endpoint"
    );
}

#[tokio::test]
async fn oidc_a_second_document_that_is_unavailable_is_pending() {
    let server = metadata_server("", |issuer| {
        vec![
            (
                OIDC_CONFIGURATION.into(),
                200,
                serde_json::json!({ "issuer": issuer }),
            ),
            (OAUTH_METADATA.into(), 503, serde_json::json!({})),
        ]
    })
    .await;
    let r = sign_out_at(&server.issuer, "rt-unavailable").await;
    assert_eq!(r.report.outcome, Outcome::Pending, "{r:?}");
    assert_eq!(r.report.error.unwrap().code(), "http_503");
}

#[tokio::test]
async fn oidc_without_a_revocation_endpoint_is_local_only_and_says_so() {
    let server = openid_configuration_only(|base| {
        serde_json::json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
        })
    })
    .await;
    let p = oidc_profile(&server.issuer, ("client", "secret"), "basic");
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
    let server = openid_configuration_only(|_| {
        serde_json::json!({
            "issuer": "https://evil.example",
            "revocation_endpoint": "https://evil.example/revoke",
        })
    })
    .await;
    let p = oidc_profile(&server.issuer, ("client", "secret"), "basic");
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
    let server = openid_configuration_only(|base| {
        serde_json::json!({
            "issuer": base,
            "revocation_endpoint": "http://id.corp.example/revoke",
        })
    })
    .await;
    let p = oidc_profile(&server.issuer, ("client", "secret"), "basic");
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
