//! The page and its window: events emitted to the page (`signout-progress`, `admin-progress`,
//! `signin-url`, `signin-device-code`, `accounts-changed`) and showing the main window. Imports no other module of the app.

use serde::Serialize;
use signoff_core::api::AdminReceipt;
use signoff_core::engine::Receipt;
use signoff_core::signin::device::DeviceCode;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Emits to the page; a failure is logged (the page may be gone).
pub fn emit<R: Runtime, S: Serialize + Clone>(app: &AppHandle<R>, event: &str, payload: S) {
    if let Err(e) = app.emit(event, payload) {
        tracing::warn!("cannot send {event} to the window: {e}");
    }
}

/// One account's receipt, as soon as it is known.
pub fn progress<R: Runtime>(app: &AppHandle<R>, receipt: &Receipt) {
    emit(app, "signout-progress", receipt.clone());
}

/// One person's receipt of an admin sign-out, as soon as it is known.
pub fn admin_progress<R: Runtime>(app: &AppHandle<R>, receipt: &AdminReceipt) {
    emit(app, "admin-progress", receipt.clone());
}

/// The address of a browser sign-in, to copy when no browser opened. Never a token.
pub fn sign_in_url<R: Runtime>(app: &AppHandle<R>, url: &str, opened: bool) {
    emit(
        app,
        "signin-url",
        serde_json::json!({ "url": url, "opened": opened }),
    );
}

/// The code of a sign-in on another device and where to enter it. Never the device code.
pub fn device_code<R: Runtime>(app: &AppHandle<R>, code: &DeviceCode) {
    emit(app, "signin-device-code", code.clone());
}

/// Accounts changed somewhere (this process or another): the page reloads its list.
pub fn accounts_changed<R: Runtime>(app: &AppHandle<R>) {
    emit(app, "accounts-changed", ());
}

/// Shows, unminimises and focuses the main window (tray "Open", a second launch).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}
