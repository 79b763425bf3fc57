//! Signoff's desktop app: opens the core on the person's data dir and shows the accounts window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::process::ExitCode;
use std::sync::Arc;

use signoff_core::{Paths, Signoff};

fn main() -> ExitCode {
    if let Some(reason) = no_display() {
        eprintln!("signoff-app: cannot open a window: {reason}.");
        eprintln!("Run it from a desktop session, or use the `signoff` command instead.");
        return ExitCode::from(2);
    }
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("signoff-app: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _log = match signoff_core::logging::init(&paths, "signoff-app") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("signoff-app: {e}");
            return ExitCode::FAILURE;
        }
    };
    let core = match Signoff::open(paths) {
        Ok(core) => Arc::new(core),
        Err(e) => {
            tracing::error!(code = %e.code(), "cannot open Signoff's data: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(data_dir = %core.paths().data_dir.display(), "starting Signoff");
    let result = tauri::Builder::default()
        .manage(core)
        .invoke_handler(tauri::generate_handler![commands::list_accounts])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("the app stopped with an error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// On Linux, GTK aborts without a display; say so plainly instead.
fn no_display() -> Option<&'static str> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|d| d.is_empty())
    {
        return Some("no display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
    }
    None
}
