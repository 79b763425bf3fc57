//! `make run ARGS=--demo`: the demo build opens on five sample accounts whose providers answer
//! like the seed systems, so every outcome can be seen without real accounts.

use signoff_tests::driver::AppSession;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_every_outcome() {
    let demo = signoff_tests::built_binary("signoff-app-demo", "SIGNOFF_APP_DEMO_BIN");
    let unused_home = tempfile::tempdir().unwrap();
    let app = AppSession::start_with(
        unused_home.path(),
        &demo,
        &["--demo"],
        &[("SIGNOFF_DEMO_SESSION", "1")],
    )
    .await;
    app.wait_text("#count", "5 accounts").await;
    app.screenshot("demo").await;
    app.click("#signout-all-btn").await;
    app.wait_text("#confirm-dialog[open]", "5 accounts").await;
    app.click("#confirm-ok").await;
    app.wait_text("#status", "Sign-out finished: 5").await;
    let receipt = app.wait_text("#receipt-list", "Signed out").await;
    assert_eq!(receipt.matches(": Signed out.").count(), 3, "{receipt}");
    assert!(
        receipt.contains("Acme analytics: Revocation pending."),
        "{receipt}"
    );
    assert!(
        receipt.contains("Matar old laptop: Needs attention."),
        "{receipt}"
    );
    app.screenshot("demo-receipt").await;
    assert!(
        std::fs::read_dir(unused_home.path())
            .unwrap()
            .next()
            .is_none(),
        "the demo keeps its data in a throwaway dir of its own"
    );
    app.close().await;
}
