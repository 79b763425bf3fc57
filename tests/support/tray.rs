//! The app's tray menu over D-Bus (`com.canonical.dbusmenu`, as libayatana-appindicator exports
//! it): read the items and click them, driving the real handlers. No StatusNotifier host runs
//! under Xvfb, but the menu is exported all the same.

use std::process::Command;
use std::time::{Duration, Instant};

const MENU_PATH: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_signoff/Menu";

fn gdbus(args: &[&str]) -> Option<String> {
    let out = Command::new("gdbus")
        .arg("call")
        .arg("--session")
        .args(["--timeout", "2"])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a StatusNotifier host (a tray that shows icons) is registered with the session's
/// `org.kde.StatusNotifierWatcher`.
pub fn host_registered() -> bool {
    gdbus(&[
        "--dest",
        "org.kde.StatusNotifierWatcher",
        "--object-path",
        "/StatusNotifierWatcher",
        "--method",
        "org.freedesktop.DBus.Properties.Get",
        "org.kde.StatusNotifierWatcher",
        "IsStatusNotifierHostRegistered",
    ])
    .is_some_and(|out| out.contains("true"))
}

/// One menu item: its dbusmenu id and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i32,
    pub label: String,
}

/// The tray menu of the running app.
#[derive(Debug)]
pub struct TrayMenu {
    bus_name: String,
}

impl TrayMenu {
    /// Finds the connection that exports the menu (waits up to 15 s for the app to start).
    pub fn find() -> Self {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let names = gdbus(&[
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.ListNames",
            ])
            .unwrap_or_default();
            for name in names.split('\'').filter(|n| n.starts_with(":1.")) {
                if layout_of(name).is_some() {
                    return Self {
                        bus_name: name.to_owned(),
                    };
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("no tray menu exported on the session bus within 15 s");
    }

    /// The items, in order (separators left out).
    pub fn items(&self) -> Vec<Item> {
        layout_of(&self.bus_name).expect("menu readable")
    }

    /// The labels, in order.
    pub fn labels(&self) -> Vec<String> {
        self.items().into_iter().map(|i| i.label).collect()
    }

    /// Clicks the item with this label.
    pub fn click(&self, label: &str) {
        let item = self
            .items()
            .into_iter()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("no tray item {label:?} in {:?}", self.labels()));
        let id = item.id.to_string();
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            MENU_PATH,
            "--method",
            "com.canonical.dbusmenu.Event",
            "--",
            &id,
            "clicked",
            "<int32 0>",
            "0",
        ])
        .expect("click delivered");
    }

    /// Waits up to 20 s for the labels to satisfy `ok`; returns them.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let labels = self.labels();
            if ok(&labels) {
                return labels;
            }
            assert!(
                Instant::now() < deadline,
                "tray menu never showed {what}: {labels:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Parses `GetLayout` output: items look like `<(4, {'label': <'Sign out everywhere'>}, @av [])>`.
fn layout_of(name: &str) -> Option<Vec<Item>> {
    let out = gdbus(&[
        "--dest",
        name,
        "--object-path",
        MENU_PATH,
        "--method",
        "com.canonical.dbusmenu.GetLayout",
        "--",
        "0",
        "-1",
        "[]",
    ])?;
    let mut items = Vec::new();
    for chunk in out.split("<(").skip(1) {
        let Some((id, rest)) = chunk.split_once(", {") else {
            continue;
        };
        let Ok(id) = id.trim().parse::<i32>() else {
            continue;
        };
        let Some(start) = rest.find("'label': <'") else {
            continue;
        };
        let rest = &rest[start + "'label': <'".len()..];
        let Some(end) = rest.find("'>") else { continue };
        items.push(Item {
            id,
            label: rest[..end].to_owned(),
        });
    }
    Some(items)
}
