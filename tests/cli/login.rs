//! `signoff account login`: OpenID Connect authorization code with PKCE against the real
//! `oidc-provider`, the browser step played over HTTP; then sign-out and introspection.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use signoff_tests::oidc::OidcProvider;

use crate::{json, keychain_lookup, signoff_async, signoff_cmd, write_providers};

/// Reads the sign-in address the CLI prints, and keeps draining its stderr afterwards (a closed
/// pipe would make its next message fail).
async fn sign_in_url(child: &mut std::process::Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim().starts_with("http")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(line.trim().to_owned());
            }
        }
    });
    rx.await.expect("the CLI prints the sign-in URL")
}

/// Runs `signoff --home HOME args` (an `account login`), plays the browser as `user`, and
/// returns the sign-in address it printed and what it printed when done.
async fn login_as(
    home: &std::path::Path,
    op: &OidcProvider,
    args: &[&str],
    user: &str,
) -> (url::Url, std::process::Output) {
    let mut child = signoff_cmd(home, args)
        .env("SIGNOFF_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = url::Url::parse(&sign_in_url(&mut child).await).unwrap();
    let callback = op.complete_login(&start, user).await;
    assert!(
        callback.query_pairs().any(|(k, _)| k == "code"),
        "the provider sent a code"
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (start, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_pkce_then_sign_out_and_introspection_says_inactive() {
    let op = OidcProvider::start().await;
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"corp\"\nlabel = \"Corp ID\"\nprotocol = \"oidc\"\nissuer = \"{}\"\n\
             client_id = \"signoff-native\"\nclient_auth = \"none\"\noffline_access = true\n\
             scopes = [\"profile\", \"email\"]\n",
            op.issuer.as_str().trim_end_matches('/')
        ),
    );
    let (start, out) = login_as(
        home.path(),
        &op,
        &[
            "--json",
            "account",
            "login",
            "corp",
            "--no-browser",
            "--timeout",
            "60",
        ],
        "ada",
    )
    .await;
    let q: std::collections::HashMap<_, _> = start.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "offline_access"));
    assert!(q["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(q.contains_key("state") && q.contains_key("nonce"));
    assert!(out.status.success(), "login exits 0");
    let account = json(&out);
    assert_eq!(account["subject"], "ada");
    assert_eq!(
        account["label"], "ada@example.test",
        "label from the ID token"
    );
    assert_eq!(account["status"], "signed_in");
    let id = account["id"].as_str().unwrap().to_owned();
    let stored: serde_json::Value =
        serde_json::from_str(&keychain_lookup(&id).expect("tokens in the keychain")).unwrap();
    assert!(stored["refresh_token"].is_string() && stored["access_token"].is_string());
    assert!(stored["id_token"].is_string());

    assert!(
        account["access_expires_at"].is_string(),
        "expiry from the token answer"
    );

    // Expiring soon: `account check` refreshes with the refresh token (which the provider rotates).
    let check = signoff_async(
        home.path(),
        &["--json", "account", "check", "--within", "7200"],
        "",
    )
    .await;
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(json(&check)["checks"][0]["result"], "refreshed");
    let fresh: serde_json::Value = serde_json::from_str(&keychain_lookup(&id).unwrap()).unwrap();
    let (rt, at) = (
        fresh["refresh_token"].as_str().unwrap().to_owned(),
        fresh["access_token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(
        at,
        stored["access_token"].as_str().unwrap(),
        "a new access token"
    );
    assert!(
        op.is_active_public("signoff-native", &at).await,
        "and it works"
    );

    let out = signoff_async(home.path(), &["--json", "signout", &id, "--verify"], "").await;
    assert_eq!(out.status.code(), Some(0));
    let r = &json(&out)["results"][0];
    assert_eq!(r["outcome"], "revoked");
    assert_eq!(r["verified"], true, "introspection says inactive");
    assert!(!op.is_active_public("signoff-native", &rt).await);
    assert!(!op.is_active_public("signoff-native", &at).await);
    assert_eq!(keychain_lookup(&id), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_times_out_cleanly_and_adds_nothing() {
    let op = OidcProvider::start().await;
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"corp\"\nprotocol = \"oidc\"\nissuer = \"{}\"\nclient_id = \"signoff-native\"\nclient_auth = \"none\"\n",
            op.issuer.as_str().trim_end_matches('/')
        ),
    );
    let out = signoff_async(
        home.path(),
        &["account", "login", "corp", "--no-browser", "--timeout", "1"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Open this address in a browser"), "{err}");
    assert!(
        err.contains("[sign_in_timed_out]")
            && err.contains("no answer from the browser within 1 s"),
        "{err}"
    );
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keycloak_profile_with_an_issuer_signs_in_too() {
    let op = OidcProvider::start().await;
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"hyperid\"\nissuer = \"{}\"\nclient_id = \"signoff-native\"\nclient_auth = \"none\"\n\
             logout_endpoint = \"{}/logout\"\n",
            op.issuer.as_str().trim_end_matches('/'),
            op.issuer.as_str().trim_end_matches('/')
        ),
    );
    let (_, out) = login_as(
        home.path(),
        &op,
        &[
            "--json",
            "account",
            "login",
            "hyperid",
            "--no-browser",
            "--label",
            "HyperID work",
        ],
        "bob",
    )
    .await;
    assert!(out.status.success());
    let account = json(&out);
    assert_eq!(
        (account["label"].as_str(), account["subject"].as_str()),
        (Some("HyperID work"), Some("bob"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_the_provider_no_longer_accepts_needs_attention_before_sign_out() {
    let op = OidcProvider::start().await;
    let home = tempfile::tempdir().unwrap();
    write_public_corp(home.path(), &op, "offline_access = true\n");
    let (_, out) = login_as(
        home.path(),
        &op,
        &["--json", "account", "login", "corp", "--no-browser"],
        "cy",
    )
    .await;
    let id = json(&out)["id"].as_str().unwrap().to_owned();
    let stored: serde_json::Value = serde_json::from_str(&keychain_lookup(&id).unwrap()).unwrap();
    // The session ends at the provider behind Signoff's back.
    op.revoke_public("signoff-native", stored["refresh_token"].as_str().unwrap())
        .await;

    let check = signoff_async(
        home.path(),
        &["--json", "account", "check", "--within", "7200"],
        "",
    )
    .await;
    assert_eq!(check.status.code(), Some(2), "needs attention exits 2");
    let c = &json(&check)["checks"][0];
    assert_eq!(c["result"], "needs_attention");
    assert_eq!(c["error"]["code"], "session_expired");
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    let a = &json(&list)["accounts"][0];
    assert_eq!(a["status"], "needs_attention");
    assert!(
        a["last_error"]["description"]
            .as_str()
            .unwrap()
            .contains("sign in again")
    );
    assert!(
        keychain_lookup(&id).is_some(),
        "nothing deleted: the person decides"
    );
}

/// The example token of the Matar seed document: a JWT whose `exp` is in 2016.
const MATAR_SEED_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuYXV0aDAuY29tLyIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUuY29tL2NhbGFuZGFyL3YxLyIsInN1YiI6InVzcl8xMjMiLCJpYXQiOjE0NTg3ODU3OTYsImV4cCI6MTQ1ODg3MjE5Nn0.CA7eaHjIHz5NxeIJoFK9krqaeZrPLwmMmgI_XiQiIkQ";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_bearer_token_that_cannot_be_refreshed_needs_attention() {
    let home = tempfile::tempdir().unwrap();
    let expired = crate::add(
        home.path(),
        "matar",
        "Matar old",
        &format!(r#"{{"access_token":"{MATAR_SEED_JWT}"}}"#),
    )
    .await;
    let opaque = crate::add(
        home.path(),
        "matar",
        "Matar opaque",
        r#"{"access_token":"not-a-jwt"}"#,
    )
    .await;
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    let accounts = json(&list)["accounts"].as_array().unwrap().clone();
    let old = accounts
        .iter()
        .find(|a| a["id"] == expired.as_str())
        .unwrap();
    assert_eq!(
        old["access_expires_at"], "2016-03-25T02:16:36Z",
        "read from the token's exp"
    );

    let check = signoff_async(home.path(), &["--json", "account", "check"], "").await;
    assert_eq!(check.status.code(), Some(2));
    let checks = json(&check)["checks"].as_array().unwrap().clone();
    assert_eq!(
        checks.len(),
        1,
        "only the token known to expire: {checks:?}"
    );
    assert_eq!(checks[0]["account"], expired.as_str());
    assert_eq!(checks[0]["error"]["code"], "token_expired");
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    for a in json(&list)["accounts"].as_array().unwrap() {
        let want = if a["id"] == opaque.as_str() {
            "signed_in"
        } else {
            "needs_attention"
        };
        assert_eq!(a["status"], want, "{a}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_label_keeps_the_name_the_provider_gave() {
    let op = OidcProvider::start().await;
    let home = tempfile::tempdir().unwrap();
    write_public_corp(home.path(), &op, "scopes = [\"email\"]\n");
    let (_, out) = login_as(
        home.path(),
        &op,
        &[
            "--json",
            "account",
            "login",
            "corp",
            "--no-browser",
            "--label",
            "   ",
        ],
        "ada",
    )
    .await;
    assert!(out.status.success(), "login exits 0");
    assert_eq!(
        json(&out)["label"],
        "ada@example.test",
        "a blank --label is no label"
    );
}

/// A profile `corp`: the test provider as a public OpenID Connect client, plus `extra` lines.
pub(crate) fn write_public_corp(home: &std::path::Path, op: &OidcProvider, extra: &str) {
    write_providers(
        home,
        &format!(
            "[[provider]]\nid = \"corp\"\nprotocol = \"oidc\"\nissuer = \"{}\"\nclient_id = \"signoff-native\"\n\
             client_auth = \"none\"\n{extra}",
            op.issuer.as_str().trim_end_matches('/')
        ),
    );
}
