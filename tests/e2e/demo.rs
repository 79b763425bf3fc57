//! `make run ARGS=--demo`: the demo build opens on five sample accounts whose providers answer
//! like the seed systems, so every outcome can be seen without real accounts.

use signoff_tests::driver::AppSession;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_every_outcome() {
    let demo = signoff_tests::built_binary("signoff-app-demo", "SIGNOFF_APP_DEMO_BIN");
    let unused_home = tempfile::tempdir().unwrap();
    let app = AppSession::start_with(unused_home.path(), &demo, &["--demo"], &[]).await;
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

#[test]
fn the_demo_refuses_a_keyring_that_is_not_its_throwaway_one() {
    let demo = signoff_tests::built_binary("signoff-app-demo", "SIGNOFF_APP_DEMO_BIN");
    let home = tempfile::tempdir().unwrap();
    // This test's session keyring is real, but the marker named here is not in it: the demo
    // must take it for a person's own keyring and write nothing. Its data folder would be made
    // under TMPDIR, so anything it wrote would name `tmp` in its `home` attribute.
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = std::fs::canonicalize(tmp.path()).unwrap();
    for marker in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut cmd = std::process::Command::new(&demo);
        cmd.arg("--demo")
            .env("SIGNOFF_HOME", home.path())
            .env("TMPDIR", &tmp_path)
            // What the demo used to trust alone: a variable anyone can set.
            .env("SIGNOFF_DEMO_SESSION", "1")
            .env_remove("SIGNOFF_SESSION_MARKER");
        if let Some(m) = marker {
            cmd.env("SIGNOFF_SESSION_MARKER", m);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("throwaway keyring"), "{stderr}");
        assert!(
            std::fs::read_dir(&tmp_path).unwrap().next().is_none(),
            "the demo made no data folder"
        );
        let homes = keyring_homes();
        assert!(
            !homes.iter().any(|h| h.starts_with(&tmp_path)),
            "the demo wrote into the keyring: {homes:?}"
        );
    }
}

/// The `home` attribute of every item of Signoff's in the session keyring.
fn keyring_homes() -> Vec<std::path::PathBuf> {
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "signoff"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.home = "))
        .map(std::path::PathBuf::from)
        .collect()
}
