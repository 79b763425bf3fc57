//! The commands as the page calls them: through Tauri's IPC on its mock runtime (no window, no
//! WebKit), with the app's own invoke handler and a core on a throwaway data dir.

use std::sync::Arc;

use serde_json::{Value, json};
use signoff_core::{Paths, Signoff};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use super::{SignInState, Started, handler};
use crate::background::FirstPaint;

struct Page {
    window: WebviewWindow<MockRuntime>,
    _app: App<MockRuntime>,
    _home: tempfile::TempDir,
}

impl Page {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let core = Signoff::open(Paths::under(home.path()))
            .unwrap()
            .with_system_profiles(None);
        let app = mock_builder()
            .manage(Arc::new(core))
            .manage(SignInState::default())
            .manage(Started(std::time::Instant::now()))
            .manage(FirstPaint::default())
            .manage(super::settings::AutostartEntry(Ok(
                signoff_core::autostart::Autostart::in_dir(&home.path().join("autostart")),
            )))
            .invoke_handler(handler!())
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self {
            window,
            _app: app,
            _home: home,
        }
    }

    /// What the page's `invoke(cmd, args)` resolves to (`Ok`) or rejects with (`Err`).
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|body| body.deserialize().unwrap())
    }
}

#[test]
fn an_error_reaches_the_page_as_a_code_and_a_message() {
    let page = Page::new();
    let err = page
        .invoke("forget", json!({ "id": "not-an-account-id" }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("account id"),
        "{err}"
    );
    assert_eq!(
        err.as_object().unwrap().len(),
        2,
        "only code and message: {err}"
    );
}

#[test]
fn a_fresh_data_dir_lists_no_accounts_and_the_built_in_providers() {
    let page = Page::new();
    assert_eq!(page.invoke("list_accounts", json!({})), Ok(json!([])));
    let providers = page.invoke("list_providers", json!({})).unwrap();
    let ids: Vec<&str> = providers["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"meshydb"), "{providers}");
    // What the add dialog shows of GitHub reaches the page as the core says it.
    let github = providers["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "github")
        .unwrap();
    assert_eq!(github["needs_client_secret"], true, "{github}");
    assert_eq!(github["sign_out_ready"], false, "{github}");
    assert_eq!(github["ends"], "token", "{github}");
    assert_eq!(github["icon"], "github.svg", "{github}");
    assert_eq!(
        github["manage_url"], "https://github.com/settings/applications",
        "{github}"
    );
}

#[test]
fn signing_in_on_another_device_needs_an_openid_provider() {
    let page = Page::new();
    let err = page
        .invoke(
            "sign_in_device",
            json!({ "provider": "meshydb", "label": null }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "sign_in_failed", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("no issuer"),
        "{err}"
    );
    let err = page
        .invoke(
            "sign_in_device",
            json!({ "provider": "nope", "label": null }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn the_admin_commands_take_the_page_s_arguments_and_refuse_a_provider_without_an_admin_part() {
    let page = Page::new();
    for (cmd, args) in [
        (
            "admin_lookup",
            json!({ "provider": "meshydb", "user": "ada@acme.test" }),
        ),
        (
            "admin_sign_out_preview",
            json!({ "provider": "meshydb", "users": ["ada@acme.test"] }),
        ),
        (
            "admin_sign_out",
            json!({ "provider": "meshydb", "users": ["ada@acme.test"] }),
        ),
    ] {
        let err = page.invoke(cmd, args).unwrap_err();
        assert_eq!(err["code"], "invalid_input", "{cmd}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("no admin sign-out"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn the_start_at_login_setting_writes_and_removes_the_autostart_entry() {
    let page = Page::new();
    let file = page._home.path().join("autostart/dev.signoff.app.desktop");
    let off = page.invoke("autostart", json!({})).unwrap();
    assert_eq!(off["enabled"], false, "{off}");
    let on = page
        .invoke("set_autostart", json!({ "enabled": true }))
        .unwrap();
    assert_eq!(on["enabled"], true, "{on}");
    let text = std::fs::read_to_string(&file).unwrap();
    let exec = text.lines().find(|l| l.starts_with("Exec=")).unwrap();
    assert!(exec.ends_with(" --hidden"), "{exec}");
    assert!(
        exec.contains(&format!("SIGNOFF_HOME={}", page._home.path().display())),
        "the same data folder: {exec}"
    );
    assert_eq!(
        page.invoke("autostart", json!({})).unwrap()["enabled"],
        true
    );
    let off = page
        .invoke("set_autostart", json!({ "enabled": false }))
        .unwrap();
    assert_eq!(off["enabled"], false, "{off}");
    assert!(!file.exists());
}

#[test]
fn about_names_the_version_and_the_licences() {
    let page = Page::new();
    let about = page.invoke("about", json!({})).unwrap();
    assert_eq!(about["version"], env!("CARGO_PKG_VERSION"), "{about}");
    assert_eq!(about["license"], "MIT OR Apache-2.0", "{about}");
    assert_eq!(about["assets"][0]["license"], "CC0-1.0", "{about}");
}
