//! The window's Settings: "Start Signoff in the tray when I log in" (the XDG autostart entry,
//! `signoff_core::autostart`) and About (version and licences, `signoff_core::about`).

use signoff_core::about::About;
use signoff_core::autostart::{Autostart, AutostartView};
use tauri::State;

use signoff_core::error::ErrorReport;

use super::{Core, Reply, report};

/// Where this session's autostart entry lives, or why there is none (no home directory).
#[derive(Debug)]
pub struct AutostartEntry(pub signoff_core::Result<Autostart>);

fn entry(state: &AutostartEntry) -> Reply<&Autostart> {
    state.0.as_ref().map_err(ErrorReport::from)
}

fn view(autostart: &Autostart) -> Reply<AutostartView> {
    Ok(AutostartView {
        enabled: autostart.is_enabled().map_err(report)?,
        no_tray: crate::tray::host_ready().err(),
    })
}

/// Whether Signoff starts in the tray at login.
#[tauri::command]
pub async fn autostart(state: State<'_, AutostartEntry>) -> Reply<AutostartView> {
    view(entry(&state)?)
}

/// Turns the start at login on (writes the entry for this very program, `--hidden`) or off.
#[tauri::command]
pub async fn set_autostart(
    core: Core<'_>,
    state: State<'_, AutostartEntry>,
    enabled: bool,
) -> Reply<AutostartView> {
    let autostart = entry(&state)?;
    if enabled {
        let app = std::env::current_exe().map_err(|source| {
            report(signoff_core::Error::Io {
                action: "cannot find the running program",
                path: "signoff-app".into(),
                source,
            })
        })?;
        autostart.enable(&app, core.paths()).map_err(report)?;
    } else {
        autostart.disable().map_err(report)?;
    }
    tracing::info!(enabled, file = %autostart.file.display(), "start in the tray at login");
    view(autostart)
}

/// Version and licences.
#[tauri::command]
pub async fn about() -> Reply<About> {
    Ok(signoff_core::about::about())
}
