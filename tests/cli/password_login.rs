//! `signoff account login` with a user name and password (MeshyDB's documented token login, and
//! its anonymous users) against the project's MeshyDB test server; and pasted bearer tokens
//! checked at a profile's check endpoint before they are stored.

use signoff_tests::servers::{self, MESHYDB_ACCOUNT, TestServer};
use signoff_tests::session::assert_not_in_files;

use crate::{json, keychain_lookup, signoff_async, stderr, stdout, write_providers};

const PUBLIC_KEY: &str = "mdb-public-key-7";
const PASSWORD: &str = "correct horse 42";

/// A providers.toml pointing the built-in MeshyDB profile at the test server.
fn meshydb_profile(server: &TestServer) -> String {
    let base = server.base.as_str().trim_end_matches('/');
    format!(
        "[[provider]]\nid = \"meshydb\"\nclient_id = \"{PUBLIC_KEY}\"\n\
         revocation_endpoint = \"{base}/{{account}}/connect/revocation\"\n\
         token_endpoint = \"{base}/{{account}}/connect/token\"\n\
         anonymous_registration_endpoint = \"{base}/{{account}}/users/register/anonymous\"\n\
         params = {{ account = \"{MESHYDB_ACCOUNT}\" }}\n"
    )
}

/// `signoff --json account login meshydb --username NAME --password-stdin`, fed `password`.
async fn login(home: &std::path::Path, name: &str, password: &str) -> std::process::Output {
    signoff_async(
        home,
        &[
            "--json",
            "account",
            "login",
            "meshydb",
            "--username",
            name,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
    .await
}

fn stored(id: &str) -> serde_json::Value {
    serde_json::from_str(&keychain_lookup(id).expect("tokens in the keychain")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meshydb_password_login_refresh_then_sign_out_revokes_the_refresh_token() {
    let server = servers::meshydb(PUBLIC_KEY).await;
    server.add_user("ada", PASSWORD);
    let home = tempfile::tempdir().unwrap();
    write_providers(home.path(), &meshydb_profile(&server));

    let login = login(home.path(), "ada", PASSWORD).await;
    assert!(login.status.success(), "login: {}", stderr(&login));
    let account = json(&login);
    assert_eq!(account["subject"], "ada");
    assert_eq!(account["label"], "ada");
    assert_eq!(account["status"], "signed_in");
    assert!(
        account["access_expires_at"].is_string(),
        "expiry from expires_in"
    );
    let id = account["id"].as_str().unwrap().to_owned();

    // What reached the token endpoint: MeshyDB's documented form.
    let asked = server
        .seen()
        .into_iter()
        .find(|s| s.path.ends_with("/connect/token"))
        .unwrap();
    assert_eq!(asked.form["grant_type"], "password");
    assert_eq!(asked.form["client_id"], PUBLIC_KEY);
    assert_eq!(asked.form["username"], "ada");
    assert_eq!(asked.form["scope"], "meshy.api offline_access");

    let issued = server.issued();
    assert_eq!(issued.len(), 1, "one refresh token issued");
    let rt = issued[0].1.clone();
    let tokens = stored(&id);
    assert_eq!(tokens["refresh_token"], rt.as_str());
    let first_access = tokens["access_token"].as_str().unwrap().to_owned();

    // The access token lasts an hour: a check within two hours refreshes it.
    let check = signoff_async(
        home.path(),
        &["--json", "account", "check", "--within", "7200"],
        "",
    )
    .await;
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert_eq!(json(&check)["checks"][0]["result"], "refreshed");
    let fresh = stored(&id);
    assert_ne!(fresh["access_token"].as_str().unwrap(), first_access);
    assert_eq!(
        fresh["refresh_token"],
        rt.as_str(),
        "MeshyDB keeps the refresh token"
    );

    let out = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["results"][0]["outcome"], "revoked");
    assert!(server.is_ended(&rt), "MeshyDB revoked the refresh token");
    assert_eq!(keychain_lookup(&id), None);

    // The password never lands in logs, the database or any output.
    assert_not_in_files(home.path(), PASSWORD);
    for o in [&login, &check, &out] {
        assert!(!stdout(o).contains(PASSWORD) && !stderr(o).contains(PASSWORD));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meshydb_anonymous_user_is_registered_signed_in_and_signed_out() {
    let server = servers::meshydb(PUBLIC_KEY).await;
    let home = tempfile::tempdir().unwrap();
    write_providers(home.path(), &meshydb_profile(&server));

    let login = signoff_async(
        home.path(),
        &["--json", "account", "login", "meshydb", "--anonymous"],
        "",
    )
    .await;
    assert!(login.status.success(), "login: {}", stderr(&login));
    let account = json(&login);
    let name = account["subject"].as_str().unwrap().to_owned();
    assert!(name.starts_with("signoff-"), "a fresh user name: {name}");
    assert!(server.has_user(&name), "registered at MeshyDB first");
    assert_eq!(account["label"], format!("{name} (anonymous)"));
    let rt = server.issued()[0].1.clone();
    assert_eq!(server.issued()[0].0, name);

    // A named anonymous user; the same name again is refused by MeshyDB and nothing is added.
    let named = signoff_async(
        home.path(),
        &[
            "--json",
            "account",
            "login",
            "meshydb",
            "--anonymous",
            "--username",
            "kiosk-3",
            "--label",
            "  ",
        ],
        "",
    )
    .await;
    assert!(named.status.success(), "{}", stderr(&named));
    assert_eq!(json(&named)["subject"], "kiosk-3");
    assert_eq!(
        json(&named)["label"],
        "kiosk-3 (anonymous)",
        "a blank --label is no label"
    );
    let again = signoff_async(
        home.path(),
        &[
            "--json",
            "account",
            "login",
            "meshydb",
            "--anonymous",
            "--username",
            "kiosk-3",
        ],
        "",
    )
    .await;
    assert_eq!(again.status.code(), Some(1));
    let err = json(&again);
    assert_eq!(err["error"]["code"], "sign_in_failed");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Username already exists"),
        "{err}"
    );
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 2);

    let id = account["id"].as_str().unwrap();
    let out = signoff_async(home.path(), &["--json", "signout", id], "").await;
    assert_eq!(json(&out)["results"][0]["outcome"], "revoked");
    assert!(server.is_ended(&rt));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meshydb_wrong_password_or_missing_user_name_adds_nothing_and_says_why() {
    let server = servers::meshydb(PUBLIC_KEY).await;
    server.add_user("ada", PASSWORD);
    let home = tempfile::tempdir().unwrap();
    write_providers(home.path(), &meshydb_profile(&server));

    let wrong = login(home.path(), "ada", "not-the-password-55").await;
    assert_eq!(wrong.status.code(), Some(1));
    let err = json(&wrong);
    assert_eq!(err["error"]["code"], "sign_in_failed");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused the user name or password") && message.contains("invalid_grant"),
        "{message}"
    );
    assert!(!stdout(&wrong).contains("not-the-password-55"));
    assert!(!stderr(&wrong).contains("not-the-password-55"));
    assert_not_in_files(home.path(), "not-the-password-55");

    // No user name for a password provider: the CLI says what to give instead of opening a browser.
    let bare = signoff_async(home.path(), &["--json", "account", "login", "meshydb"], "").await;
    assert_eq!(bare.status.code(), Some(1));
    let err = json(&bare);
    assert_eq!(err["error"]["code"], "invalid_input");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--username")
    );

    // Piped stdin without --password-stdin: no terminal to ask on, so it says how.
    let piped = signoff_async(
        home.path(),
        &["--json", "account", "login", "meshydb", "--username", "ada"],
        "",
    )
    .await;
    assert_eq!(piped.status.code(), Some(1));
    assert!(
        json(&piped)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--password-stdin")
    );

    // MeshyDB down: a clear sentence, nothing stored.
    drop(server);
    let down = login(home.path(), "ada", PASSWORD).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(
        json(&down)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not reach MeshyDB")
    );
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert!(json(&list)["accounts"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_bearer_token_is_checked_at_the_profiles_check_endpoint() {
    let matar = servers::matar().await;
    matar.issue("matar-live-at-1");
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"{}\"\ncheck_endpoint = \"{}\"\n",
            matar.url("/api/v1/logout"),
            matar.url("/api/v1/me")
        ),
    );
    let add = |token: &'static str| {
        let home = home.path().to_path_buf();
        async move {
            signoff_async(
                &home,
                &[
                    "--json",
                    "account",
                    "add",
                    "matar",
                    "--label",
                    "Matar phone",
                ],
                &format!("{{\"access_token\": \"{token}\"}}"),
            )
            .await
        }
    };

    let live = add("matar-live-at-1").await;
    assert!(live.status.success(), "{}", stderr(&live));
    let seen = matar.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/api/v1/me");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer matar-live-at-1")
    );

    let dead = add("matar-dead-at-2").await;
    assert_eq!(dead.status.code(), Some(1));
    let err = json(&dead);
    assert_eq!(err["error"]["code"], "token_rejected");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    assert_eq!(keychain_lookup("matar-dead-at-2"), None);

    matar.fail_always(Some(servers::Fault::Unavailable { retry_after: None }));
    let unsure = add("matar-live-at-1").await;
    assert_eq!(unsure.status.code(), Some(1));
    assert_eq!(json(&unsure)["error"]["code"], "check_unavailable");

    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    let accounts = json(&list)["accounts"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 1, "only the token Matar accepted was added");
    assert_not_in_files(home.path(), "matar-dead-at-2");
}
