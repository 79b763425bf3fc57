//! A WebDriver session on the real `signoff-app` binary through `tauri-driver` (which runs
//! WebKitWebDriver). Each session gets its own driver process and ports, and its own
//! `SIGNOFF_HOME`, so tests can run side by side.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

use crate::{built_binary, free_port};

/// A running app under WebDriver. Dropping it ends the driver (and with it the app).
#[derive(Debug)]
pub struct AppSession {
    pub client: Client,
    driver: Child,
    native_port: u16,
}

impl AppSession {
    /// Starts `tauri-driver` and opens the app with `SIGNOFF_HOME=home`.
    pub async fn start(home: &Path) -> Self {
        let app = built_binary("signoff-app", "SIGNOFF_APP_BIN");
        Self::start_with(home, &app, &[], &[]).await
    }

    /// Opens `app` with arguments and extra environment variables.
    pub async fn start_with(home: &Path, app: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let native_port = free_port();
        let mut driver =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or("tauri-driver".into()))
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .env("SIGNOFF_HOME", home)
                .env(
                    "SIGNOFF_LOG",
                    std::env::var("SIGNOFF_LOG").unwrap_or("debug".into()),
                )
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(driver_log(port))
                .process_group(0)
                .kill_on_drop(true)
                .spawn()
                .expect(
                    "tauri-driver is installed (make test installs it: cargo install tauri-driver)",
                );
        wait_for_port(port, &mut driver).await;

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app.to_string_lossy(), "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = None;
        for _ in 0..3 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        driver,
                        native_port,
                    };
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        panic!("could not start a WebDriver session on the app: {last_err:?}");
    }

    /// Waits up to 10 s for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} within 10 s: {e}"))
    }

    /// Clicks the element matching `css` (waiting for it first).
    /// The page re-renders its lists when accounts change, so a node found a moment ago may be
    /// gone by the time it is clicked: then it is found again.
    pub async fn click(&self, css: &str) {
        let mut last = None;
        for _ in 0..20 {
            let el = self.wait_for(css).await;
            match el.click().await {
                Ok(()) => return,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot click {css}: {last:?}");
    }

    /// Waits up to 20 s until the text of `css` contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut last = String::new();
        while std::time::Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never contained {needle:?} within 20 s; last text: {last:?}");
    }

    /// Waits up to 20 s until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if self
                .client
                .find_all(Locator::Css(css))
                .await
                .map(|v| v.is_empty())
                .unwrap_or(false)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} still present after 20 s");
    }

    /// Runs a script in the page and returns its result.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Types into an input (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        el.clear().await.ok();
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Presses a key on whatever has the focus.
    pub async fn press(&self, key: fantoccini::key::Key) {
        let el = self
            .client
            .active_element()
            .await
            .expect("something has the focus");
        el.send_keys(&char::from(key).to_string())
            .await
            .expect("key press");
    }

    /// Presses Tab until the focused element's accessible name (aria-label, else its text) is
    /// `name`; panics after 40 presses.
    pub async fn tab_to(&self, name: &str) {
        for _ in 0..40 {
            let focused = self
                .js("const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : ''")
                .await;
            if focused.as_str() == Some(name) {
                return;
            }
            self.press(fantoccini::key::Key::Tab).await;
        }
        panic!("Tab never reached {name:?}");
    }

    /// Saves a screenshot as `target/e2e-artifacts/<name>.png` (after letting the frame settle).
    pub async fn screenshot(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let path = crate::artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
    }

    /// Ends the session cleanly, closing the app.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for AppSession {
    /// Ends the driver's process group, and the WebKitWebDriver it started in a group of its
    /// own (which would otherwise outlive the test).
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // `--` matters: procps `kill -TERM -PGID` without it signals every process (-1).
            let _ = std::process::Command::new("kill")
                .args(["-s", "TERM", "--", &format!("-{pid}")])
                .status();
        }
        let _ = std::process::Command::new("pkill")
            .args([
                "-TERM",
                "-f",
                &format!("WebKitWebDriver --port={} ", self.native_port),
            ])
            .status();
    }
}

/// The driver's and the app's stderr go to `target/e2e-artifacts/driver-<port>.log`.
fn driver_log(port: u16) -> Stdio {
    let path = crate::artifacts_dir().join(format!("driver-{port}.log"));
    std::fs::File::create(&path)
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

async fn wait_for_port(port: u16, driver: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("tauri-driver exited early with {status}");
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tauri-driver did not listen on port {port} within 15 s");
}
