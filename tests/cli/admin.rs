//! IT admins sign people out at the identity provider (issue #18), against the admin API test
//! servers written from each provider's documentation (`tests/providers/src/admin/`): the
//! credential stored once from stdin, one person or a list, each receipt, the audit log with
//! the admin as actor, and the provider's rate limiting honoured.

use signoff_tests::servers::admin;

use crate::{json, signoff, signoff_async, stderr, stdout, write_providers};

const OKTA_TOKEN: &str = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd";

async fn okta_admin() -> (tempfile::TempDir, admin::AdminServer) {
    let home = tempfile::tempdir().unwrap();
    let server = admin::okta(OKTA_TOKEN).await;
    server.add_user("00u1ada", "ada@acme.test", "ada@acme.test");
    server.add_user("00u2bob", "bob@acme.test", "bob@acme.test");
    server.add_session("00u1ada");
    server.add_session("00u1ada");
    server.add_session("00u2bob");
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"okta\"\nparams = {{ org = \"acme.okta.com\" }}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    let out = signoff(
        home.path(),
        &["--json", "admin", "login", "okta"],
        OKTA_TOKEN,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(OKTA_TOKEN) && !stderr(&out).contains(OKTA_TOKEN));
    (home, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_okta_admin_signs_one_person_out_of_every_session() {
    let (home, server) = okta_admin().await;
    let out = admin_cli(home.path(), "signout", "okta", &["ada@acme.test"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let r = json(&out);
    assert_eq!(r["results"][0]["user"], "ada@acme.test");
    assert_eq!(r["results"][0]["result"], "ended", "{r}");
    assert!(server.is_signed_out("00u1ada"));
    assert!(!server.is_signed_out("00u2bob"), "only the person named");
    // The documented call: every session and OAuth token, remembered factors kept; the API
    // token as Okta's SSWS scheme.
    // Found by login first (one GET), then signed out by Okta's id.
    let q = server.queries_to("/api/v1/users/00u1ada/sessions");
    assert_eq!(
        q,
        ["oauthTokens=true&forgetDevices=false"],
        "{:?}",
        server.seen()
    );
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.authorization.as_deref() == Some(&format!("SSWS {OKTA_TOKEN}")[..]))
    );
    let audit = json(&signoff(home.path(), &["--json", "audit"], ""));
    let entry = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "admin_sign_out")
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(entry["actor"], "admin");
    assert_eq!(entry["label"], "ada@acme.test");
    assert_eq!(entry["outcome"], "revoked");
    assert!(!audit.to_string().contains(OKTA_TOKEN));
    // The API token is in the keychain only: not in the database, the logs (trace level) or
    // any other file of the data folder.
    let mut stack = vec![home.path().to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                files += 1;
                let t = OKTA_TOKEN.as_bytes();
                assert!(
                    !b.windows(t.len()).any(|w| w == t),
                    "{} holds the API token",
                    p.display()
                );
            }
        }
    }
    assert!(files > 2, "the database and a log were read");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_gets_a_receipt_per_person_and_waits_out_okta_s_rate_limit() {
    let (home, server) = okta_admin().await;
    let list = home.path().join("leavers.txt");
    std::fs::write(
        &list,
        "# leavers, December\nada@acme.test\n\nbob@acme.test\nnobody@acme.test\n",
    )
    .unwrap();
    // Okta's documented 429 (X-Rate-Limit-Reset one second ahead) twice, then answers.
    server.rate_limit_next(2, 1);
    let out = signoff_async(
        home.path(),
        &[
            "--json",
            "admin",
            "signout",
            "okta",
            "--from",
            list.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "someone was not found: {}",
        stderr(&out)
    );
    let r = json(&out);
    let result_of = |u: &str| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["user"] == u)
            .unwrap_or_else(|| panic!("{u} in {r}"))["result"]
            .clone()
    };
    assert_eq!(result_of("ada@acme.test"), "ended");
    assert_eq!(result_of("bob@acme.test"), "ended");
    assert_eq!(result_of("nobody@acme.test"), "not_found", "{r}");
    assert_eq!(r["results"].as_array().unwrap().len(), 3);
    assert!(server.is_signed_out("00u1ada") && server.is_signed_out("00u2bob"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dry_run_shows_each_person_s_call_and_calls_nothing() {
    let (home, server) = okta_admin().await;
    let out = signoff(
        home.path(),
        &[
            "--json",
            "admin",
            "signout",
            "okta",
            "--user",
            "ada@acme.test",
            "--user",
            "x/y",
            "--dry-run",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let calls = v["plans"][0]["calls"].as_array().unwrap();
    assert_eq!(calls[0]["method"], "GET", "looked up first: {v}");
    assert!(
        calls[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/users/ada@acme.test"),
        "{v}"
    );
    let delete = calls.last().unwrap();
    assert_eq!(delete["method"], "DELETE");
    assert!(
        delete["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/users/{id}/sessions?oauthTokens=true&forgetDevices=false"),
        "{v}"
    );
    assert!(
        v["plans"][1]["calls"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/users/x%2Fy"),
        "one segment: {v}"
    );
    assert!(server.seen().is_empty(), "nothing was called");
    assert!(!server.is_signed_out("00u1ada"));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_or_no_admin_api_is_said_before_anything_is_called() {
    let home = tempfile::tempdir().unwrap();
    let server = admin::okta(OKTA_TOKEN).await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"okta\"\nparams = {{ org = \"acme.okta.com\" }}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    let out = signoff(
        home.path(),
        &[
            "--json",
            "admin",
            "signout",
            "okta",
            "--user",
            "ada@acme.test",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json(&out)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signoff admin login okta")
    );
    let out = signoff(home.path(), &["--json", "admin", "login", "github"], "x");
    assert_eq!(json(&out)["error"]["code"], "invalid_input");
    assert!(server.seen().is_empty(), "nothing was called");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_microsoft_admin_app_revokes_sign_in_sessions_and_says_it_takes_minutes() {
    let home = tempfile::tempdir().unwrap();
    let server = admin::graph("contoso.onmicrosoft.com", "admin-app", "app-secret-value").await;
    server.add_user(
        "11111111-2222-3333-4444-555555555555",
        "ada@contoso.com",
        "ada@contoso.com",
    );
    server.add_session("11111111-2222-3333-4444-555555555555");
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"microsoft\"\nparams = {{ tenant = \"contoso.onmicrosoft.com\", admin_client_id = \"admin-app\" }}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    let out = signoff(
        home.path(),
        &["--json", "admin", "login", "microsoft"],
        "app-secret-value\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = admin_cli(
        home.path(),
        "signout",
        "microsoft",
        &["ada@contoso.com", "ghost@contoso.com"],
    )
    .await;
    let r = json(&out);
    let result_of = |u: &str| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["user"] == u)
            .unwrap()["result"]
            .clone()
    };
    assert_eq!(result_of("ada@contoso.com"), "ended", "{r}");
    assert_eq!(result_of("ghost@contoso.com"), "not_found", "{r}");
    assert!(server.is_signed_out("11111111-2222-3333-4444-555555555555"));
    assert!(r.to_string().contains("can take a few minutes"), "{r}");
    assert!(!r.to_string().contains("app-secret-value"));
    assert_eq!(
        server.issued_admin_tokens().len(),
        1,
        "one app token for the run"
    );
}

/// Points the built-in `provider` at `server` and stores `secret` as its admin credential.
fn admin_home(
    provider: &str,
    extra: &str,
    server: &admin::AdminServer,
    secret: &str,
) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"{provider}\"\n{extra}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    let out = signoff(home.path(), &["--json", "admin", "login", provider], secret);
    assert!(out.status.success(), "{}", stderr(&out));
    home
}

/// `signoff --json admin <cmd> <provider> --user …` for each of `users`.
async fn admin_cli(
    home: &std::path::Path,
    cmd: &str,
    provider: &str,
    users: &[&str],
) -> std::process::Output {
    let mut args = vec!["--json", "admin", cmd, provider];
    for u in users {
        args.extend(["--user", u]);
    }
    signoff_async(home, &args, "").await
}

/// The receipt for `user` in a `--json` admin sign-out's answer.
fn receipt_of(r: &serde_json::Value, user: &str) -> serde_json::Value {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["user"] == user)
        .unwrap_or_else(|| panic!("{user} in {r}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keycloak_admin_finds_people_by_e_mail_username_or_id_and_lists_their_sessions() {
    let server = admin::keycloak("staff", "signoff-admin", "kc-admin-secret").await;
    server.add_user("6f1c-ada", "ada@acme.test", "ada");
    server.add_user("7a2d-bob", "bob@acme.test", "bob");
    server.add_user("8b3e-cy", "cy@acme.test", "cy");
    // Two accounts share an e-mail (a realm that allows duplicate e-mails).
    server.add_user("9c4f-tw1", "twin@acme.test", "twin1");
    server.add_user("9c4f-tw2", "twin@acme.test", "twin2");
    for u in [
        "6f1c-ada", "6f1c-ada", "7a2d-bob", "8b3e-cy", "9c4f-tw1", "9c4f-tw2",
    ] {
        server.add_session(u);
    }
    // Two apps hold offline tokens of ada's (offline_access): logout leaves those.
    server.add_token("6f1c-ada", "mail-sync", "Mail sync");
    server.add_token("6f1c-ada", "backup-agent", "Backup agent");
    let home = admin_home(
        "keycloak",
        "params = { host = \"sso.acme.test\", realm = \"staff\", admin_client_id = \"signoff-admin\" }",
        &server,
        "kc-admin-secret\n",
    );
    // What the provider lists for a person, found by e-mail typed in another case.
    let out = admin_cli(home.path(), "sessions", "keycloak", &["ADA@acme.test"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let p = json(&out);
    assert_eq!(p["matches"][0]["id"], "6f1c-ada", "{p}");
    let sessions = p["sessions"].as_array().unwrap();
    assert_eq!(
        sessions.iter().filter(|s| s["offline"] == false).count(),
        2,
        "{p}"
    );
    let offline: Vec<&str> = sessions
        .iter()
        .filter(|s| s["offline"] == true)
        .map(|s| s["apps"][0].as_str().unwrap())
        .collect();
    assert_eq!(offline, ["mail-sync", "backup-agent"], "{p}");
    let started = p["sessions"][0]["started"].as_str().unwrap();
    assert!(
        started.ends_with('Z') && started.starts_with("20"),
        "RFC 3339: {p}"
    );
    assert!(
        !server.is_signed_out("6f1c-ada"),
        "looking signs nobody out"
    );

    let out = admin_cli(
        home.path(),
        "signout",
        "keycloak",
        &[
            "ada@acme.test",
            "bob",
            "8b3e-cy",
            "nobody@acme.test",
            "twin@acme.test",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r = json(&out);
    for (user, id) in [
        ("ada@acme.test", "6f1c-ada"),
        ("bob", "7a2d-bob"),
        ("8b3e-cy", "8b3e-cy"),
    ] {
        let x = receipt_of(&r, user);
        assert_eq!(x["result"], "ended", "{user}: {r}");
        assert_eq!(x["ids"], serde_json::json!([id]), "{r}");
        assert!(server.is_signed_out(id), "{user}");
        assert_eq!(server.sessions_of(id), 0);
    }
    assert_eq!(receipt_of(&r, "nobody@acme.test")["result"], "not_found");
    // Each app's offline tokens went with its consent, and the receipt says which.
    assert_eq!(server.tokens_of("6f1c-ada"), 0);
    let note = receipt_of(&r, "ada@acme.test")["note"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        note.contains("mail-sync") && note.contains("backup-agent"),
        "{note}"
    );
    let twin = receipt_of(&r, "twin@acme.test");
    assert_eq!(twin["result"], "failed", "{r}");
    assert_eq!(twin["error"]["kind"], "several_users", "{r}");
    assert!(
        twin["error"]["description"]
            .as_str()
            .unwrap()
            .contains("twin1"),
        "names who matched: {r}"
    );
    assert!(
        !server.is_signed_out("9c4f-tw1") && !server.is_signed_out("9c4f-tw2"),
        "neither twin"
    );
    // Found by the documented exact lookups; the logout is by id.
    assert!(
        server.requests_to("/admin/realms/staff/users/6f1c-ada/logout") == 1,
        "{:?}",
        server.requests_per_path()
    );
    assert!(
        server
            .queries_to("/admin/realms/staff/users")
            .iter()
            .all(|q| q.contains("exact=true"))
    );
    assert!(!r.to_string().contains("kc-admin-secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auth0_admin_ends_sessions_and_refresh_tokens_of_every_user_with_the_e_mail() {
    let server = admin::auth0("m2m-app", "auth0-m2m-secret").await;
    // One person, two users: a database login and a Google login with the same e-mail.
    server.add_user("auth0|ada1", "ada@acme.test", "ada");
    server.add_user("google-oauth2|1077", "ada@acme.test", "ada.g");
    server.add_user("auth0|bob2", "bob@acme.test", "bob");
    for u in ["auth0|ada1", "google-oauth2|1077", "auth0|bob2"] {
        server.add_session(u);
        server.add_token(u, "mobile-app", "Acme mobile");
    }
    let home = admin_home(
        "auth0",
        "params = { tenant = \"acme.eu.auth0.com\", admin_client_id = \"m2m-app\" }\n# The person's own app stays apart.\nclient_id = \"spa-app\"",
        &server,
        "auth0-m2m-secret",
    );
    let out = admin_cli(home.path(), "sessions", "auth0", &["ada@acme.test"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let p = json(&out);
    assert_eq!(p["matches"].as_array().unwrap().len(), 2, "{p}");
    assert_eq!(p["sessions"].as_array().unwrap().len(), 2, "{p}");
    // Auth0 matches e-mails case-sensitively and keeps database e-mails lower-cased: the typed
    // case is tried, then the lower-cased one.
    let out = admin_cli(home.path(), "signout", "auth0", &["Ada@Acme.test"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let r = json(&out);
    let x = receipt_of(&r, "Ada@Acme.test");
    assert_eq!(x["result"], "ended", "{r}");
    assert_eq!(x["ids"].as_array().unwrap().len(), 2, "{r}");
    for u in ["auth0|ada1", "google-oauth2|1077"] {
        assert!(server.is_signed_out(u), "{u}");
        assert_eq!(server.tokens_of(u), 0, "{u}'s refresh tokens");
    }
    assert!(!server.is_signed_out("auth0|bob2"));
    assert!(
        server.requests_to("/api/v2/users/auth0%7Cada1/refresh-tokens") == 1,
        "{:?}",
        server.requests_per_path()
    );
    // A tenant not on an Enterprise plan: failed, with Auth0's reason, never "ended".
    server.set_not_enterprise(true);
    let out = admin_cli(home.path(), "signout", "auth0", &["auth0|bob2"]).await;
    assert_eq!(out.status.code(), Some(2));
    let x = receipt_of(&json(&out), "auth0|bob2");
    assert_eq!(x["result"], "failed");
    assert!(
        x["error"]["description"].as_str().unwrap().contains("plan"),
        "{x}"
    );
    assert!(server.tokens_of("auth0|bob2") == 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_stopped_by_kill_9_resumes_where_it_stopped_through_a_429_storm_and_a_5xx() {
    let (home, server) = okta_admin().await;
    let people: Vec<String> = (0..40).map(|i| format!("p{i:02}@acme.test")).collect();
    for (i, p) in people.iter().enumerate() {
        server.add_user(&format!("00u{i:02}"), p, p);
        server.add_session(&format!("00u{i:02}"));
    }
    let list = home.path().join("leavers.txt");
    std::fs::write(&list, people.join("\n")).unwrap();
    // Each call takes a while, so the run is stopped in its middle.
    server.set_delay(std::time::Duration::from_millis(150));
    let args = [
        "--json",
        "admin",
        "signout",
        "okta",
        "--from",
        list.to_str().unwrap(),
    ];
    let mut child = crate::signoff_cmd(home.path(), &args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let signed_out = || {
        (0..40)
            .filter(|i| server.is_signed_out(&format!("00u{i:02}")))
            .count()
    };
    let started = std::time::Instant::now();
    while signed_out() < 12 {
        assert!(
            started.elapsed().as_secs() < 30,
            "the run did not get going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let before = signed_out();
    assert!(before < 40, "stopped in the middle ({before} done)");
    let sent_before = server.requests_per_path();
    // The rest meets a storm of Okta's 429s and a 500.
    server.set_delay(std::time::Duration::ZERO);
    server.rate_limit_next(6, 1);
    server.fail_next(1, signoff_tests::servers::Fault::ServerError);
    let out = signoff_async(home.path(), &args, "").await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let r = json(&out);
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 40, "a receipt per person, in list order");
    assert!(results.iter().all(|x| x["result"] == "ended"), "{r}");
    assert_eq!(results[0]["user"], "p00@acme.test");
    let resumed = results.iter().filter(|x| x["resumed"] == true).count();
    assert!(
        resumed >= 1 && resumed <= before,
        "{resumed} taken from the stopped run, {before} done then"
    );
    assert_eq!(signed_out(), 40);
    // Those with a receipt in the stopped run were not called again; only those in flight at
    // the kill could be.
    let sign_outs = |m: &std::collections::BTreeMap<String, usize>, i: usize| {
        m.get(&format!("/api/v1/users/00u{i:02}/sessions"))
            .copied()
            .unwrap_or(0)
    };
    let after = server.requests_per_path();
    let called_before = (0..40).filter(|i| sign_outs(&sent_before, *i) > 0).count();
    assert!(
        called_before >= 12,
        "{called_before} signed out before the kill"
    );
    let again = (0..40)
        .filter(|i| {
            sign_outs(&sent_before, *i) > 0 && sign_outs(&after, *i) > sign_outs(&sent_before, *i)
        })
        .count();
    assert!(again <= 8 + 1, "{again} people called twice");
    // Every run's audit entries name the admin; the finished run is not resumed again.
    let out = signoff_async(home.path(), &args, "").await;
    assert!(
        json(&out)["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x.get("resumed").is_none())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_google_service_account_acting_as_an_admin_signs_people_out_of_workspace() {
    let server = admin::google("signoff@acme-it.iam.gserviceaccount.com", "it@acme.test").await;
    server.add_user("1071", "ada@acme.test", "ada@acme.test");
    server.add_user("1072", "bob@acme.test", "bob@acme.test");
    server.add_session("1071");
    server.add_session("1072");
    // Apps ada granted access to (tokens.list): signOut alone leaves them.
    server.add_token("1071", "1234.apps.googleusercontent.com", "Acme CRM");
    server.add_token("1071", "5678.apps.googleusercontent.com", "Calendar sync");
    let key_file = serde_json::json!({
        "type": "service_account",
        "project_id": "acme-it",
        "private_key_id": "k1",
        "private_key": admin::google_test_key_pem(),
        "client_email": "signoff@acme-it.iam.gserviceaccount.com",
        "token_uri": server.url("/token").as_str(),
    })
    .to_string();
    let home = tempfile::tempdir().unwrap();
    let base = server.url("/").as_str().trim_end_matches('/').to_owned();
    // Without the admin to act as, the admin part waits for it; nothing is called.
    write_providers(
        home.path(),
        &format!("[[provider]]\nid = \"google\"\nbase_url = \"{base}\"\n"),
    );
    let out = signoff(
        home.path(),
        &[
            "--json",
            "admin",
            "signout",
            "google",
            "--user",
            "ada@acme.test",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("params.admin"), "{}", stdout(&out));
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"google\"\nbase_url = \"{base}\"\nparams = {{ admin = \"it@acme.test\" }}\n"
        ),
    );
    // A file that is not a service account's key is refused at login, without echoing it.
    let out = signoff(
        home.path(),
        &["--json", "admin", "login", "google"],
        "{\"type\":\"authorized_user\",\"refresh_token\":\"1//not-this\"}",
    );
    assert_eq!(json(&out)["error"]["code"], "invalid_input");
    assert!(!stdout(&out).contains("1//not-this") && !stderr(&out).contains("1//not-this"));
    let out = signoff(
        home.path(),
        &["--json", "admin", "login", "google"],
        &key_file,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // What Google lists for a person: the apps they granted access to.
    let p = json(&admin_cli(home.path(), "sessions", "google", &["ada@acme.test"]).await);
    let apps: Vec<&str> = p["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{p}"))
        .iter()
        .map(|s| s["apps"][0].as_str().unwrap())
        .collect();
    assert_eq!(apps, ["Acme CRM", "Calendar sync"], "{p}");
    // Google's throttling answer is a 403 with reason userRateLimitExceeded: waited out.
    server.rate_limit_next(2, 1);
    let out = admin_cli(
        home.path(),
        "signout",
        "google",
        &["ada@acme.test", "nobody@acme.test"],
    )
    .await;
    let r = json(&out);
    assert_eq!(receipt_of(&r, "ada@acme.test")["result"], "ended", "{r}");
    assert_eq!(
        receipt_of(&r, "nobody@acme.test")["result"],
        "not_found",
        "{r}"
    );
    assert!(server.is_signed_out("1071") && !server.is_signed_out("1072"));
    assert_eq!(server.tokens_of("1071"), 0, "each app's tokens deleted");
    assert!(
        r.to_string().contains("1234.apps.googleusercontent.com"),
        "the note names the apps: {r}"
    );
    // The impersonated admin loses the role: failed with Google's reason, never "ended".
    server.set_admin("it@acme.test", false);
    let out = admin_cli(home.path(), "signout", "google", &["bob@acme.test"]).await;
    assert_eq!(out.status.code(), Some(2));
    let x = receipt_of(&json(&out), "bob@acme.test");
    assert_eq!(x["result"], "failed", "{x}");
    assert!(!server.is_signed_out("1072"));
    let key_part = admin::google_test_key_pem()
        .lines()
        .nth(2)
        .unwrap()
        .to_owned();
    assert!(!stdout(&out).contains(&key_part) && !stderr(&out).contains(&key_part));
    for f in signoff_tests::session::files_under(home.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains(&key_part), "{} holds the key", f.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_okta_service_app_s_private_key_gets_a_bearer_token_for_the_same_calls() {
    let server = admin::okta(OKTA_TOKEN).await;
    server.add_service_app("0oa1signoffapp");
    server.add_user("00u1ada", "ada@acme.test", "ada@acme.test");
    server.add_user("00u2bob", "bob@acme.test", "bob@acme.test");
    server.add_session("00u1ada");
    server.add_session("00u2bob");
    // The service app's private key, as Okta's console downloads it (PEM), from stdin.
    let home = admin_home(
        "okta",
        "params = { org = \"acme.okta.com\", admin_client_id = \"0oa1signoffapp\" }",
        &server,
        admin::google_test_key_pem(),
    );
    let out = admin_cli(home.path(), "signout", "okta", &["ada@acme.test"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(receipt_of(&json(&out), "ada@acme.test")["result"], "ended");
    assert!(server.is_signed_out("00u1ada"));
    // One token from the org authorization server, sent as a bearer (no SSWS anywhere).
    assert_eq!(server.issued_admin_tokens().len(), 1);
    let seen = server.seen();
    let call = seen
        .iter()
        .find(|s| s.path.ends_with("/sessions"))
        .expect("the sign-out call");
    assert!(
        call.authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer "),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| !s.authorization.as_deref().unwrap_or("").starts_with("SSWS"))
    );
    // Without the scope granted to the app, Okta refuses the token and says which.
    server.withhold("okta.users.manage");
    let out = admin_cli(home.path(), "signout", "okta", &["bob@acme.test"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("invalid_scope"), "{}", stdout(&out));
    let key_part = admin::google_test_key_pem()
        .lines()
        .nth(2)
        .unwrap()
        .to_owned();
    assert!(!stdout(&out).contains(&key_part) && !stderr(&out).contains(&key_part));
}
