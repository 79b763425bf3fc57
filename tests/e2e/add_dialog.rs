//! "Add account" in two steps: the provider from the catalogue (filtered as the person types,
//! picked with the keyboard), then only the ways that provider supports, with what its sign-out
//! ends and its own page; Back returns to the list, Escape closes.

use fantoccini::key::Key;
use signoff_tests::driver::AppSession;

use crate::Fixture;

/// Which parts of the second step show, as `id=shown` pairs.
async fn ways_shown(app: &AppSession) -> String {
    app.js(
        "return ['signin-form', 'signin-device', 'password-form', 'password-anonymous', 'add-form', 'secret-form']
           .map(id => `${id}=${!document.getElementById(id).hidden}`).join(' ')",
    )
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

async fn focused(app: &AppSession) -> String {
    let id = app.js("return document.activeElement.id").await;
    id.as_str().unwrap().to_owned()
}

/// The providers listed, by id, in order.
async fn listed(app: &AppSession) -> Vec<String> {
    let ids = app
        .js("return [...document.querySelectorAll('#provider-list [role=option]')].map(li => li.dataset.provider)")
        .await;
    serde_json::from_value(ids).unwrap()
}

/// Filters the list with `text`, presses Enter on the entry highlighted, and waits for the
/// second step about `title`; returns which of its parts show.
async fn pick(app: &AppSession, text: &str, title: &str) -> String {
    filter(app, text).await;
    app.press(Key::Enter).await;
    app.wait_text("#ways-title", title).await;
    ways_shown(app).await
}

/// A screenshot once the first paint of a freshly shown list is surely done (it can take over
/// the driver's half second on a loaded machine).
async fn settled_screenshot(app: &AppSession, name: &str) {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.screenshot(name).await;
}

/// Replaces the filter's text as typed (each key an input event).
async fn filter(app: &AppSession, text: &str) {
    app.js("const f = document.getElementById('provider-filter'); f.value = ''; f.dispatchEvent(new Event('input')); f.focus(); return 1;")
        .await;
    app.type_into("#provider-filter", text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_account_picks_a_provider_then_shows_only_its_ways() {
    let f = Fixture::new(None).await;
    // An OpenID provider with an issuer and a client: it signs in with the browser (listing
    // providers calls nothing, so the issuer need not answer).
    let mut toml = std::fs::read_to_string(f.home.path().join("providers.toml")).unwrap();
    toml.push_str(
        "\n[[provider]]\nid = \"corp\"\nlabel = \"Corp ID\"\nprotocol = \"oidc\"\n\
         issuer = \"http://127.0.0.1:9/corp\"\nclient_id = \"signoff-native\"\nclient_auth = \"none\"\n",
    );
    std::fs::write(f.home.path().join("providers.toml"), toml).unwrap();
    let every = f.core.provider_views().profiles.len();
    assert!(every >= 24, "the 20 built-ins, the seeds and corp: {every}");

    let app = AppSession::start(f.home.path()).await;
    app.wait_for("#empty:not([hidden])").await;
    app.click("#add-account-btn").await;
    app.wait_for("#add-dialog[open] #add-pick:not([hidden])")
        .await;
    // It opens on the list, at its top, with the filter focused: not scrolled to a form.
    assert_eq!(focused(&app).await, "provider-filter");
    assert_eq!(
        app.js("return document.getElementById('add-dialog').scrollTop")
            .await,
        0
    );
    assert_eq!(
        app.js("return document.getElementById('add-ways').hidden")
            .await,
        true
    );
    assert_eq!(listed(&app).await.len(), every, "the whole catalogue");
    // Icons: GitHub's file from ui/icons/providers/ (the page's CSP lets it load); MeshyDB,
    // which simple-icons has none for, a letter badge.
    let github_icon = app
        .js("const img = document.querySelector('#provider-option-github .provider-icon img'); return img && img.complete && img.naturalWidth > 0 && img.getAttribute('src')")
        .await;
    assert_eq!(github_icon, "icons/providers/github.svg");
    settled_screenshot(&app, "add-step1-catalogue").await;
    let meshy_badge = app
        .js("const b = document.querySelector('#provider-option-meshydb .provider-icon.letter'); return b && b.textContent")
        .await;
    assert_eq!(meshy_badge, "M");

    // Type to filter: label or id. Google is ready to sign out, not to sign in.
    filter(&app, "goo").await;
    assert_eq!(listed(&app).await, ["google"]);
    let google = app
        .wait_text("#provider-option-google", "needs a client id to sign in")
        .await;
    assert!(google.starts_with("Google"), "{google}");
    settled_screenshot(&app, "add-step1-filtered").await;
    app.press(Key::Enter).await;
    app.wait_for("#add-ways:not([hidden])").await;
    assert_eq!(
        ways_shown(&app).await,
        "signin-form=false signin-device=false password-form=false password-anonymous=false add-form=true secret-form=false"
    );
    let about = app.wait_text("#ways-about", "client_id").await;
    assert!(
        about.contains("every token of that sign-in")
            && about.contains("Signing in with the browser needs setting up"),
        "{about}"
    );
    let page = app
        .js("return document.querySelector('#ways-about .manage-url').value")
        .await;
    assert_eq!(page, "https://myaccount.google.com/connections");
    assert_eq!(focused(&app).await, "add-label");
    assert_eq!(
        app.js("return document.getElementById('add-dialog').scrollTop")
            .await,
        0,
        "the second step starts at its top"
    );
    app.screenshot("add-step2-google").await;

    // Back returns to the list, filter kept and focused.
    app.click("#add-back").await;
    app.wait_for("#add-pick:not([hidden])").await;
    assert_eq!(focused(&app).await, "provider-filter");
    assert_eq!(listed(&app).await, ["google"]);

    // The arrow keys move through the matches (by label: AWS, Corp ID, HyperID) and wrap.
    filter(&app, "id").await;
    assert_eq!(listed(&app).await, ["aws-sso", "corp", "hyperid"]);
    app.wait_for("#provider-option-aws-sso[aria-selected='true']")
        .await;
    app.press(Key::Up).await;
    app.wait_for("#provider-option-hyperid[aria-selected='true']")
        .await;
    app.press(Key::Down).await;
    app.press(Key::Down).await;
    app.wait_for("#provider-option-corp[aria-selected='true']")
        .await;
    let active = app
        .js("return document.getElementById('provider-filter').getAttribute('aria-activedescendant')")
        .await;
    assert_eq!(active, "provider-option-corp");
    app.press(Key::Enter).await;
    app.wait_text("#ways-title", "Corp ID").await;
    assert_eq!(
        ways_shown(&app).await,
        "signin-form=true signin-device=true password-form=false password-anonymous=false add-form=true secret-form=false"
    );
    assert_eq!(focused(&app).await, "signin-submit");
    app.screenshot("add-step2-openid").await;

    // MeshyDB: user name and password, or a new anonymous user.
    app.click("#add-back").await;
    assert_eq!(
        pick(&app, "meshy", "MeshyDB").await,
        "signin-form=false signin-device=false password-form=true password-anonymous=true add-form=true secret-form=false"
    );
    assert_eq!(focused(&app).await, "password-username");
    app.screenshot("add-step2-meshydb").await;

    // GitHub: not set up to sign out yet (its OAuth app's id), and a client secret to save.
    app.click("#add-back").await;
    filter(&app, "git").await;
    assert_eq!(listed(&app).await, ["github", "gitlab"]);
    let github = app
        .wait_text("#provider-option-github", "needs setting up to sign out")
        .await;
    assert!(github.starts_with("GitHub"), "{github}");
    assert_eq!(
        pick(&app, "git", "GitHub").await,
        "signin-form=false signin-device=false password-form=false password-anonymous=false add-form=true secret-form=true"
    );
    let about = app.wait_text("#ways-about", "client_id").await;
    assert!(
        about.contains("Signing out needs setting up first")
            && about.contains("the token Signoff holds"),
        "{about}"
    );
    app.screenshot("add-step2-github").await;

    // Nothing matches: the list says so. Escape on the list closes the dialog.
    app.click("#add-back").await;
    filter(&app, "no-such-provider").await;
    app.wait_for("#provider-none:not([hidden])").await;
    assert!(listed(&app).await.is_empty());
    app.press(Key::Escape).await;
    app.wait_gone("#add-dialog[open]").await;
    // Opened again, it starts over on the whole list.
    app.click("#add-account-btn").await;
    app.wait_for("#add-dialog[open] #add-pick:not([hidden])")
        .await;
    assert_eq!(listed(&app).await.len(), every);
    assert!(
        f.core.list_accounts().unwrap().is_empty(),
        "nothing was added"
    );
    app.close().await;
}
