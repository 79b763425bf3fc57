//! Signoff's desktop app: opens the core on the person's data dir and shows the accounts window,
//! with a tray for quick sign-outs. Thin glue: every rule is in signoff-core. [`run`] is the
//! whole app; `main.rs` only calls it.
//!
//! Modules, and what each imports of the others. Every module imports only modules below it
//! in this list, so none imports one that imports it back:
//!
//! ```text
//! lib        ──▶ args, commands, background, tray, first_view, ui, demo
//! args                                 the command line (clap)
//! commands   ──▶ background, ui        the page's commands
//! background ──▶ tray, ui              follows the core's change stream; the minute loop
//! first_view                           the list handed over with the page
//! tray       ──▶ ui                    the tray menu and its sign-outs
//! ui                                   emitting to the page, showing the window
//! demo                                 `--demo` (feature `demo`): fake providers, sample accounts
//! ```

mod args;
mod background;
mod commands;
#[cfg(feature = "demo")]
mod demo;
mod first_view;
mod tray;
mod ui;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;

use signoff_core::{Paths, Signoff};
use tauri::{Manager, RunEvent, WindowEvent};

pub use args::{Args, command};

/// Runs the app until it quits; the exit code says whether it could start.
pub fn run() -> ExitCode {
    let started = commands::Started(std::time::Instant::now());
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // `--help` and `--version` print and end here with 0; a wrong option with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    webkit_without_compositing();
    if let Some(reason) = no_display() {
        eprintln!("signoff-app: cannot open a window: {reason}.");
        eprintln!("Run it from a desktop session, or use the `signoff` command instead.");
        return ExitCode::from(2);
    }
    let (paths, _demo) = match data_paths(args.demo) {
        Ok(found) => found,
        Err(code) => return code,
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
    let mut context = tauri::generate_context!();
    if args.hidden {
        match tray::host_ready() {
            Ok(()) => {
                tracing::info!("starting in the tray, without a window");
                for window in &mut context.config_mut().app.windows {
                    window.visible = false;
                }
            }
            Err(why) => {
                eprintln!("signoff-app: --hidden: {why}, so the window opens instead.");
                tracing::warn!("--hidden, but {why}: opening the window");
            }
        }
    }
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            ui::show_main_window(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(first_view::plugin(&core))
        .manage(core)
        .manage(commands::SignInState::default())
        .manage(started)
        .manage(background::FirstPaint::default())
        .manage(commands::settings::AutostartEntry(
            signoff_core::autostart::Autostart::for_this_session(),
        ))
        .invoke_handler(commands::handler!())
        .setup(|app| {
            tray::install(app.handle());
            background::spawn(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            // With a tray, closing the window keeps Signoff running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event
                && tray::is_present(window.app_handle())
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .build(context);
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("the app could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|_app, event| {
        if let RunEvent::Exit = event {
            tracing::info!("Signoff stopped");
        }
    });
    ExitCode::SUCCESS
}

/// What `--demo` keeps alive while the app runs (nothing in a build without the demo).
#[cfg(feature = "demo")]
type DemoGuard = Option<demo::Demo>;
#[cfg(not(feature = "demo"))]
type DemoGuard = ();

/// The data dir: the person's (`SIGNOFF_HOME` or the platform's), or with `--demo` a throwaway
/// one with the demo's providers running. Errors are said on stderr.
fn data_paths(demo_requested: bool) -> Result<(Paths, DemoGuard), ExitCode> {
    if demo_requested {
        #[cfg(feature = "demo")]
        return match demo::prepare() {
            Ok((paths, demo)) => Ok((paths, Some(demo))),
            Err(e) => {
                eprintln!("signoff-app: cannot start the demo: {e}");
                Err(ExitCode::from(2))
            }
        };
        #[cfg(not(feature = "demo"))]
        {
            eprintln!(
                "signoff-app: this build has no demo mode; start it with `make run ARGS=--demo`"
            );
            return Err(ExitCode::from(2));
        }
    }
    match Paths::from_env() {
        Ok(paths) => Ok((paths, DemoGuard::default())),
        Err(e) => {
            eprintln!("signoff-app: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

/// Turns WebKitGTK's accelerated compositing off unless the person chose otherwise
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps it). The window is a static list: composited
/// mode buys it nothing, but it costs about 60 MiB of PSS in the web process and ~130 ms to
/// first paint (it loads Mesa and compiles GL shaders, on the CPU where there is no GPU), see
/// BENCHMARKS.md. WebKit reads the variable once, when the first web view is made.
///
/// Not under WebDriver (`TAURI_WEBVIEW_AUTOMATION=true`, set by tauri-driver): with
/// compositing off, WebKitGTK 2.50's automation session hangs on its first command although
/// the page itself is drawn, so the e2e tests run the window composited.
#[allow(unsafe_code)]
fn webkit_without_compositing() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    let automated = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    if cfg!(target_os = "linux") && !automated && std::env::var_os(VAR).is_none() {
        // SAFETY: called first thing in `run` (which `main` calls first), before any other
        // thread exists, so nothing can read the environment while it changes.
        unsafe { std::env::set_var(VAR, "1") };
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
