//! Whether this desktop session can show a tray icon: a StatusNotifierItem host is registered
//! with the session's `org.kde.StatusNotifierWatcher` (the freedesktop StatusNotifierItem
//! specification, which libayatana-appindicator speaks). `signoff-app --hidden` asks it before
//! it starts without a window: with no host, the tray would be invisible and Signoff out of
//! reach, so it opens the window instead.

use zbus::blocking::{Connection, Proxy};

const WATCHER: &str = "org.kde.StatusNotifierWatcher";
const WATCHER_PATH: &str = "/StatusNotifierWatcher";

/// `Ok(())` when a tray host is there, else why not (in words a person understands).
pub fn present() -> Result<(), String> {
    let conn = Connection::session()
        .map_err(|e| format!("no desktop session bus to look for a tray on ({e})"))?;
    let watcher = Proxy::new(&conn, WATCHER, WATCHER_PATH, WATCHER)
        .map_err(|e| format!("cannot ask for the tray ({e})"))?;
    match watcher.get_property::<bool>("IsStatusNotifierHostRegistered") {
        Ok(true) => Ok(()),
        Ok(false) => Err("the desktop's tray watcher has no tray to show icons in".into()),
        Err(_) => Err(
            "this desktop shows no tray icons (no StatusNotifier watcher on the session bus)"
                .into(),
        ),
    }
}
