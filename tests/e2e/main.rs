//! End-to-end tests: the real `signoff-app` binary in a real window (Xvfb), driven through
//! WebDriver, with the real gnome-keyring and the seed providers' test servers. Run them inside
//! `scripts/session.sh` (make test does). Screenshots land in `target/e2e-artifacts/`.

mod accounts;
mod add_dialog;
mod admin;
mod demo;
mod flows;
mod found;
mod secrets;
mod settings;
mod tray;

use std::sync::Arc;

use signoff_core::audit::Actor;
use signoff_core::{AccountId, NewAccount, Paths, Signoff, TokenBundle};
use signoff_tests::servers::{self, TestServer};

pub const MESHY_KEY: &str = "pk_e2e";
pub const HYPER_ID: &str = "signoff-e2e";
pub const HYPER_SECRET: &str = "e2e-hyper-client-secret-8080";

/// A data dir with profiles for the three seed servers, and the core opened on it.
#[derive(Debug)]
pub struct Fixture {
    pub home: tempfile::TempDir,
    pub core: Arc<Signoff>,
    pub meshy: TestServer,
    pub hyper: TestServer,
    pub matar: TestServer,
}

impl Fixture {
    /// `meshy_port`: where MeshyDB's profile points (a [`signoff_tests::DownPort`] makes
    /// it "down"); `None` for the running test server.
    pub async fn new(meshy_port: Option<u16>) -> Self {
        let home = tempfile::tempdir().unwrap();
        let meshy = servers::meshydb(MESHY_KEY).await;
        let hyper = servers::hyperid(HYPER_ID, HYPER_SECRET).await;
        let matar = servers::matar().await;
        let meshy_base = match meshy_port {
            Some(p) => format!("http://127.0.0.1:{p}/"),
            None => meshy.base.to_string(),
        };
        let hyper_base = format!(
            "{}auth/realms/{{realm}}/protocol/openid-connect",
            hyper.base
        );
        std::fs::write(
            home.path().join("providers.toml"),
            format!(
                "[[provider]]\nid = \"meshydb\"\nclient_id = \"{MESHY_KEY}\"\n\
                 revocation_endpoint = \"{meshy_base}{{account}}/connect/revocation\"\n\
                 token_endpoint = \"{meshy_base}{{account}}/connect/token\"\n\
                 anonymous_registration_endpoint = \"{meshy_base}{{account}}/users/register/anonymous\"\n\
                 params = {{ account = \"{}\" }}\n\n\
                 [[provider]]\nid = \"hyperid\"\nclient_id = \"{HYPER_ID}\"\n\
                 logout_endpoint = \"{hyper_base}/logout\"\n\n\
                 [[provider]]\nid = \"matar\"\nlogout_endpoint = \"{}api/v1/logout\"\n",
                servers::MESHYDB_ACCOUNT,
                matar.base
            ),
        )
        .unwrap();
        let core = Arc::new(Signoff::open(Paths::under(home.path())).unwrap());
        Self {
            home,
            core,
            meshy,
            hyper,
            matar,
        }
    }

    /// Seeds an account through the core, marking its token live at `server`.
    pub fn seed(
        &self,
        provider: &str,
        label: &str,
        server: &TestServer,
        tokens_json: &str,
        token: &str,
    ) -> AccountId {
        server.issue(token);
        self.core
            .add_account(
                NewAccount {
                    provider_id: provider.into(),
                    label: label.into(),
                    subject: None,
                },
                TokenBundle::from_json(tokens_json).unwrap(),
                Actor::Admin,
            )
            .unwrap()
            .id
    }

    /// Whether the keychain still holds the account's tokens.
    pub fn in_keychain(&self, id: &AccountId) -> bool {
        self.core.tokens(id).unwrap().is_some()
    }
}

/// CSS for an account's row.
pub fn row(id: &AccountId) -> String {
    format!("tr[data-account-id='{id}']")
}

/// CSS for an account's receipt line.
pub fn receipt(id: &AccountId) -> String {
    format!("#receipt-list li[data-account-id='{id}']")
}

/// Opens "Add account" and picks a provider on its first step as a person would: types
/// `filter`, waits until `provider` is the highlighted entry, presses Enter, and waits for the
/// second step.
pub async fn pick_provider(app: &signoff_tests::driver::AppSession, filter: &str, provider: &str) {
    app.click("#add-account-btn").await;
    app.wait_for("#add-dialog[open] #add-pick:not([hidden])")
        .await;
    app.type_into("#provider-filter", filter).await;
    app.wait_for(&format!(
        "#provider-option-{provider}[aria-selected='true']"
    ))
    .await;
    app.press(fantoccini::key::Key::Enter).await;
    app.wait_for("#add-ways:not([hidden])").await;
    let title = app
        .js("return document.getElementById('ways-title').textContent")
        .await;
    assert!(title.as_str().is_some_and(|t| !t.is_empty()), "{title}");
}
