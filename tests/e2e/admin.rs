//! The window's Admin view (issue #18), against the Keycloak admin test server: absent until an
//! admin credential is stored, then — after `signoff admin login keycloak` in a terminal, while
//! the window is open — a tab that finds a person by e-mail and lists their two sessions, and
//! signs them out everywhere after the same confirmation as a person's own sign-out, with a
//! receipt. The server shows that person signed out and nobody else; the admin's secret and
//! the admin tokens minted from it never reach the page.

use std::process::Command;
use std::time::Duration;

use fantoccini::key::Key;
use signoff_core::audit::Actor;
use signoff_core::{Paths, Signoff};
use signoff_tests::driver::AppSession;
use signoff_tests::servers::admin;

const ADMIN_SECRET: &str = "kc-admin-secret-e2e-5f3a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_finds_a_person_sees_their_sessions_and_signs_them_out_everywhere() {
    let server = admin::keycloak("staff", "signoff-admin", ADMIN_SECRET).await;
    server.add_user("6f1c-ada", "ada@acme.test", "ada");
    server.add_user("7a2d-bob", "bob@acme.test", "bob");
    server.add_session("6f1c-ada");
    server.add_session("6f1c-ada");
    server.add_session("7a2d-bob");

    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"keycloak\"\n\
             params = {{ host = \"sso.acme.test\", realm = \"staff\", admin_client_id = \"signoff-admin\" }}\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    )
    .unwrap();

    let app = AppSession::start(home.path()).await;
    // The page has drawn its list and asked which providers admins can use: none yet (a profile
    // with an admin part is not enough without the credential).
    app.wait_text("#count", "0 accounts").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        app.js("return document.getElementById('tab-admin').hidden")
            .await,
        serde_json::Value::Bool(true),
        "no Admin view without an admin credential"
    );

    // The admin stores the credential with the real `signoff`, in the same data dir and
    // keyring: the window follows within a second.
    let login = tokio::task::spawn_blocking({
        let home = home.path().to_path_buf();
        move || {
            let mut cmd = Command::new(signoff_tests::built_binary("signoff", "SIGNOFF_BIN"));
            cmd.arg("--home")
                .arg(&home)
                .args(["--json", "admin", "login", "keycloak"])
                .env("NO_COLOR", "1");
            signoff_tests::session::run_with_stdin(cmd, &format!("{ADMIN_SECRET}\n"))
        }
    })
    .await
    .unwrap();
    assert!(
        login.status.success(),
        "admin login: {}",
        String::from_utf8_lossy(&login.stderr)
    );
    app.wait_for("#tab-admin:not([hidden])").await;
    app.click("#tab-admin").await;
    app.wait_for("#admin-view:not([hidden])").await;
    app.wait_text("#admin-provider", "Keycloak").await;

    // Someone the provider does not know: said so, and nothing to sign out.
    app.type_into("#admin-user", "nobody@acme.test").await;
    app.press(Key::Enter).await;
    app.wait_text("#admin-person-heading", "No one found at Keycloak")
        .await;
    app.wait_for("#admin-problem:not([hidden])").await;
    assert_eq!(
        app.js("return document.getElementById('admin-signout').disabled")
            .await,
        serde_json::Value::Bool(true)
    );

    // Find, from the keyboard: type the e-mail and press Enter.
    app.type_into("#admin-user", "ada@acme.test").await;
    app.press(Key::Enter).await;
    let heading = app
        .wait_text("#admin-person-heading", "ada@acme.test")
        .await;
    assert!(heading.contains("Keycloak"), "{heading}");
    let matched = app.wait_text("#admin-matches", "6f1c-ada").await;
    assert!(matched.contains("ada@acme.test"), "{matched}");
    app.wait_text("#admin-sessions-caption", "2 sessions").await;
    let rows = app
        .js("return document.querySelectorAll('#admin-session-rows tr.admin-session').length")
        .await;
    assert_eq!(rows, serde_json::json!(2));
    let sessions = app.wait_text("#admin-session-rows", "10.0.0.").await;
    assert!(sessions.contains("account"), "the apps: {sessions}");
    assert!(
        !server.is_signed_out("6f1c-ada"),
        "looking signs nobody out"
    );
    app.screenshot("admin-person").await;

    // Sign out everywhere: the same confirmation dialog as a person's own sign-out.
    app.click("#admin-signout").await;
    app.wait_for("#confirm-dialog[open]").await;
    let title = app.wait_text("#confirm-title", "ada@acme.test").await;
    assert!(title.contains("everywhere"), "{title}");
    let body = app.wait_text("#confirm-body", "every session").await;
    assert!(body.contains("Calls "), "the calls it makes: {body}");
    app.screenshot("admin-confirm").await;
    app.click("#confirm-ok").await;
    let line = app
        .wait_text(
            "#admin-receipt-list li[data-user='ada@acme.test']",
            "Signed out everywhere",
        )
        .await;
    assert!(line.contains("Keycloak accepted the sign-out"), "{line}");
    app.wait_text("#status", "1 of 1 signed out everywhere")
        .await;
    // The person is shown again as the provider lists them now: no sessions.
    app.wait_text("#admin-sessions-caption", "no sessions")
        .await;
    app.screenshot("admin-receipt").await;

    assert!(server.is_signed_out("6f1c-ada"));
    assert_eq!(server.sessions_of("6f1c-ada"), 0);
    assert!(!server.is_signed_out("7a2d-bob"), "only ada");
    assert_eq!(server.sessions_of("7a2d-bob"), 1);

    // The audit log names the admin.
    let core = Signoff::open(Paths::under(home.path())).unwrap();
    let entries = core.audit(None).unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.actor, Actor::Admin, "{last:?}");
    assert_eq!(last.label.as_deref(), Some("ada@acme.test"), "{last:?}");

    let source = app.client.source().await.unwrap();
    assert!(
        !source.contains(ADMIN_SECRET),
        "the admin secret never reaches the page"
    );
    let minted = server.issued_admin_tokens();
    assert!(!minted.is_empty());
    for token in minted {
        assert!(!source.contains(&token), "nor an admin token");
    }
    app.close().await;
}
