//! Opening the sign-in's short `/start` address in a browser, for the CLI and the window alike.
//! `$BROWSER` is honoured as xdg-utils and Python's `webbrowser` read it: a `:`-separated list of
//! commands tried in order, each split on whitespace, `%s` replaced by the address (else the
//! address appended as the one argument). Without it, the desktop's opener (`xdg-open`, `open` on
//! macOS) when there is a display. The browser is spawned in its own process group (a Ctrl-C in
//! the terminal does not reach it) and never waited for: a thread reaps it when it exits.

use std::process::{Command, Stdio};

use url::Url;

/// What a shell does with the `/start` address of a browser sign-in: open it, show it, or both.
/// Called once, when the loopback listener is ready.
pub trait Opener: Send + Sync {
    fn open(&self, address: &Url);
}

impl<F: Fn(&Url) + Send + Sync> Opener for F {
    fn open(&self, address: &Url) {
        self(address)
    }
}

/// Starts a browser on `address` ($BROWSER, else the desktop's opener); true when one was
/// started (whether it shows the page is up to it, so callers show the address too).
pub fn open_in_browser(address: &str) -> bool {
    let browser = std::env::var("BROWSER").unwrap_or_default();
    if !browser.trim().is_empty() {
        return browser_commands(&browser, address)
            .iter()
            .any(|argv| spawn_detached(argv));
    }
    let has_display = cfg!(not(target_os = "linux"))
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    has_display && spawn_detached(&[opener.to_owned(), address.to_owned()])
}

/// The commands `$BROWSER` names for `address`, in the order to try them.
pub fn browser_commands(browser: &str, address: &str) -> Vec<Vec<String>> {
    browser
        .split(':')
        .filter_map(|entry| {
            let mut argv: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
            if argv.is_empty() {
                return None;
            }
            if argv.iter().any(|a| a.contains("%s")) {
                for a in &mut argv {
                    *a = a.replace("%s", address);
                }
            } else {
                argv.push(address.to_owned());
            }
            Some(argv)
        })
        .collect()
}

/// Spawns `argv` with no terminal I/O, in a process group of its own, and reaps it on a thread.
fn spawn_detached(argv: &[String]) -> bool {
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    match cmd.spawn() {
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(e) => {
            tracing::debug!(program = %program, error = %e, "cannot start the browser");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_lists_are_split_and_percent_s_is_replaced() {
        let a = "http://127.0.0.1:5/start/x";
        assert_eq!(
            browser_commands("firefox --new-tab %s:  :lynx", a),
            vec![
                vec!["firefox".to_owned(), "--new-tab".into(), a.into()],
                vec!["lynx".to_owned(), a.into()],
            ]
        );
        assert_eq!(
            browser_commands("w3m", a),
            vec![vec!["w3m".to_owned(), a.into()]]
        );
    }
}
