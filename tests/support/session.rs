//! Private desktop sessions for tests that need a keychain in a particular state: a fresh
//! `dbus-run-session` with its own HOME, no display, and gnome-keyring absent, unlocked or locked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The keychain a private session offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyring {
    /// gnome-keyring running with its login collection unlocked.
    Unlocked,
    /// gnome-keyring running with its login collection locked (and no way to prompt).
    Locked,
}

/// Runs `program args` inside a new private session with `keyring`, feeding `stdin`.
/// `env` is applied to the program only.
pub fn run_in_session(
    keyring: Keyring,
    program: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    stdin: &str,
) -> Output {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let lock = match keyring {
        Keyring::Unlocked => "",
        Keyring::Locked => {
            "gdbus call --session --dest org.freedesktop.secrets \
             --object-path /org/freedesktop/secrets \
             --method org.freedesktop.Secret.Service.Lock \
             \"['/org/freedesktop/secrets/collection/login']\" >/dev/null"
        }
    };
    let script = format!(
        "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         for i in $(seq 50); do gdbus call --session --dest org.freedesktop.secrets \
           --object-path /org/freedesktop/secrets --method org.freedesktop.DBus.Peer.Ping \
           >/dev/null 2>&1 && break; sleep 0.1; done\n\
         {lock}\n\
         exec \"$@\""
    );
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-c", &script, "sh"])
        .arg(program)
        .args(args)
        .env("HOME", root.path())
        .env("XDG_RUNTIME_DIR", &run)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_with_stdin(cmd, stdin)
}

/// Runs a command with `stdin` piped in and collects its output.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(files_under(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// Panics if any file under `dir` contains `needle`.
pub fn assert_not_in_files(dir: &Path, needle: &str) {
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "secret found in {}",
            f.display()
        );
    }
}
