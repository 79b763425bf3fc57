//! Background work: following the core's change stream (the page reloads its list, the tray
//! rebuilds its menu, whoever changed the accounts: a command, the tray, the CLI, a retry), and
//! the minute loop (token checks, due retries). Each round runs as a task of its own: one that
//! fails or panics is logged, and the loop goes on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use signoff_core::Signoff;
use signoff_core::api::SignOutOptions;
use signoff_core::audit::Actor;
use tauri::{AppHandle, Manager};

use crate::{tray, ui};

/// Set once the window has painted its first list; the background work waits for it (or for
/// [`FIRST_RUN_AT_THE_LATEST`]) so it does not compete with the window for the CPU at start-up.
#[derive(Debug, Default)]
pub struct FirstPaint(tokio::sync::Notify);

impl FirstPaint {
    pub fn done(&self) {
        self.0.notify_one();
    }
}

/// When the first token check and retry run if the window never says it painted (no display
/// for WebKit, a page error).
const FIRST_RUN_AT_THE_LATEST: Duration = Duration::from_secs(5);

/// How long a change waits for the writes that follow it (one sign-out is several) before the
/// page and the tray hear of it: at most one reload per this much time, however many writes.
const SETTLE: Duration = Duration::from_millis(250);

/// Starts both loops.
pub fn spawn(app: AppHandle) {
    let core = Arc::clone(app.state::<Arc<Signoff>>().inner());
    tauri::async_runtime::spawn(follow_changes(app.clone(), Arc::clone(&core)));
    tauri::async_runtime::spawn(every_minute(app, core));
}

/// Accounts changed: the page reloads its list, the tray rebuilds its menu.
async fn follow_changes(app: AppHandle, core: Arc<Signoff>) {
    let mut changes = core.changes();
    loop {
        changes.changed().await;
        tokio::time::sleep(SETTLE).await;
        // What was written while settling is in what the page and the tray now read.
        changes.mark_seen();
        let app = app.clone();
        isolated("following account changes", async move {
            ui::accounts_changed(&app);
            tray::refresh(&app);
        })
        .await;
    }
}

/// Every minute (the first time once the window has painted): refreshes expiring tokens, then
/// retries due pending revocations (which also resumes sign-outs a crash left half-done).
async fn every_minute(app: AppHandle, core: Arc<Signoff>) {
    let first_paint = app.state::<FirstPaint>();
    let _ = tokio::time::timeout(FIRST_RUN_AT_THE_LATEST, first_paint.0.notified()).await;
    loop {
        isolated(
            "the minute's token check and retries",
            tick(app.clone(), Arc::clone(&core)),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

/// One minute's work. What it writes reaches the page and the tray through the change stream.
async fn tick(app: AppHandle, core: Arc<Signoff>) {
    // Refresh what expires within the next five minutes; flag what cannot be refreshed.
    if let Err(e) = core
        .check_tokens(Duration::from_secs(300), Actor::System)
        .await
    {
        tracing::warn!(code = %e.code(), "checking tokens: {e}");
    }
    let options = SignOutOptions {
        actor: Actor::System,
        verify: false,
    };
    if let Err(e) = core
        .retry_pending(false, options, |r| ui::progress(&app, r))
        .await
    {
        tracing::warn!(code = %e.code(), "retrying pending revocations: {e}");
    }
}

/// Runs `work` as a task of its own and waits for it: a panic in it is logged (by the panic
/// hook and here) instead of ending the loop that runs it.
async fn isolated(what: &str, work: impl Future<Output = ()> + Send + 'static) {
    if let Err(e) = tauri::async_runtime::spawn(work).await {
        tracing::error!("{what} stopped: {e}; the loop goes on");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_panicking_round_is_logged_and_the_next_one_runs() {
        static ROUNDS: AtomicUsize = AtomicUsize::new(0);
        tauri::async_runtime::block_on(async {
            for round in 0..3 {
                isolated("a test round", async move {
                    ROUNDS.fetch_add(1, Ordering::SeqCst);
                    assert_ne!(round, 1, "round 1 panics");
                })
                .await;
            }
        });
        assert_eq!(ROUNDS.load(Ordering::SeqCst), 3);
    }
}
