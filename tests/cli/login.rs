//! `signoff account login`: OpenID Connect authorization code with PKCE against the real
//! `oidc-provider`, the browser step played over HTTP; then sign-out and introspection. The
//! loopback listener against idle connections and forged callbacks, `iss` (RFC 9207), a bad ID
//! token signature (its tokens revoked), `$BROWSER` given only the `/start` address, Ctrl-C.

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
    let (child, start) = spawn_login(home, args).await;
    let authorize = authorization_url(op, &start).await;
    let callback = op.complete_login(&authorize, user).await;
    assert!(
        callback.query_pairs().any(|(k, _)| k == "code"),
        "the provider sent a code"
    );
    (authorize, wait_output(child).await)
}

/// What the `/start` address redirects to (it answers once: go on from the URL returned).
async fn authorization_url(op: &OidcProvider, start: &url::Url) -> url::Url {
    assert!(
        start.path().starts_with("/start/") && start.query().is_none(),
        "a short start address: {start}"
    );
    let resp = signoff_core::http::client(Default::default())
        .get(start.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "/start redirects");
    let to = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(to.origin(), op.issuer.origin(), "to the provider");
    to
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
    assert!(
        q["redirect_uri"].starts_with("http://127.0.0.1:")
            && q["redirect_uri"].ends_with("/callback/corp"),
        "the provider's own redirect path: {}",
        q["redirect_uri"]
    );
    assert!(q.contains_key("state") && q.contains_key("nonce"));
    assert!(out.status.success(), "login exits 0");
    // The tokens the provider issued are live: the refused sign-ins below prove revocation with
    // the same introspection.
    let issued = op.issued().await;
    assert_eq!(issued.len(), 1);
    assert!(
        op.is_active_public("signoff-native", &issued[0].access_token)
            .await
    );
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

/// A data folder with the `corp` profile of [`write_public_corp`].
fn corp_home(op: &OidcProvider, extra: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write_public_corp(home.path(), op, extra);
    home
}

/// Starts `signoff account login corp --no-browser` (with `extra` arguments) and returns the
/// child and the `/start` address it printed.
async fn start_login(home: &std::path::Path, extra: &[&str]) -> (std::process::Child, url::Url) {
    let mut args = vec!["--json", "account", "login", "corp", "--no-browser"];
    args.extend_from_slice(extra);
    spawn_login(home, &args).await
}

/// Starts `signoff --home HOME args` (an `account login`) and returns the child and the
/// `/start` address it printed.
async fn spawn_login(home: &std::path::Path, args: &[&str]) -> (std::process::Child, url::Url) {
    let mut child = signoff_cmd(home, args)
        .env("SIGNOFF_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = url::Url::parse(&sign_in_url(&mut child).await).unwrap();
    (child, start)
}

async fn wait_output(child: std::process::Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

/// `url` with query parameter `name` set to `value` (or removed when `None`).
fn with_param(url: &url::Url, name: &str, value: Option<&str>) -> url::Url {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    if let Some(v) = value {
        pairs.push((name.to_owned(), v.to_owned()));
    }
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

async fn no_accounts(home: &std::path::Path) {
    let list = signoff_async(home, &["--json", "account", "list"], "").await;
    assert_eq!(
        json(&list)["accounts"],
        serde_json::json!([]),
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_and_forged_callbacks_do_not_stop_the_sign_in() {
    let op = OidcProvider::start().await;
    let home = corp_home(&op, "");
    let (child, start) = start_login(home.path(), &[]).await;
    let port = start.port().unwrap();
    // Held open, silent, for the whole sign-in (a browser's preconnect, another local user).
    let idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let half = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(&mut &half, b"GET /callback/corp?state=").unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for forged in [
        "/callback/corp?error=access_denied&error_description=forged&state=wrong",
        "/callback/corp?error=access_denied",
        "/callback/corp?code=abc&state=",
        "/callback?code=abc",
        "/callback/other?error=access_denied",
    ] {
        let url = url::Url::parse(&format!("{base}{forged}")).unwrap();
        let (status, _) = op.deliver(&url).await;
        assert_eq!(status, 404, "{forged} is ignored");
    }
    let callback = op.complete_login(&start, "ada").await;
    assert_eq!(callback.path(), "/callback/corp");
    let out = wait_output(child).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["subject"], "ada");
    // Both were held open until the sign-in had finished.
    drop((idle, half));
}

/// Runs `account login corp` for `home` (its profile written), plays the browser as ada, passes
/// the callback through `change` and delivers it: the page must say the sign-in did not work and
/// the CLI fail with `sign_in_failed`. Returns the error's message.
async fn refused_login(
    op: &OidcProvider,
    home: &std::path::Path,
    change: impl FnOnce(url::Url) -> url::Url,
) -> String {
    let (child, start) = start_login(home, &[]).await;
    let callback = op.authorize(&start, "ada").await;
    let (status, page) = op.deliver(&change(callback)).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("did not work"), "{page}");
    let out = wait_output(child).await;
    assert_eq!(out.status.code(), Some(1));
    let err = json(&out)["error"].clone();
    assert_eq!(err["code"], "sign_in_failed");
    err["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_from_another_issuer_or_without_iss_is_refused_before_any_exchange() {
    let op = OidcProvider::start().await;
    let home = corp_home(&op, "");
    for (iss, why) in [
        (
            Some("https://evil.example"),
            "comes from issuer \"https://evil.example\"",
        ),
        (None, "has no iss"),
    ] {
        let message = refused_login(&op, home.path(), |callback| {
            assert!(
                callback.query_pairs().any(|(k, _)| k == "iss"),
                "oidc-provider sends iss"
            );
            with_param(&callback, "iss", iss)
        })
        .await;
        assert!(message.contains(why), "{message}");
    }
    assert!(op.issued().await.is_empty(), "no code was exchanged");
    no_accounts(home.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_error_with_the_right_state_ends_the_sign_in_in_its_words() {
    let op = OidcProvider::start().await;
    let home = corp_home(&op, "");
    let long = format!("The user said no\r\n\u{1b}[31m{}", "x".repeat(1000));
    let message = refused_login(&op, home.path(), |callback| {
        let refused = with_param(&callback, "code", None);
        let refused = with_param(&refused, "error", Some("access_denied"));
        with_param(&refused, "error_description", Some(&long))
    })
    .await;
    assert!(
        message.contains("\"access_denied: The user said no[31mxxx"),
        "{message}"
    );
    assert!(
        !message.contains('\u{1b}') && !message.contains('\n'),
        "{message:?}"
    );
    assert!(message.len() < 600, "capped: {} chars", message.len());
    no_accounts(home.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_with_a_bad_signature_is_refused_and_its_tokens_revoked() {
    let op = OidcProvider::start_with_wrong_jwks().await;
    let home = corp_home(&op, "offline_access = true\n");
    let message = refused_login(&op, home.path(), |callback| callback).await;
    assert!(
        message.contains("ID token") && message.contains("signature does not match"),
        "{message}"
    );
    no_accounts(home.path()).await;
    let issued = op.issued().await;
    assert_eq!(issued.len(), 1, "the code was exchanged once");
    assert!(!issued[0].refresh_token.is_empty(), "offline access");
    for token in [&issued[0].refresh_token, &issued[0].access_token] {
        assert!(
            !op.is_active_public("signoff-native", token).await,
            "revoked after the refusal"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_from_dollar_browser_gets_only_the_start_address_and_is_not_waited_for() {
    let op = OidcProvider::start().await;
    let home = corp_home(&op, "");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("browser.sh");
    let (args, pid) = (dir.path().join("args"), dir.path().join("pid"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > '{pid}'\nprintf '%s\\n' \"$@\" > '{args}.tmp'\nmv '{args}.tmp' '{args}'\n\
             exec sleep 120\n",
            pid = pid.display(),
            args = args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let browser = format!("/nonexistent/browser:{} --new-window %s", script.display());
    let mut child = signoff_cmd(home.path(), &["--json", "account", "login", "corp"])
        .env("SIGNOFF_LOG", "warn")
        .env("BROWSER", &browser)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let printed = sign_in_url(&mut child).await;
    let mut recorded = None;
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&args) {
            recorded = Some(text);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let recorded = recorded.expect("the $BROWSER script ran");
    let argv: Vec<&str> = recorded.lines().collect();
    assert_eq!(argv.len(), 2, "{argv:?}");
    assert_eq!(argv[0], "--new-window");
    assert_eq!(argv[1], printed, "the address printed is the one opened");
    let start = url::Url::parse(argv[1]).unwrap();
    assert!(
        start.path().starts_with("/start/") && start.query().is_none(),
        "{start}"
    );
    for secret in [
        "state",
        "nonce",
        "code_challenge",
        "redirect_uri",
        "client_id",
    ] {
        assert!(
            !recorded.contains(secret),
            "{secret} in the browser's argv: {recorded}"
        );
    }
    // The browser is still running (sleeping): the sign-in goes on without waiting for it.
    op.complete_login(&start, "ada").await;
    let out = wait_output(child).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let browser_pid = std::fs::read_to_string(&pid).unwrap();
    let alive = std::path::Path::new(&format!("/proc/{}", browser_pid.trim())).exists();
    assert!(alive, "the browser was not waited for");
    let _ = std::process::Command::new("kill")
        .arg(browser_pid.trim())
        .status();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_login_and_stores_nothing() {
    let op = OidcProvider::start().await;
    let home = corp_home(&op, "");
    let (child, start) = start_login(home.path(), &[]).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = wait_output(child).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "sign_in_cancelled");
    no_accounts(home.path()).await;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", start.port().unwrap())).is_err(),
        "nothing listens any more"
    );
}
