//! One test per window flow: sign out one, everywhere (live progress, receipt), pending then
//! retry, needs attention then forget, add an account, the activity view.

use std::time::Duration;

use signoff_core::audit::Actor;
use signoff_tests::driver::AppSession;
use signoff_tests::servers::{self, Fault};

use crate::{Fixture, HYPER_SECRET, MESHY_KEY, pick_provider, receipt, row};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_one_account_and_read_its_receipt() {
    let f = Fixture::new(None).await;
    let a = f.seed(
        "meshydb",
        "Acme MeshyDB",
        &f.meshy,
        r#"{"refresh_token":"e2e-one-rt"}"#,
        "e2e-one-rt",
    );
    let b = f.seed(
        "matar",
        "Matar work",
        &f.matar,
        r#"{"access_token":"e2e-one-at"}"#,
        "e2e-one-at",
    );
    let app = AppSession::start(f.home.path()).await;
    app.click(&format!("{} button.signout", row(&a))).await;
    let text = app.wait_text(&receipt(&a), "Signed out").await;
    assert!(
        text.contains("MeshyDB confirmed the session is ended"),
        "{text}"
    );
    app.wait_gone(&row(&a)).await;
    assert!(
        app.wait_text(&row(&b), "Signed in")
            .await
            .contains("Matar work")
    );
    app.screenshot("receipt-one").await;
    assert!(f.meshy.is_ended("e2e-one-rt"));
    assert!(!f.in_keychain(&a));
    assert!(f.in_keychain(&b), "the other account is untouched");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_confirms_then_shows_live_progress_and_a_receipt() {
    let f = Fixture::new(None).await;
    f.core
        .set_client_secret(
            "hyperid",
            signoff_core::SecretString::new(HYPER_SECRET.into()),
            Actor::Admin,
        )
        .unwrap();
    let m = f.seed(
        "meshydb",
        "Acme MeshyDB",
        &f.meshy,
        r#"{"refresh_token":"e2e-all-rt"}"#,
        "e2e-all-rt",
    );
    let h = f.seed(
        "hyperid",
        "HyperID",
        &f.hyper,
        r#"{"refresh_token":"e2e-all-hrt"}"#,
        "e2e-all-hrt",
    );
    let t = f.seed(
        "matar",
        "Matar work",
        &f.matar,
        r#"{"access_token":"e2e-all-at"}"#,
        "e2e-all-at",
    );
    f.meshy
        .fail_always(Some(Fault::Slow(Duration::from_millis(2500))));
    let app = AppSession::start(f.home.path()).await;
    app.wait_for(&row(&m)).await;
    app.click("#signout-all-btn").await;
    let body = app.wait_text("#confirm-dialog[open]", "3 accounts").await;
    assert!(body.contains("Ended at the provider"), "{body}");
    // The calls each provider gets, by method and host (the seed servers are on loopback).
    assert!(body.contains("Calls POST 127.0.0.1:"), "{body}");
    for name in ["MeshyDB", "HyperID", "Matar"] {
        assert!(body.contains(name), "{body}");
    }
    app.screenshot("confirm-everywhere").await;
    app.click("#confirm-ok").await;
    // Matar answers at once; MeshyDB is slow: its row still says so while Matar's is done.
    app.wait_text(&format!("{} .status", row(&t)), "Signed out")
        .await;
    let meshy_now = app
        .wait_for(&format!("{} .status", row(&m)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        meshy_now.contains("Signing out"),
        "live progress: MeshyDB still running: {meshy_now}"
    );
    app.screenshot("signing-out-progress").await;
    app.wait_text(&receipt(&m), "Signed out").await;
    for id in [&h, &t] {
        app.wait_text(&receipt(id), "Signed out").await;
    }
    app.wait_text("#status", "Sign-out finished: 3").await;
    app.screenshot("receipt-everywhere").await;
    for token in ["e2e-all-rt", "e2e-all-hrt", "e2e-all-at"] {
        assert!(
            f.meshy.is_ended(token) || f.hyper.is_ended(token) || f.matar.is_ended(token),
            "{token}"
        );
    }
    app.wait_text("#empty", "No accounts yet").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_says_what_dies_the_calls_and_where_to_finish_a_local_only_sign_out() {
    let f = Fixture::new(None).await;
    // GitHub pointed at a loopback server (nothing is called: the person cancels), and Spotify,
    // which has no revoke API.
    let mut toml = std::fs::read_to_string(f.home.path().join("providers.toml")).unwrap();
    toml.push_str(&format!(
        "\n[[provider]]\nid = \"github\"\nclient_id = \"e2e-app\"\nbase_url = \"{}\"\n",
        f.matar.base.as_str().trim_end_matches('/')
    ));
    std::fs::write(f.home.path().join("providers.toml"), toml).unwrap();
    for (provider, label) in [("github", "Ada's GitHub"), ("spotify", "Ada's Spotify")] {
        f.core
            .add_account(
                signoff_core::NewAccount {
                    provider_id: provider.into(),
                    label: label.into(),
                    subject: None,
                },
                signoff_core::TokenBundle::from_json(r#"{"access_token":"e2e-confirm-at"}"#)
                    .unwrap(),
                Actor::Admin,
            )
            .unwrap();
    }
    let app = AppSession::start(f.home.path()).await;
    app.wait_text("#count", "2 accounts").await;
    app.click("#signout-all-btn").await;
    app.wait_for("#confirm-dialog[open]").await;
    let github = app
        .wait_text("#confirm-body [data-provider='github']", "GitHub")
        .await;
    assert!(
        github.contains("ends the token Signoff holds")
            && github.contains("Calls DELETE 127.0.0.1:"),
        "{github}"
    );
    let spotify = app
        .wait_text("#confirm-body [data-provider='spotify']", "Spotify")
        .await;
    assert!(
        spotify.contains("on this computer only")
            && spotify
                .contains("Finish on Spotify's own page: https://www.spotify.com/account/apps/")
            && !spotify.contains("Calls"),
        "{spotify}"
    );
    app.screenshot("confirm-what-dies").await;
    app.click("#confirm-cancel").await;
    app.wait_gone("#confirm-dialog[open]").await;
    assert_eq!(
        f.core.list_accounts().unwrap().len(),
        2,
        "cancelled: nothing signed out"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_on_a_down_provider_then_retry_now() {
    let down = signoff_tests::DownPort::new();
    let port = down.port;
    let f = Fixture::new(Some(port)).await;
    let a = f.seed(
        "meshydb",
        "Acme MeshyDB",
        &f.meshy,
        r#"{"refresh_token":"e2e-pending-rt"}"#,
        "e2e-pending-rt",
    );
    let app = AppSession::start(f.home.path()).await;
    app.click(&format!("{} button.signout", row(&a))).await;
    let text = app.wait_text(&receipt(&a), "Revocation pending").await;
    assert!(
        text.contains("could not be reached") && text.contains("Next try"),
        "{text}"
    );
    let status = app
        .wait_text(&format!("{} .status", row(&a)), "Revocation pending")
        .await;
    assert!(status.contains("next try"), "{status}");
    assert!(f.in_keychain(&a), "the token is kept for the retry");
    app.screenshot("pending").await;

    drop(down);
    let meshy = servers::meshydb_on(MESHY_KEY, port).await;
    meshy.issue("e2e-pending-rt");
    app.click(&format!("{} button.retry", row(&a))).await;
    app.wait_text(&receipt(&a), "Signed out").await;
    app.wait_gone(&row(&a)).await;
    assert!(meshy.is_ended("e2e-pending-rt"));
    assert!(!f.in_keychain(&a));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_attention_then_forget_locally_with_a_warning() {
    let f = Fixture::new(None).await;
    f.core
        .set_client_secret(
            "hyperid",
            signoff_core::SecretString::new("not-the-secret".into()),
            Actor::Admin,
        )
        .unwrap();
    let a = f.seed(
        "hyperid",
        "HyperID work",
        &f.hyper,
        r#"{"refresh_token":"e2e-attn-rt"}"#,
        "e2e-attn-rt",
    );
    let app = AppSession::start(f.home.path()).await;
    app.click(&format!("{} button.signout", row(&a))).await;
    let text = app.wait_text(&receipt(&a), "Needs attention").await;
    assert!(
        text.contains("Invalid client or Invalid client credentials"),
        "{text}"
    );
    let status = app
        .wait_text(&format!("{} .status", row(&a)), "Needs attention")
        .await;
    assert!(status.contains("Invalid client"), "{status}");
    app.screenshot("needs-attention").await;
    assert!(f.in_keychain(&a));

    app.click(&format!("{} button.forget", row(&a))).await;
    let warning = app
        .wait_text("#confirm-dialog[open]", "may stay valid")
        .await;
    assert!(warning.contains("without signing out"), "{warning}");
    app.screenshot("forget-warning").await;
    app.click("#confirm-ok").await;
    app.wait_gone(&row(&a)).await;
    assert!(!f.in_keychain(&a), "forgotten: keychain entry deleted");
    assert!(!f.hyper.is_ended("e2e-attn-rt"), "nothing was revoked");
    let audit = f.core.audit(None).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == signoff_core::audit::Action::Forget && e.actor == Actor::User)
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_an_account_and_a_client_secret_from_the_window() {
    let f = Fixture::new(None).await;
    let app = AppSession::start(f.home.path()).await;
    app.wait_for("#empty:not([hidden])").await;
    pick_provider(&app, "mat", "matar").await;
    app.type_into("#add-label", "Matar from window").await;
    app.type_into("#add-subject", "ada").await;
    app.type_into("#add-access", "e2e-typed-at-77").await;
    app.screenshot("add-account").await;
    app.click("#add-submit").await;
    let row_text = app.wait_text("tr.account", "Matar from window").await;
    assert!(
        row_text.contains("ada") && row_text.contains("Signed in"),
        "{row_text}"
    );
    let fields = app
        .js("return document.getElementById('add-access').value")
        .await;
    assert_eq!(fields, "", "the pasted token is not kept in the page");
    let accounts = f.core.list_accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    let tokens = f.core.tokens(&accounts[0].id).unwrap().unwrap();
    assert_eq!(
        tokens.access_token.unwrap().expose_secret(),
        "e2e-typed-at-77"
    );

    // HyperID's logout authenticates the client: its second step offers the secret.
    pick_provider(&app, "hyper", "hyperid").await;
    app.type_into("#secret-value", "typed-client-secret").await;
    app.click("#secret-submit").await;
    app.wait_text("#secret-result", "Saved the client secret for HyperID")
        .await;
    let stored = signoff_core::Vault::open(&signoff_core::Paths::under(f.home.path()))
        .unwrap()
        .client_secret("hyperid")
        .unwrap()
        .unwrap();
    assert_eq!(stored.expose_secret(), "typed-client-secret");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_lists_what_happened_newest_first_and_filters() {
    let f = Fixture::new(None).await;
    f.core
        .set_client_secret(
            "hyperid",
            signoff_core::SecretString::new("wrong".into()),
            Actor::Admin,
        )
        .unwrap();
    f.seed(
        "meshydb",
        "Acme MeshyDB",
        &f.meshy,
        r#"{"refresh_token":"e2e-act-rt"}"#,
        "e2e-act-rt",
    );
    f.seed(
        "hyperid",
        "HyperID work",
        &f.hyper,
        r#"{"refresh_token":"e2e-act-hrt"}"#,
        "e2e-act-hrt",
    );
    let options = signoff_core::api::SignOutOptions {
        actor: Actor::Admin,
        verify: false,
    };
    f.core
        .sign_out_all(&Default::default(), options, |_| {})
        .await
        .unwrap();
    let app = AppSession::start(f.home.path()).await;
    app.click("#tab-activity").await;
    let table = app.wait_text("#activity-rows", "Needs attention").await;
    assert!(
        table.contains("Signed out")
            && table.contains("Acme MeshyDB")
            && table.contains("invalid_client"),
        "{table}"
    );
    let first = app
        .wait_for("#activity-rows tr:first-child")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("Signed out"), "newest first: {first}");
    app.screenshot("activity").await;
    app.js("const s = document.getElementById('filter-outcome'); s.value = 'failed'; s.dispatchEvent(new Event('change')); return 1;").await;
    let rows = app
        .client
        .find_all(fantoccini::Locator::Css("#activity-rows tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the failed sign-out");
    assert!(rows[0].text().await.unwrap().contains("HyperID work"));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_works_from_the_keyboard_alone() {
    use fantoccini::key::Key;
    let f = Fixture::new(None).await;
    let a = f.seed(
        "matar",
        "Matar keys",
        &f.matar,
        r#"{"access_token":"e2e-kb-at"}"#,
        "e2e-kb-at",
    );
    let b = f.seed(
        "meshydb",
        "Meshy keys",
        &f.meshy,
        r#"{"refresh_token":"e2e-kb-rt"}"#,
        "e2e-kb-rt",
    );
    let app = AppSession::start(f.home.path()).await;
    app.wait_for(&row(&a)).await;
    // One account by its accessible name.
    app.tab_to("Sign out Matar keys").await;
    app.press(Key::Enter).await;
    app.wait_text(&receipt(&a), "Signed out").await;
    // Everywhere: the button, then the dialog (focus starts on Cancel; Tab moves to the action).
    app.tab_to("Sign out everywhere").await;
    app.press(Key::Enter).await;
    app.wait_for("#confirm-dialog[open]").await;
    app.press(Key::Escape).await;
    app.wait_gone("#confirm-dialog[open]").await;
    assert!(f.in_keychain(&b), "Escape cancels: nothing signed out");
    app.tab_to("Sign out everywhere").await;
    app.press(Key::Enter).await;
    app.wait_for("#confirm-dialog[open]").await;
    app.tab_to("Sign out everywhere").await; // the dialog's confirm button has the same name
    let in_dialog = app.js("return document.activeElement.id").await;
    assert_eq!(in_dialog, "confirm-ok");
    app.press(Key::Enter).await;
    app.wait_text(&receipt(&b), "Signed out").await;
    assert!(f.meshy.is_ended("e2e-kb-rt"));
    // The Activity tab, by arrow key from the Accounts tab.
    app.tab_to("Accounts").await;
    app.press(Key::Right).await;
    app.wait_text("#activity-rows", "Signed out").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_accounts_list_and_sign_out_one() {
    let f = Fixture::new(None).await;
    let mut ids = Vec::new();
    for i in 0..1000 {
        let token = format!("e2e-many-at-{i}");
        ids.push(f.seed(
            "matar",
            &format!("Matar {i:04}"),
            &f.matar,
            &format!(r#"{{"access_token":"{token}"}}"#),
            &token,
        ));
    }
    let app = AppSession::start(f.home.path()).await;
    app.wait_text("#count", "1000 accounts").await;
    let rows_soon = |n: usize| {
        let app = &app;
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let rows = app
                    .client
                    .find_all(fantoccini::Locator::Css("tr.account"))
                    .await
                    .unwrap();
                if rows.len() == n || std::time::Instant::now() > deadline {
                    return rows.len();
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    // The group shows its first 100 rows (the first 30 come with the page, the rest with the
    // list the page asks for once that frame is drawn, in slices), and a button for the other
    // 900: so the count and the rows past the first view are the whole list's.
    assert_eq!(
        rows_soon(100).await,
        100,
        "a group shows its first 100 rows"
    );
    app.wait_text("button.show-more", "Show 900 more").await;
    app.click("button.show-more").await;
    assert_eq!(
        rows_soon(1000).await,
        1000,
        "every account has its row once asked"
    );
    app.wait_gone("button.show-more").await;
    // The keyboard carries on from the first row that came in: its name, not a button that a
    // second Enter would press.
    let focused = app
        .js("const a = document.activeElement; \
             return a.tagName + ' ' + (a.closest('tr') === document.querySelectorAll('tr.account')[100])")
        .await;
    assert_eq!(focused, "TD true", "focus on the 101st row's name");
    app.wait_text("#status", "Showing all 1000").await;
    // The tray names the first accounts and sums up the rest instead of a 1,000-item menu.
    let menu = tokio::task::spawn_blocking(signoff_tests::tray::TrayMenu::find)
        .await
        .unwrap();
    let labels = menu.labels();
    let per_account = labels
        .iter()
        .filter(|l| l.starts_with("Sign out Matar"))
        .count();
    assert_eq!(per_account, 12, "{labels:?}");
    assert!(
        labels
            .iter()
            .any(|l| l == "988 more accounts in the window…"),
        "{labels:?}"
    );
    let last = &ids[999];
    app.click(&format!("{} button.signout", row(last))).await;
    app.wait_text(&receipt(last), "Signed out").await;
    app.wait_text("#count", "999 accounts").await;
    assert!(f.matar.is_ended("e2e-many-at-999"));
    // The list redrawn after the sign-out keeps the group open.
    assert_eq!(rows_soon(999).await, 999);
    let more = app
        .client
        .find_all(fantoccini::Locator::Css("button.show-more"))
        .await
        .unwrap();
    assert!(more.is_empty(), "the group stays open");
    app.screenshot("thousand-accounts").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_from_the_window_with_the_browser_step_driven_by_the_test() {
    let op = signoff_tests::oidc::OidcProvider::start().await;
    let home = corp_home(&op);
    let app = AppSession::start(home.path()).await;
    app.wait_for("#empty:not([hidden])").await;
    pick_provider(&app, "corp", "corp").await;
    app.click("#signin-submit").await;
    let url = signin_url(&app).await;
    app.screenshot("signin-waiting").await;
    op.complete_login(&url, "ada").await;
    let row = app.wait_text("tr.account", "ada@example.test").await;
    assert!(row.contains("Signed in"), "{row}");
    let core = signoff_core::Signoff::open(signoff_core::Paths::under(home.path())).unwrap();
    let accounts = core.list_accounts().unwrap();
    assert_eq!(accounts[0].subject.as_deref(), Some("ada"));
    assert!(
        core.tokens(&accounts[0].id)
            .unwrap()
            .unwrap()
            .refresh_token
            .is_some(),
        "offline access"
    );

    // Cancel: nothing is added and the dialog says so.
    pick_provider(&app, "corp", "corp").await;
    app.click("#signin-submit").await;
    let start = signin_url(&app).await;
    assert!(
        start.path().starts_with("/start/") && start.query().is_none(),
        "the window shows the short loopback address: {start}"
    );
    app.click("#signin-cancel").await;
    app.wait_text("#signin-result", "Sign-in cancelled").await;
    assert_eq!(core.list_accounts().unwrap().len(), 1, "nothing stored");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", start.port().unwrap())).is_err(),
        "the cancelled sign-in's listener is closed"
    );
    assert_eq!(
        op.issued().await.len(),
        1,
        "only the first sign-in exchanged a code"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_on_another_device_from_the_window_with_the_code_approved_by_the_test() {
    // Polled every second (oidc-provider names no interval; the default is 5 s).
    let op =
        signoff_tests::oidc::OidcProvider::start_with(&[("SIGNOFF_OIDC_DEVICE_INTERVAL", "1")])
            .await;
    let home = corp_home(&op);
    let app = AppSession::start(home.path()).await;
    app.wait_for("#empty:not([hidden])").await;
    assert_eq!(app.js(crate::secrets::RECORDER).await, true);
    pick_provider(&app, "corp", "corp").await;
    app.click("#signin-device:not([hidden])").await;
    let code = shown(
        &app,
        "document.getElementById('device-code').textContent",
        "",
    )
    .await;
    let address = shown(&app, "document.getElementById('device-uri').value", "http").await;
    assert_eq!(address, format!("{}device", op.issuer));
    app.screenshot("device-code-shown").await;
    let page = op
        .answer_device_code(&url::Url::parse(&address).unwrap(), &code, "ada", true)
        .await;
    assert!(page.contains("Sign-in Success"), "{page}");
    let row = app.wait_text("tr.account", "ada@example.test").await;
    assert!(row.contains("Signed in"), "{row}");
    let core = signoff_core::Signoff::open(signoff_core::Paths::under(home.path())).unwrap();
    let accounts = core.list_accounts().unwrap();
    assert_eq!(accounts[0].subject.as_deref(), Some("ada"));
    // Neither the device code nor a token reached the page; the code shown did, as an event.
    let tokens = core.tokens(&accounts[0].id).unwrap().unwrap();
    let device_code = op.device_polls().await.remove(0).device_code;
    let mut secrets = vec![device_code.as_str()];
    secrets.extend(
        [
            &tokens.refresh_token,
            &tokens.access_token,
            &tokens.id_token,
        ]
        .into_iter()
        .flatten()
        .map(signoff_core::SecretString::expose_secret),
    );
    assert_eq!(secrets.len(), 4, "a device code and three tokens");
    let log = crate::secrets::recorded(&app, &secrets).await;
    assert!(
        log.contains("signin-device-code") && log.contains(&code),
        "the recorder saw the code arrive: {log}"
    );

    // Cancel while the code is shown: nothing is added and the dialog says so.
    pick_provider(&app, "corp", "corp").await;
    app.click("#signin-device:not([hidden])").await;
    shown(
        &app,
        "document.getElementById('device-code').textContent",
        "",
    )
    .await;
    app.click("#device-cancel").await;
    app.wait_text("#signin-result", "Sign-in cancelled").await;
    assert_eq!(core.list_accounts().unwrap().len(), 1);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_to_meshydb_with_a_password_and_as_an_anonymous_user_from_the_window() {
    let f = Fixture::new(None).await;
    f.meshy.add_user("ada", "e2e-meshy-pass-31");
    let app = AppSession::start(f.home.path()).await;
    app.wait_for("#empty:not([hidden])").await;
    pick_provider(&app, "meshy", "meshydb").await;
    app.wait_for("#password-form:not([hidden])").await;

    // A wrong password: the dialog says MeshyDB refused, nothing is added.
    app.type_into("#password-username", "ada").await;
    app.type_into("#password-password", "wrong-pass-1").await;
    app.click("#password-submit").await;
    app.wait_text("#password-result", "refused the user name or password")
        .await;
    assert!(f.core.list_accounts().unwrap().is_empty());
    let cleared = app
        .js("return document.getElementById('password-password').value")
        .await;
    assert_eq!(cleared, "", "the password is not kept in the page");

    app.type_into("#password-password", "e2e-meshy-pass-31")
        .await;
    app.screenshot("signin-password").await;
    app.click("#password-submit").await;
    let row_text = app.wait_text("tr.account", "ada").await;
    assert!(row_text.contains("Signed in"), "{row_text}");
    let accounts = f.core.list_accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    let tokens = f.core.tokens(&accounts[0].id).unwrap().unwrap();
    let rt = tokens
        .refresh_token
        .expect("a refresh token (offline_access)");
    assert_eq!(f.meshy.issued()[0].1, rt.expose_secret());

    pick_provider(&app, "meshy", "meshydb").await;
    app.wait_for("#password-anonymous:not([hidden])").await;
    app.click("#password-anonymous").await;
    app.wait_text("#groups", "(anonymous)").await;
    let accounts = f.core.list_accounts().unwrap();
    assert_eq!(accounts.len(), 2);
    let anon = accounts
        .iter()
        .find(|a| a.label.ends_with("(anonymous)"))
        .unwrap();
    assert!(f.meshy.has_user(anon.subject.as_deref().unwrap()));

    // Signing the password account out revokes the refresh token MeshyDB issued.
    let ada = accounts.iter().find(|a| a.label == "ada").unwrap();
    app.click(&format!("{} button.signout", row(&ada.id))).await;
    app.wait_gone(&row(&ada.id)).await;
    assert!(f.meshy.is_ended(rt.expose_secret()));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_shows_needs_attention_before_any_sign_out() {
    // Matar's seed example token: a JWT whose `exp` passed in 2016, and Matar has no refresh.
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuYXV0aDAuY29tLyIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUuY29tL2NhbGFuZGFyL3YxLyIsInN1YiI6InVzcl8xMjMiLCJpYXQiOjE0NTg3ODU3OTYsImV4cCI6MTQ1ODg3MjE5Nn0.CA7eaHjIHz5NxeIJoFK9krqaeZrPLwmMmgI_XiQiIkQ";
    let f = Fixture::new(None).await;
    let expired = f.seed(
        "matar",
        "Matar phone",
        &f.matar,
        &format!(r#"{{"access_token":"{jwt}"}}"#),
        jwt,
    );
    let opaque = f.seed(
        "matar",
        "Matar tablet",
        &f.matar,
        r#"{"access_token":"e2e-opaque-at-5"}"#,
        "e2e-opaque-at-5",
    );
    let app = AppSession::start(f.home.path()).await;
    let status = app
        .wait_text(&format!("{} .status", row(&expired)), "Needs attention")
        .await;
    assert!(status.contains("sign in again"), "{status}");
    app.screenshot("needs-attention-expired").await;
    let other = app
        .wait_text(&format!("{} .status", row(&opaque)), "Signed in")
        .await;
    assert!(!other.contains("Needs attention"), "{other}");
    assert!(
        f.matar.seen().is_empty(),
        "found by the token check, before anyone signed out"
    );
    assert!(f.in_keychain(&expired));
    app.close().await;
}

/// The address the window shows for copying, once the sign-in has started.
async fn signin_url(app: &AppSession) -> url::Url {
    let u = shown(app, "document.getElementById('signin-url').value", "http").await;
    url::Url::parse(&u).unwrap()
}

/// What `expr` gives in the page once it starts with `prefix` (within 10 s).
async fn shown(app: &AppSession, expr: &str, prefix: &str) -> String {
    for _ in 0..100 {
        let v = app.js(&format!("return {expr}")).await;
        if let Some(text) = v
            .as_str()
            .filter(|t| !t.is_empty() && t.starts_with(prefix))
        {
            return text.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the window never showed {expr}");
}

/// A data folder whose profile `corp` is `op`'s public client, asking for a refresh token.
fn corp_home(op: &signoff_tests::oidc::OidcProvider) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"corp\"\nlabel = \"Corp ID\"\nprotocol = \"oidc\"\nissuer = \"{}\"\n\
             client_id = \"signoff-native\"\nclient_auth = \"none\"\noffline_access = true\nscopes = [\"email\"]\n",
            op.issuer.as_str().trim_end_matches('/')
        ),
    )
    .unwrap();
    home
}
