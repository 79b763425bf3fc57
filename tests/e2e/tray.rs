//! The tray menu, driven over D-Bus: items match the accounts, it follows changes made by the
//! CLI in another process, and "Sign out everywhere" signs out for real.

use std::process::Command;

use signoff_tests::driver::AppSession;
use signoff_tests::tray::TrayMenu;

use crate::Fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_menu_follows_the_accounts_and_signs_out_everywhere() {
    let down = signoff_tests::DownPort::new();
    let f = Fixture::new(Some(down.port)).await; // MeshyDB is down: its sign-out will be pending
    let meshy = f.seed(
        "meshydb",
        "Meshy tray",
        &f.meshy,
        r#"{"refresh_token":"tray-rt"}"#,
        "tray-rt",
    );
    f.seed(
        "matar",
        "Matar tray",
        &f.matar,
        r#"{"access_token":"tray-at-1"}"#,
        "tray-at-1",
    );
    let other = f.seed(
        "matar",
        "Matar other",
        &f.matar,
        r#"{"access_token":"tray-at-2"}"#,
        "tray-at-2",
    );
    let app = AppSession::start(f.home.path()).await;
    let menu = tokio::task::spawn_blocking(TrayMenu::find).await.unwrap();
    let labels = menu.labels();
    for item in [
        "Sign out Meshy tray",
        "Sign out Matar tray",
        "Sign out Matar other",
        "Sign out everywhere",
        "Open Signoff",
        "Quit",
    ] {
        assert!(labels.iter().any(|l| l == item), "{item} in {labels:?}");
    }

    // The CLI, in another process, signs one account out: the menu drops it.
    let cli = signoff_tests::built_binary("signoff", "SIGNOFF_BIN");
    let out = Command::new(&cli)
        .arg("--home")
        .arg(f.home.path())
        .args(["signout", other.as_str()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let menu = std::sync::Arc::new(menu);
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || {
        m.wait_for("Matar other gone", |l| {
            !l.iter().any(|x| x == "Sign out Matar other")
        })
    })
    .await
    .unwrap();

    // The CLI signs out the MeshyDB account on a down server: the menu shows it pending.
    let out = Command::new(&cli)
        .arg("--home")
        .arg(f.home.path())
        .args(["signout", meshy.as_str()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "pending");
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || {
        m.wait_for("the pending line", |l| {
            l.iter().any(|x| x == "1 revocation pending")
        })
    })
    .await
    .unwrap();

    // A second launch does not open a second Signoff: it hands over to this one and exits.
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let mut second = Command::new(&app_bin)
        .env("SIGNOFF_HOME", f.home.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second launch kept running instead of handing over");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(status.success(), "second launch exits cleanly: {status}");
    assert!(
        !menu.labels().is_empty(),
        "the first instance is still running"
    );

    // Watch for the notification the tray sign-out sends.
    let notes = f.home.path().join("notifications.txt");
    let mut monitor = Command::new("dbus-monitor")
        .args([
            "--session",
            "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(std::fs::File::create(&notes).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // "Sign out everywhere" from the tray signs out the rest for real.
    let m = std::sync::Arc::clone(&menu);
    tokio::task::spawn_blocking(move || m.click("Sign out everywhere"))
        .await
        .unwrap();
    let m = std::sync::Arc::clone(&menu);
    let labels = tokio::task::spawn_blocking(move || {
        m.wait_for("no account left to sign out, MeshyDB pending again", |l| {
            !l.iter()
                .any(|x| x.starts_with("Sign out ") && x != "Sign out everywhere")
                && l.iter().any(|x| x == "1 revocation pending")
        })
    })
    .await
    .unwrap();
    assert!(
        f.matar.is_ended("tray-at-1"),
        "signed out at the server from the tray"
    );
    assert!(
        labels.iter().any(|x| x == "1 revocation pending"),
        "{labels:?}"
    );
    let audit = f.core.audit(None).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == signoff_core::audit::Actor::Tray
                && e.label.as_deref() == Some("Matar tray"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        let seen = std::fs::read_to_string(&notes).unwrap_or_default();
        if seen.contains("Signed out of 1 of 2 accounts") || std::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let _ = monitor.kill();
    let _ = monitor.wait();
    assert!(
        seen.contains("Signed out of 1 of 2 accounts"),
        "notification sent: {seen}"
    );
    assert!(
        seen.contains("1 will be revoked when the provider answers"),
        "{seen}"
    );
    app.screenshot("after-tray-signout").await;
    app.close().await;
}

/// The appindicator library's real path, from the linker cache.
fn appindicator_path() -> std::path::PathBuf {
    let out = Command::new("ldconfig").arg("-p").output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = listing
        .lines()
        .find(|l| l.contains("libayatana-appindicator3.so.1 "))
        .expect("libayatana-appindicator3 is installed (make test installs it)");
    let path = line.rsplit("=> ").next().unwrap().trim();
    std::fs::canonicalize(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_appindicator_the_app_runs_without_a_tray_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    // Hide the library in a private mount namespace: it is there, but cannot be loaded.
    let script = format!(
        "mount --bind /dev/null {} && exec \"$0\"",
        appindicator_path().display()
    );
    let mut app = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .arg(&app_bin)
        .env("SIGNOFF_HOME", home.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let log = loop {
        let log: String = std::fs::read_dir(home.path().join("logs"))
            .map(|d| {
                d.flatten()
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        if log.contains("running without a tray") || std::time::Instant::now() > deadline {
            break log;
        }
        if let Some(status) = app.try_wait().unwrap() {
            panic!("the app exited ({status}) instead of running without a tray; log: {log}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        log.contains("running without a tray: libayatana-appindicator3 cannot be loaded"),
        "{log}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        app.try_wait().unwrap().is_none(),
        "still running, without a tray"
    );
    app.kill().unwrap();
    app.wait().unwrap();
}

/// Runs the X11 helper (`state` or `close`) against the Signoff window.
fn x11(cmd: &str) -> String {
    let script = signoff_tests::workspace_root().join("tests/support/x11_window.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(cmd)
        .output()
        .expect("python3-xlib installed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Clicks the tray's "Open Signoff" and waits for the window to show.
async fn open_from_tray(menu: &std::sync::Arc<TrayMenu>) {
    let m = std::sync::Arc::clone(menu);
    tokio::task::spawn_blocking(move || m.click("Open Signoff"))
        .await
        .unwrap();
    wait_window("viewable").await;
}

async fn wait_window(state: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let now = tokio::task::spawn_blocking(|| x11("state")).await.unwrap();
        if now == state {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "window never {state} (it is {now})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_keeps_signoff_in_the_tray_and_open_brings_it_back() {
    let f = Fixture::new(None).await;
    f.seed(
        "matar",
        "Matar close",
        &f.matar,
        r#"{"access_token":"close-at"}"#,
        "close-at",
    );
    let app = AppSession::start(f.home.path()).await;
    app.wait_text("#count", "1 account").await;
    let menu = tokio::task::spawn_blocking(TrayMenu::find).await.unwrap();
    wait_window("viewable").await;
    assert_eq!(
        tokio::task::spawn_blocking(|| x11("close")).await.unwrap(),
        "sent"
    );
    wait_window("unmapped").await;
    let menu = std::sync::Arc::new(menu);
    let m = std::sync::Arc::clone(&menu);
    let labels = tokio::task::spawn_blocking(move || m.labels())
        .await
        .unwrap();
    assert!(
        labels.iter().any(|l| l == "Sign out Matar close"),
        "still running in the tray: {labels:?}"
    );
    open_from_tray(&menu).await;
    app.wait_text("#count", "1 account").await;
    app.close().await;
}

/// A process ended (and waited for) when dropped, also when the test fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` (a tray program from Debian) in its own process group, output to `log`.
fn start_tray_program(program: &str, log: &std::path::Path) -> Running {
    use std::os::unix::process::CommandExt as _;
    Running(
        Command::new(program)
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{program} is installed (make test installs it): {e}")),
    )
}

/// Waits until a tray host is (`true`) or is no longer (`false`) registered, at most `secs`.
async fn wait_host_registered(registered: bool, secs: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while tokio::task::spawn_blocking(signoff_tests::tray::host_registered)
        .await
        .unwrap()
        != registered
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the tray host never became {}",
            if registered {
                "registered"
            } else {
                "unregistered"
            }
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_hidden_without_a_tray_the_window_opens_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    assert!(
        !signoff_tests::tray::host_registered(),
        "no tray runs under Xvfb by default"
    );
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let stderr = home.path().join("stderr.txt");
    let app = Running(
        Command::new(&app_bin)
            .arg("--hidden")
            .env("SIGNOFF_HOME", home.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_window("viewable").await;
    let said = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        said.contains("--hidden: this desktop shows no tray icons")
            && said.contains("so the window opens instead"),
        "{said}"
    );
    drop(app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_hidden_with_a_tray_there_is_no_window_until_open_signoff() {
    let home = tempfile::tempdir().unwrap();
    // A real tray: Debian's StatusNotifier watcher, and a host that shows the icons.
    let watcher = start_tray_program("status-notifier-watcher", &home.path().join("watcher.log"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let host = start_tray_program("gtk-sni-tray-standalone", &home.path().join("host.log"));
    wait_host_registered(true, 15).await;
    let app_bin = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    let app = Running(
        Command::new(&app_bin)
            .arg("--hidden")
            .env("SIGNOFF_HOME", home.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let menu = std::sync::Arc::new(tokio::task::spawn_blocking(TrayMenu::find).await.unwrap());
    // The tray is up; give a window that would open the time to show, then look.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let state = tokio::task::spawn_blocking(|| x11("state")).await.unwrap();
    assert!(
        state == "missing" || state == "unmapped",
        "no window while in the tray (it is {state})"
    );
    open_from_tray(&menu).await;
    drop(app);
    drop(host);
    drop(watcher);
    // The tray programs stopped with the test.
    wait_host_registered(false, 5).await;
}
