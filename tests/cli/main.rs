//! The real `signoff` binary: accounts in and out, errors with stable codes and exit statuses,
//! and no secret anywhere it should not be. Run inside `scripts/headless.sh` (make test does).

mod accounts;
mod keychain;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `signoff` binary.
pub fn signoff_bin() -> PathBuf {
    signoff_tests::built_binary("signoff", "SIGNOFF_BIN")
}

/// Runs `signoff --home HOME args` with `stdin`.
pub fn signoff(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(signoff_bin());
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env("SIGNOFF_LOG", "trace")
        .env("NO_COLOR", "1");
    signoff_tests::session::run_with_stdin(cmd, stdin)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", stdout(o)))
}
