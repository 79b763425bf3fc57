//! The accounts window shows what the core holds.

use signoff_core::{NewAccount, Paths, Signoff, TokenBundle};
use signoff_tests::driver::AppSession;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_lists_an_account_seeded_through_the_core() {
    let home = tempfile::tempdir().unwrap();
    let core = Signoff::open(Paths::under(home.path())).unwrap();
    let account = core
        .add_account(
            NewAccount {
                provider_id: "meshydb".into(),
                label: "Acme MeshyDB".into(),
                subject: Some("ada@acme.test".into()),
            },
            TokenBundle::from_json(r#"{"refresh_token":"rt-e2e-list-4242"}"#).unwrap(),
            signoff_core::audit::Actor::Admin,
        )
        .unwrap();

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
