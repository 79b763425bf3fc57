//! Found on this computer, in the window: the first launch offers a scan; the session the real
//! `gh` keeps (its `hosts.yml`, written by `gh config set`) appears grouped under the tool with
//! where it is stored; signing it out revokes it at the GitHub test server as gh's app and
//! removes it from gh's file; the page never holds the token.

use std::process::Command;

use signoff_tests::driver::AppSession;

use crate::receipt;

/// gh's public OAuth app (cli/cli `internal/authflow/flow.go`).
const GH_CLIENT_ID: &str = "178c6fc778ccc68e1d6a";
const GH_CLIENT_SECRET: &str = "34ddeff2b558a23d38fba8a6de74f086ede1cc0b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_finds_gh_s_session_and_signs_it_out_for_real() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let server = signoff_tests::servers::github(GH_CLIENT_ID, GH_CLIENT_SECRET).await;
    let token = "gho_e2eF0undS3ss10nT0k3n00000000000000";
    server.issue(token);
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"github\"\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    )
    .unwrap();
    for (k, v) in [("oauth_token", token), ("user", "octocat")] {
        let st = Command::new("gh")
            .args(["config", "set", "-h", "github.com", k, v])
            .env("HOME", user.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("GH_CONFIG_DIR")
            .status()
            .unwrap();
        assert!(st.success(), "gh config set");
    }
    let hosts = user.path().join(".config/gh/hosts.yml");

    let home_var = user.path().to_str().unwrap().to_owned();
    let app = AppSession::start_with(
        home.path(),
        &signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN"),
        &[],
        &[
            ("HOME", &home_var),
            ("XDG_CONFIG_HOME", ""),
            ("GH_CONFIG_DIR", ""),
        ],
    )
    .await;
    let offer = app
        .wait_text("#found-offer:not([hidden])", "Find them")
        .await;
    assert!(offer.contains("keep sessions on this computer"), "{offer}");
    app.screenshot("found-offer").await;
    app.click("#found-offer-scan").await;
    let heading = app
        .wait_text("section.group[data-tool='gh'] h2", "found on this computer")
        .await;
    assert_eq!(heading, "GitHub CLI (gh) · found on this computer");
    let row = app
        .wait_text(
            "section.group[data-tool='gh'] tr.account",
            "octocat@github.com",
        )
        .await;
    assert!(
        row.contains(&format!("Stored in {}", hosts.display())),
        "{row}"
    );
    app.wait_text(
        "#status",
        "Found 1 session on this computer (GitHub CLI (gh))",
    )
    .await;
    app.wait_for("#found-offer[hidden]").await;
    assert!(
        !app.client.source().await.unwrap().contains(token),
        "the page never holds the token"
    );
    app.screenshot("found-sessions").await;

    let id = app
        .js("return document.querySelector(\"section.group[data-tool='gh'] tr.account\").dataset.accountId")
        .await;
    let id = signoff_core::AccountId::parse(id.as_str().unwrap()).unwrap();
    app.click("section.group[data-tool='gh'] button.signout")
        .await;
    let text = app.wait_text(&receipt(&id), "Signed out").await;
    assert!(text.contains("confirmed the session is ended"), "{text}");
    assert!(
        text.contains("Removed from 1 place on this computer"),
        "{text}"
    );
    app.wait_gone("section.group[data-tool='gh']").await;
    app.screenshot("found-signed-out").await;
    assert!(server.is_ended(token));
    let after = std::fs::read_to_string(&hosts).unwrap();
    assert!(
        !after.contains(token) && after.contains("user: octocat"),
        "{after}"
    );
    assert!(!app.client.source().await.unwrap().contains(token));
    app.close().await;
}
