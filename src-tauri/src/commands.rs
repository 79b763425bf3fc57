//! Tauri commands: one line of glue each over the core's use cases. Errors reach the page as
//! `{code, message}` with the core's stable codes; tokens never do.

use std::sync::Arc;

use signoff_core::error::ErrorReport;
use signoff_core::{Account, Signoff};
use tauri::State;

type Core<'a> = State<'a, Arc<Signoff>>;

/// The accounts to show, oldest first.
#[tauri::command]
pub async fn list_accounts(core: Core<'_>) -> Result<Vec<Account>, ErrorReport> {
    let core = Arc::clone(&core);
    blocking(move || core.list_accounts()).await
}

/// Runs core work (SQLite, keychain over D-Bus) off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> signoff_core::Result<T> + Send + 'static,
) -> Result<T, ErrorReport> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ErrorReport {
            code: signoff_core::ErrorCode::Io,
            message: format!("internal error: {e}"),
        })?
        .map_err(|e| ErrorReport::from(&e))
}
