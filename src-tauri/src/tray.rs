//! The tray: "Sign out <label>" per signed-in account, "Sign out everywhere", the pending count,
//! "Open Signoff", "Quit". Rebuilt whenever accounts change (`background` follows the core's
//! change stream and calls [`refresh`]). After a tray sign-out, a notification summarises the
//! receipt. Without the appindicator library there is no tray (tauri would abort): the app
//! runs without one and logs why.

use std::sync::Arc;

use signoff_core::api::{AccountFilter, SignOutOptions, SignOutSummary};
use signoff_core::audit::Actor;
use signoff_core::outcome::Outcome;
use signoff_core::{AccountId, AccountStatus, Signoff};
use tauri::menu::{Menu, MenuBuilder, MenuEvent};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_notification::NotificationExt;

use crate::ui;

const TRAY_ID: &str = "signoff";

/// Whether a tray can be shown here. On Linux that needs libayatana-appindicator3 (or the older
/// libappindicator3) at run time, which tauri loads with dlopen and aborts without: probe the
/// same way first.
pub fn available() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let libs = ["libayatana-appindicator3.so.1", "libappindicator3.so.1"];
        if !libs.iter().any(|lib| can_load(lib)) {
            return Err("libayatana-appindicator3 cannot be loaded (apt install libayatana-appindicator3-1)".into());
        }
    }
    Ok(())
}

/// Whether a tray icon would be seen now: the library is there and the desktop has a tray
/// (a StatusNotifier host). `Err` says why not, in words for the person.
pub fn host_ready() -> Result<(), String> {
    available()?;
    signoff_core::tray_host::present()
}

/// dlopen probe. Unsafe because loading runs the library's initialisers; this is the library
/// tauri itself loads right after, so nothing runs that would not run anyway.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn can_load(name: &str) -> bool {
    // SAFETY: see above; the handle is dropped at once.
    unsafe { libloading::Library::new(name) }.is_ok()
}

/// True when the tray was created (closing the window then keeps Signoff running).
pub fn is_present(app: &AppHandle) -> bool {
    app.tray_by_id(TRAY_ID).is_some()
}

/// Creates the tray, or logs why there is none.
pub fn install(app: &AppHandle) {
    if let Err(why) = available() {
        tracing::warn!("running without a tray: {why}");
        return;
    }
    let menu = match build_menu(app) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("running without a tray: cannot build its menu: {e}");
            return;
        }
    };
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Signoff")
        .menu(&menu)
        .on_menu_event(on_menu_event);
    if let Some(icon) = app.default_window_icon().cloned() {
        builder = builder.icon(icon);
    }
    if let Err(e) = builder.build(app) {
        tracing::warn!("running without a tray: {e}");
    }
}

/// Rebuilds the menu from the current accounts.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    match build_menu(app) {
        Ok(menu) => {
            if let Err(e) = tray.set_menu(Some(menu)) {
                tracing::warn!("cannot update the tray menu: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot rebuild the tray menu: {e}"),
    }
}

/// At most this many "Sign out <account>" items; the rest are one "N more" item.
pub const TRAY_ACCOUNTS_MAX: usize = 12;

fn build_menu(app: &AppHandle) -> Result<Menu<Wry>, String> {
    let core = app.state::<Arc<Signoff>>();
    let accounts = core.list_accounts().map_err(|e| e.to_string())?;
    let mut b = MenuBuilder::new(app);
    let signed_in: Vec<_> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::SignedIn)
        .collect();
    for a in signed_in.iter().take(TRAY_ACCOUNTS_MAX) {
        b = b.text(format!("signout:{}", a.id), format!("Sign out {}", a.label));
    }
    // A menu is no place for a thousand rows (and building one costs seconds and megabytes).
    if let Some(rest) = signed_in
        .len()
        .checked_sub(TRAY_ACCOUNTS_MAX)
        .filter(|&n| n > 0)
    {
        let text = if rest == 1 {
            "1 more account in the window…".to_owned()
        } else {
            format!("{rest} more accounts in the window…")
        };
        b = b.text("open-more", text);
    }
    if !signed_in.is_empty() {
        b = b.separator();
    }
    b = b.text("signout-all", "Sign out everywhere");
    let pending = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Pending)
        .count();
    if pending > 0 {
        let text = if pending == 1 {
            "1 revocation pending".to_owned()
        } else {
            format!("{pending} revocations pending")
        };
        let item = tauri::menu::MenuItemBuilder::with_id("pending", text)
            .enabled(false)
            .build(app)
            .map_err(|e| e.to_string())?;
        b = b.item(&item);
    }
    b.separator()
        .text("open", "Open Signoff")
        .text("quit", "Quit")
        .build()
        .map_err(|e| e.to_string())
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_owned();
    match id.as_str() {
        "open" | "open-more" => ui::show_main_window(app),
        "quit" => app.exit(0),
        "signout-all" => spawn_sign_out(app, None),
        other => {
            if let Some(account) = other
                .strip_prefix("signout:")
                .and_then(|s| AccountId::parse(s).ok())
            {
                spawn_sign_out(app, Some(account));
            }
        }
    }
}

fn spawn_sign_out(app: &AppHandle, account: Option<AccountId>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let core = Arc::clone(app.state::<Arc<Signoff>>().inner());
        let options = SignOutOptions {
            actor: Actor::Tray,
            verify: false,
        };
        let progress = |r: &_| ui::progress(&app, r);
        let result = match account {
            Some(id) => core.sign_out(&[id], options, progress).await,
            None => {
                core.sign_out_all(&AccountFilter::default(), options, progress)
                    .await
            }
        };
        let (title, body) = match &result {
            Ok(summary) => summarise(summary),
            Err(e) => ("Sign-out failed".to_owned(), e.to_string()),
        };
        if let Err(e) = app
            .notification()
            .builder()
            .title(&title)
            .body(&body)
            .show()
        {
            tracing::warn!("cannot show the sign-out notification: {e}");
        }
        tracing::info!(%title, %body, "tray sign-out finished");
    });
}

/// "Signed out of 3 accounts" plus what needs a look.
pub fn summarise(s: &SignOutSummary) -> (String, String) {
    let count = |o: Outcome| s.results.iter().filter(|r| r.report.outcome == o).count();
    let done = s
        .results
        .iter()
        .filter(|r| r.report.outcome.is_done())
        .count();
    let (pending, failed) = (count(Outcome::Pending), count(Outcome::Failed));
    let title = match s.results.len() {
        0 => "Nothing to sign out".to_owned(),
        1 => format!(
            "{}: {}",
            s.results[0].label,
            plain(s.results[0].report.outcome)
        ),
        _ => format!("Signed out of {done} of {} accounts", s.results.len()),
    };
    let mut body = Vec::new();
    if pending > 0 {
        body.push(format!(
            "{pending} will be revoked when the provider answers"
        ));
    }
    if failed > 0 {
        body.push(format!("{failed} need attention: open Signoff"));
    }
    if count(Outcome::LocalOnly) > 0 {
        body.push(format!(
            "{} signed out here only",
            count(Outcome::LocalOnly)
        ));
    }
    (title, body.join("; "))
}

fn plain(o: Outcome) -> &'static str {
    match o {
        Outcome::Revoked => "signed out",
        Outcome::AlreadyRevoked => "was already signed out",
        Outcome::LocalOnly => "signed out here only",
        Outcome::Pending => "revocation pending",
        Outcome::Failed => "needs attention",
    }
}
