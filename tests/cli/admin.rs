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
    let out = signoff_async(
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
    )
    .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let r = json(&out);
    assert_eq!(r["results"][0]["user"], "ada@acme.test");
    assert_eq!(r["results"][0]["result"], "ended", "{r}");
    assert!(server.is_signed_out("00u1ada"));
    assert!(!server.is_signed_out("00u2bob"), "only the person named");
    // The documented call: every session and OAuth token, remembered factors kept; the API
    // token as Okta's SSWS scheme.
    let q = server.queries_to("/api/v1/users/ada@acme.test/sessions");
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
    let url = v["plans"][0]["calls"][0]["url"].as_str().unwrap();
    assert!(
        url.ends_with("/api/v1/users/ada@acme.test/sessions?oauthTokens=true&forgetDevices=false"),
        "{v}"
    );
    assert_eq!(v["plans"][0]["calls"][0]["method"], "DELETE");
    assert!(
        v["plans"][1]["calls"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/users/x%2Fy/"),
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
            "[[provider]]\nid = \"microsoft\"\nclient_id = \"admin-app\"\nparams = {{ tenant = \"contoso.onmicrosoft.com\" }}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    let out = signoff(
        home.path(),
        &["--json", "admin", "login", "microsoft"],
        "app-secret-value\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = signoff_async(
        home.path(),
        &[
            "--json",
            "admin",
            "signout",
            "microsoft",
            "--user",
            "ada@contoso.com",
            "--user",
            "ghost@contoso.com",
        ],
        "",
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
