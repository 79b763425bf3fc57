//! The list the window shows first, handed to the page with the page itself (an initialization
//! script) instead of by a command round trip after it loaded: on Linux each IPC reply goes
//! through the GTK main loop, which is busiest exactly while the window starts. The page still
//! asks by command once it has painted, so anything that changed in between shows up. Account
//! metadata and provider labels only: the same data `list_accounts` and `list_providers` give.

use serde::Serialize;
use signoff_core::Signoff;
use signoff_core::api::AccountView;
use tauri::Runtime;
use tauri::plugin::{Builder, TauriPlugin};

use signoff_core::api::Providers;

/// The global the page reads (once) on load.
const GLOBAL: &str = "__SIGNOFF_FIRST_VIEW__";

#[derive(Serialize)]
struct FirstView {
    accounts: Vec<AccountView>,
    providers: Providers,
}

/// A plugin whose only job is the initialization script; without the data (the database could
/// not be read) the page asks by command as before.
pub fn plugin<R: Runtime>(core: &Signoff) -> TauriPlugin<R> {
    let builder = Builder::new("signoff-first-view");
    match script(core) {
        Ok(script) => builder.js_init_script(script),
        Err(e) => {
            tracing::warn!("the window will ask for its first list: {e}");
            builder
        }
    }
    .build()
}

fn script(core: &Signoff) -> Result<String, String> {
    let view = FirstView {
        accounts: core.account_views().map_err(|e| e.to_string())?,
        providers: core.provider_views(),
    };
    let json = serde_json::to_string(&view).map_err(|e| e.to_string())?;
    // JSON is a JavaScript expression; the value is frozen so nothing on the page can alter it.
    Ok(format!(
        "Object.defineProperty(window, {GLOBAL:?}, {{ value: Object.freeze({json}), configurable: true }});"
    ))
}
