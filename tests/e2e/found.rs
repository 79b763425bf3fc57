//! Found on this computer, in the window and the tray: the first launch offers a scan; the
//! sessions the real `gh` keeps (its `hosts.yml`, written by `gh config set`, two hosts) appear
//! grouped under the tool with where they are stored; signing one out from the tray and the
//! other from the window revokes each at the GitHub test server as gh's app and removes it from
//! gh's file; the page never holds a token.

use std::process::Command;

use signoff_tests::driver::AppSession;
use signoff_tests::tray::TrayMenu;

use crate::receipt;

/// gh's public OAuth app (cli/cli `internal/authflow/flow.go`).
const GH_CLIENT_ID: &str = "178c6fc778ccc68e1d6a";
const GH_CLIENT_SECRET: &str = "34ddeff2b558a23d38fba8a6de74f086ede1cc0b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_and_the_tray_find_gh_s_sessions_and_sign_them_out_for_real() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let server = signoff_tests::servers::github(GH_CLIENT_ID, GH_CLIENT_SECRET).await;
    let token = "gho_e2eF0undS3ss10nT0k3n00000000000000";
    let tray_token = "gho_e2eTr4yS3ss10nT0k3n000000000000000";
    server.issue(token);
    server.issue(tray_token);
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"github\"\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    )
    .unwrap();
    for (host, k, v) in [
        ("github.com", "oauth_token", token),
        ("github.com", "user", "octocat"),
        ("ghe.test", "oauth_token", tray_token),
        ("ghe.test", "user", "mona"),
    ] {
        let st = Command::new("gh")
            .args(["config", "set", "-h", host, k, v])
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
        .wait_text("section.group[data-tool='gh'] tbody", "octocat@github.com")
        .await;
    assert!(row.contains("mona@ghe.test"), "{row}");
    assert!(
        row.contains(&format!("Stored in {}", hosts.display())),
        "{row}"
    );
    app.wait_text(
        "#status",
        "Found 2 sessions on this computer (GitHub CLI (gh))",
    )
    .await;
    app.wait_for("#found-offer[hidden]").await;
    assert!(
        !app.client.source().await.unwrap().contains(token),
        "the page never holds the token"
    );
    app.screenshot("found-sessions").await;

    // The tray offers the found sessions too, and signs one out for real.
    let menu = std::sync::Arc::new(tokio::task::spawn_blocking(TrayMenu::find).await.unwrap());
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || {
        m.wait_for("the found sessions", |l| {
            l.iter().any(|x| x == "Sign out mona@ghe.test")
                && l.iter().any(|x| x == "Sign out octocat@github.com")
        })
    })
    .await
    .unwrap();
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || m.click("Sign out mona@ghe.test"))
        .await
        .unwrap();
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || {
        m.wait_for("mona signed out", |l| {
            !l.iter().any(|x| x == "Sign out mona@ghe.test")
        })
    })
    .await
    .unwrap();
    assert!(server.is_ended(tray_token));
    assert!(
        !std::fs::read_to_string(&hosts)
            .unwrap()
            .contains(tray_token)
    );

    let id = app
        .js("return Array.from(document.querySelectorAll(\"section.group[data-tool='gh'] tr.account\")).find((r) => r.textContent.includes('octocat@github.com')).dataset.accountId")
        .await;
    let id = signoff_core::AccountId::parse(id.as_str().unwrap()).unwrap();
    app.click(&format!("tr[data-account-id='{id}'] button.signout"))
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
