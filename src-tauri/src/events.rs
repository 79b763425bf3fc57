//! Events to the page, and the watcher that notices account changes from any process (the CLI,
//! a retry) so the window and the tray are never stale.

use std::sync::Arc;
use std::time::Duration;

use signoff_core::Signoff;
use signoff_core::api::SignOutOptions;
use signoff_core::audit::Actor;
use signoff_core::engine::Receipt;
use tauri::{AppHandle, Manager};

use crate::commands::emit;

/// One account's receipt, as soon as it is known.
pub fn progress(app: &AppHandle, receipt: &Receipt) {
    emit(app, "signout-progress", receipt.clone());
}

/// Accounts changed: the page reloads its list, the tray rebuilds its menu.
pub fn accounts_changed(app: &AppHandle) {
    emit(app, "accounts-changed", ());
    crate::tray::refresh(app);
}

/// Set once the window has painted its first list; the background work waits for it (or for
/// [`FIRST_RUN_AT_THE_LATEST`]) so it does not compete with the window for the CPU at start-up.
#[derive(Default)]
pub struct FirstPaint(tokio::sync::Notify);

impl FirstPaint {
    pub fn done(&self) {
        self.0.notify_one();
    }
}

/// When the first token check and retry run if the window never says it painted (no display
/// for WebKit, a page error).
const FIRST_RUN_AT_THE_LATEST: Duration = Duration::from_secs(5);

/// Polls the store's change marker every second. Every minute (the first time once the window
/// has painted): refreshes expiring tokens, then retries due pending revocations (which also
/// resumes sign-outs a crash left half-done).
pub fn spawn_background(app: AppHandle) {
    let core = Arc::clone(app.state::<Arc<Signoff>>().inner());
    let watcher_app = app.clone();
    let watcher_core = Arc::clone(&core);
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        loop {
            let marker = watcher_core.change_marker().ok();
            if marker != last {
                if last.is_some() {
                    accounts_changed(&watcher_app);
                }
                last = marker;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    tauri::async_runtime::spawn(async move {
        let first_paint = app.state::<FirstPaint>();
        let _ = tokio::time::timeout(FIRST_RUN_AT_THE_LATEST, first_paint.0.notified()).await;
        loop {
            // Refresh what expires within the next five minutes; flag what cannot be refreshed.
            match core
                .check_tokens(Duration::from_secs(300), Actor::System)
                .await
            {
                Ok(checks) if !checks.is_empty() => accounts_changed(&app),
                Ok(_) => {}
                Err(e) => tracing::warn!(code = %e.code(), "checking tokens: {e}"),
            }
            let options = SignOutOptions {
                actor: Actor::System,
                verify: false,
            };
            match core
                .retry_pending(false, options, |r| progress(&app, r))
                .await
            {
                Ok(summary) if !summary.results.is_empty() => accounts_changed(&app),
                Ok(_) => {}
                Err(e) => tracing::warn!(code = %e.code(), "retrying pending revocations: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}
