//! The accounts window shows what the core holds.

use signoff_core::{NewAccount, Paths, Signoff, TokenBundle};
use signoff_tests::driver::AppSession;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_lists_an_account_seeded_through_the_core() {
    let home = tempfile::tempdir().unwrap();
    let (core, account) = seed_meshydb(
        home.path(),
        "Acme MeshyDB",
        Some("ada@acme.test"),
        "rt-e2e-list-4242",
    );

    let app = AppSession::start(home.path()).await;
    let row = app
        .wait_for(&format!("tr[data-account-id='{}']", account.id))
        .await;
    let text = row.text().await.unwrap();
    assert!(text.contains("Acme MeshyDB"), "row text: {text}");
    assert!(text.contains("ada@acme.test"), "row text: {text}");
    let group = app
        .wait_for("section.group[data-provider='meshydb'] h2")
        .await;
    assert_eq!(
        group.text().await.unwrap(),
        "MeshyDB",
        "grouped under its provider"
    );
    assert!(text.contains("Signed in"), "row text: {text}");
    let page = app.client.source().await.unwrap();
    assert!(
        !page.contains("rt-e2e-list-4242"),
        "the page must never hold a token"
    );
    app.screenshot("accounts-list").await;
    app.close().await;

    core.forget(&account.id, signoff_core::audit::Actor::Admin)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_explains_how_to_add_an_account_when_there_is_none() {
    let home = tempfile::tempdir().unwrap();
    let app = AppSession::start(home.path()).await;
    let empty = app.wait_for("#empty:not([hidden])").await;
    let text = empty.text().await.unwrap();
    assert!(text.contains("No accounts yet"), "empty state: {text}");
    assert!(text.contains("signoff account add"), "empty state: {text}");
    app.screenshot("accounts-empty").await;
    app.close().await;
}

/// Outside WebDriver the window runs as people get it: compositing off (the WebDriver tests run
/// it composited, see `webkit_without_compositing` in src-tauri/src/main.rs) and the first list
/// handed over with the page. It paints that list: the page reports the rows it drew.
#[test]
fn the_window_as_shipped_paints_its_list_without_compositing() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let home = tempfile::tempdir().unwrap();
    let (core, account) = seed_meshydb(home.path(), "Shipped window", None, "rt-e2e-shipped-77");
    let app = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let mut child = Command::new(app)
        .env("SIGNOFF_HOME", home.path())
        .env("SIGNOFF_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
        .env_remove("TAURI_WEBVIEW_AUTOMATION")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start signoff-app");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("account list painted") {
                let _ = tx.send(line);
            }
        }
    });
    let painted = rx.recv_timeout(std::time::Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let painted = painted.expect("the window painted its list within 30 s");
    assert!(painted.contains("accounts=1"), "{painted}");
    assert!(
        painted.contains("handed_over=true"),
        "the list came with the page: {painted}"
    );
    core.forget(&account.id, signoff_core::audit::Actor::Admin)
        .unwrap();
}

/// One MeshyDB account added through the core (row in SQLite, token in the session keyring).
fn seed_meshydb(
    home: &std::path::Path,
    label: &str,
    subject: Option<&str>,
    refresh_token: &str,
) -> (Signoff, signoff_core::Account) {
    let core = Signoff::open(Paths::under(home)).unwrap();
    let tokens = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    let account = core
        .add_account(
            NewAccount {
                provider_id: "meshydb".into(),
                label: label.into(),
                subject: subject.map(Into::into),
            },
            TokenBundle::from_json(&tokens).unwrap(),
            signoff_core::audit::Actor::Admin,
        )
        .unwrap();
    (core, account)
}

/// A keychain entry of Signoff's in this data folder with no row (as a crash mid-add leaves it),
/// made with libsecret's own `secret-tool`.
fn plant_orphan(home: &std::path::Path, id: &str, label: &str) {
    use std::io::Write as _;
    let home = std::fs::canonicalize(home).unwrap();
    let mut child = std::process::Command::new("secret-tool")
        .args([
            "store", "--label", label, "service", "signoff", "username", id,
        ])
        .arg("home")
        .arg(&home)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool is installed");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(br#"{"refresh_token":"rt-e2e-orphan-1"}"#)
        .unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

fn keychain_has(id: &str) -> bool {
    std::process::Command::new("secret-tool")
        .args(["lookup", "service", "signoff", "username", id])
        .output()
        .unwrap()
        .status
        .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_names_orphaned_keychain_entries_and_forgets_them_after_asking() {
    let home = tempfile::tempdir().unwrap();
    let (core, account) = seed_meshydb(home.path(), "Known account", None, "rt-e2e-known-1");
    let orphan = signoff_core::AccountId::generate();
    plant_orphan(home.path(), orphan.as_str(), "Signoff: Half-added laptop");

    let app = AppSession::start(home.path()).await;
    let line = app
        .wait_text("#orphans:not([hidden])", "1 keychain entry")
        .await;
    assert!(line.contains("cannot sign it out"), "{line}");
    app.screenshot("orphans-line").await;

    // Cancel changes nothing.
    app.click("#orphans-forget").await;
    let dialog = app
        .wait_text("#confirm-dialog[open]", "Half-added laptop")
        .await;
    assert!(dialog.contains("Nothing is revoked"), "{dialog}");
    app.click("#confirm-cancel").await;
    assert!(keychain_has(orphan.as_str()));

    app.click("#orphans-forget").await;
    app.wait_for("#confirm-dialog[open]").await;
    app.click("#confirm-ok").await;
    app.wait_text("#status", "Forgot 1 orphaned keychain entry")
        .await;
    app.wait_for("#orphans[hidden]").await;
    assert!(!keychain_has(orphan.as_str()), "the orphan is gone");
    assert!(
        core.account(&account.id).is_ok() && keychain_has(account.id.as_str()),
        "the known account is untouched"
    );
    let audit = core.audit(None).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.account.as_deref() == Some(orphan.as_str())),
        "an audit entry for the forgotten orphan"
    );
    app.close().await;
    core.forget(&account.id, signoff_core::audit::Actor::Admin)
        .unwrap();
}
