//! The Settings tab: "Start Signoff in the tray when I log in" writes and removes the real XDG
//! autostart entry, and About names the version and the licences. And the desktop's own
//! setting the window follows: its interface font.

use std::path::Path;

use signoff_tests::driver::AppSession;

/// The app with `home` as its data dir and `config` as its `XDG_CONFIG_HOME`.
async fn start_with_config(home: &Path, config: &Path) -> AppSession {
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let config_dir = config.to_string_lossy().into_owned();
    AppSession::start_with(
        home,
        &app_bin,
        &[],
        &[("XDG_CONFIG_HOME", config_dir.as_str())],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_at_login_box_writes_and_removes_the_autostart_entry_and_about_names_the_licences()
 {
    let home = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let entry = config.path().join("autostart/dev.signoff.app.desktop");
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let app = start_with_config(home.path(), config.path()).await;
    app.click("#tab-settings").await;
    app.wait_text("#about-version", env!("CARGO_PKG_VERSION"))
        .await;
    app.wait_text("#about-license", "MIT OR Apache-2.0").await;
    app.wait_text("#about-assets", "Simple Icons 16.37.0, CC0-1.0")
        .await;
    // Under Xvfb there is no tray: the setting says what would happen at login.
    app.wait_text("#autostart-no-tray", "would open its window instead")
        .await;
    assert!(!entry.exists());

    app.click("#autostart-toggle").await;
    app.wait_text("#status", "will start in the tray when you log in")
        .await;
    let text = std::fs::read_to_string(&entry).expect("the autostart entry is written");
    let exec = text.lines().find(|l| l.starts_with("Exec=")).unwrap();
    assert!(
        exec.contains(&app_bin.to_string_lossy().into_owned()) && exec.ends_with(" --hidden"),
        "{exec}"
    );
    // The entry is a valid desktop entry (desktop-file-utils, installed by make test).
    let valid = std::process::Command::new("desktop-file-validate")
        .arg(&entry)
        .output()
        .expect("desktop-file-validate is installed");
    assert!(
        valid.status.success() && valid.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&valid.stdout),
        String::from_utf8_lossy(&valid.stderr)
    );
    app.screenshot("settings").await;

    app.click("#autostart-toggle").await;
    app.wait_text("#status", "will no longer start when you log in")
        .await;
    assert!(!entry.exists(), "the entry is removed");
    app.close().await;
}

/// The page is drawn in the desktop's interface font (GTK's `gtk-font-name`; here from the
/// GTK 3 settings file, as on a desktop without a settings daemon), not in a font of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_uses_the_desktop_s_interface_font() {
    let home = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("gtk-3.0")).unwrap();
    std::fs::write(
        config.path().join("gtk-3.0/settings.ini"),
        "[Settings]\ngtk-font-name=DejaVu Serif 13\n",
    )
    .unwrap();
    let app = start_with_config(home.path(), config.path()).await;
    app.wait_for("#signout-all-btn").await;
    let fonts = app
        .js("return ['body', '#signout-all-btn', '#count'].map(s => \
             getComputedStyle(document.querySelector(s)).fontFamily);")
        .await;
    let fonts: Vec<String> = serde_json::from_value(fonts).unwrap();
    assert!(
        fonts.iter().all(|f| f.contains("DejaVu Serif")),
        "the body, a button and a line of text use the desktop's font: {fonts:?}"
    );
    app.close().await;
}
