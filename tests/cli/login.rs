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
    let mut child = signoff_cmd(
        home.path(),
        &[
            "--json",
            "account",
            "login",
            "corp",
            "--no-browser",
            "--timeout",
            "60",
        ],
    )
    .env("SIGNOFF_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let url = sign_in_url(&mut child).await;
    let start = url::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = start.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "offline_access"));
    assert!(q["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(q.contains_key("state") && q.contains_key("nonce"));

    let callback = op.complete_login(&start, "ada").await;
    assert!(callback.query_pairs().any(|(k, _)| k == "code"));
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
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
    let (rt, at) = (
        stored["refresh_token"].as_str().unwrap().to_owned(),
        stored["access_token"].as_str().unwrap().to_owned(),
    );
    assert!(stored["id_token"].is_string());

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
        err.contains("[sign_in_failed]") && err.contains("no answer from the browser within 1 s"),
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
    let mut child = signoff_cmd(
        home.path(),
        &[
            "--json",
            "account",
            "login",
            "hyperid",
            "--no-browser",
            "--label",
            "HyperID work",
        ],
    )
    .env("SIGNOFF_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let url = sign_in_url(&mut child).await;
    op.complete_login(&url::Url::parse(&url).unwrap(), "bob")
        .await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success());
    let account = json(&out);
    assert_eq!(
        (account["label"].as_str(), account["subject"].as_str()),
        (Some("HyperID work"), Some("bob"))
    );
}
