//! After a full session in the window, no seeded token (nor the client secret) is in the page's
//! DOM, its storage, or any IPC payload or event the page received.

use signoff_core::audit::Actor;
use signoff_tests::driver::AppSession;

use crate::{Fixture, HYPER_SECRET, receipt, row};

/// Records every IPC call and reply and the events the page hears, in `window.__signoffIpcLog`.
pub(crate) const RECORDER: &str = r#"
  "use strict";
  const log = (window.__signoffIpcLog = []);
  // Tauri's IPC on this platform travels as fetch() to the ipc:// protocol: record both ways.
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    const body = init && init.body != null ? String(init.body) : "";
    log.push(JSON.stringify({ url, body }));
    const response = await realFetch(input, init);
    try { log.push(await response.clone().text()); } catch (e) { log.push("unreadable reply"); }
    return response;
  };
  for (const name of ["signout-progress", "accounts-changed", "signin-url", "signin-device-code"]) {
    window.__TAURI__.event.listen(name, (e) => log.push(JSON.stringify(e)));
  }
  return true;
"#;

/// What the [`RECORDER`] saw, after checking that none of `secrets` is in it, in the page's DOM
/// or in its web storage.
pub(crate) async fn recorded(app: &AppSession, secrets: &[&str]) -> String {
    let log = app.js("return window.__signoffIpcLog.join('\\n')").await;
    let log = log.as_str().unwrap().to_owned();
    let page = app.client.source().await.unwrap();
    let storage = app
        .js("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
        .await;
    let storage = storage.as_str().unwrap().to_owned();
    for s in secrets {
        assert!(!page.contains(s), "{s} in the DOM");
        assert!(!storage.contains(s), "{s} in web storage");
        assert!(!log.contains(s), "{s} in an IPC payload or event");
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_seeded_secret_reaches_the_page_its_storage_or_ipc() {
    let f = Fixture::new(None).await;
    f.core
        .set_client_secret(
            "hyperid",
            signoff_core::SecretString::new(HYPER_SECRET.into()),
            Actor::Admin,
        )
        .unwrap();
    let secrets = [
        "e2e-sec-rt-1",
        "e2e-sec-at-1",
        "e2e-sec-hrt-1",
        "e2e-sec-id-1",
        HYPER_SECRET,
    ];
    let m = f.seed(
        "meshydb",
        "Acme MeshyDB",
        &f.meshy,
        r#"{"refresh_token":"e2e-sec-rt-1","id_token":"e2e-sec-id-1"}"#,
        "e2e-sec-rt-1",
    );
    f.seed(
        "matar",
        "Matar work",
        &f.matar,
        r#"{"access_token":"e2e-sec-at-1"}"#,
        "e2e-sec-at-1",
    );
    f.seed(
        "hyperid",
        "HyperID",
        &f.hyper,
        r#"{"refresh_token":"e2e-sec-hrt-1"}"#,
        "e2e-sec-hrt-1",
    );

    let app = AppSession::start(f.home.path()).await;
    app.wait_for(&row(&m)).await;
    assert_eq!(app.js(RECORDER).await, true);
    // A full session: refresh, sign one out, sign out everywhere, look at the activity.
    app.js("document.getElementById('add-account-btn').click(); return 1;")
        .await;
    app.click("#pick-cancel").await;
    app.click(&format!("{} button.signout", row(&m))).await;
    app.wait_text(&receipt(&m), "Signed out").await;
    app.click("#signout-all-btn").await;
    app.wait_for("#confirm-dialog[open]").await;
    app.click("#confirm-ok").await;
    app.wait_text("#status", "Sign-out finished: 2").await;
    app.click("#tab-activity").await;
    app.wait_text("#activity-rows", "Signed out").await;

    let log = recorded(&app, &secrets).await;
    assert!(
        log.contains("ipc://localhost/sign_out_all")
            && log.contains("ipc://localhost/activity")
            && log.contains("signout-progress"),
        "the recorder saw the session: {log}"
    );
    app.close().await;
}
