//! `signoff-bench-bare`: the bench's bare Tauri window (BENCHMARKS.md §3). One window of the
//! app's size and CSP, one line of text, one command: `ready`, which the page calls after two
//! animation frames (the app's "painted" rule) and which prints the line the app prints, so
//! `tests/bench/app.rs` times both alike. No core, tray, plugin or log set-up: what is left is
//! Tauri and WebKitGTK starting, the floor the app is measured against.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::time::Instant;

/// When `main` started.
struct Started(Instant);

/// The page painted its line: print it as the app does (`account list painted`).
#[tauri::command]
fn ready(started: tauri::State<'_, Started>) {
    let since_start_ms = started.0.elapsed().as_millis();
    eprintln!("account list painted accounts=0 since_start_ms={since_start_ms}");
}

fn main() {
    let started = Started(Instant::now());
    webkit_without_compositing();
    tauri::Builder::default()
        .manage(started)
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}

/// The app's rule (`src-tauri/src/lib.rs`, `webkit_without_compositing`), or the comparison is
/// unfair: compositing off unless set, and left on under WebDriver.
#[allow(unsafe_code)]
fn webkit_without_compositing() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    let automated = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    if cfg!(target_os = "linux") && !automated && std::env::var_os(VAR).is_none() {
        // SAFETY: first thing in `main`, before any other thread exists, so nothing can read
        // the environment while it changes.
        unsafe { std::env::set_var(VAR, "1") };
    }
}
