//! The real `signoff` binary: accounts in and out, sign-out against the seed test servers,
//! pending and retry, crash recovery, the account database locked by another process, bulk
//! revoke, errors with stable codes and exit statuses, and no secret anywhere it should not be.
//! Run inside `scripts/session.sh` (make test does).

mod accounts;
mod admin;
mod bulk;
mod database;
mod device_login;
mod dry_run;
mod found;
mod honest;
mod keychain;
mod login;
mod orphans;
mod password_login;
mod perms;
mod proxy;
mod signout;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `signoff` binary.
pub fn signoff_bin() -> PathBuf {
    signoff_tests::built_binary("signoff", "SIGNOFF_BIN")
}

/// A `signoff --home HOME args` command with trace logging on.
pub fn signoff_cmd(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(signoff_bin());
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env("SIGNOFF_LOG", "trace")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `signoff --home HOME args` with `stdin`.
pub fn signoff(home: &Path, args: &[&str], stdin: &str) -> Output {
    signoff_tests::session::run_with_stdin(signoff_cmd(home, args), stdin)
}

/// The same, from async tests (the test servers keep running meanwhile).
pub async fn signoff_async(home: &Path, args: &[&str], stdin: &str) -> Output {
    let (home, args, stdin) = (
        home.to_path_buf(),
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        stdin.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        signoff(&home, &args, &stdin)
    })
    .await
    .unwrap()
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

/// Writes the user's providers.toml in `home`.
pub fn write_providers(home: &Path, toml: &str) {
    std::fs::write(home.join("providers.toml"), toml).unwrap();
}

/// A MeshyDB test server for client `key`, and a `meshydb` profile for it in `home`.
pub async fn meshydb_with_profile(home: &Path, key: &str) -> signoff_tests::servers::TestServer {
    let meshy = signoff_tests::servers::meshydb(key).await;
    write_providers(
        home,
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"{key}\"\n\
             revocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    meshy
}

/// What libsecret's own `secret-tool` finds under service `signoff` for `user`.
pub fn keychain_lookup(user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "signoff", "username", user])
        .output()
        .expect("secret-tool is installed");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Adds an account through the CLI and returns its id.
pub async fn add(home: &Path, provider: &str, label: &str, tokens: &str) -> String {
    let out = signoff_async(
        home,
        &["--json", "account", "add", provider, "--label", label],
        tokens,
    )
    .await;
    assert!(out.status.success(), "add failed: {}", stderr(&out));
    json(&out)["id"].as_str().unwrap().to_owned()
}
