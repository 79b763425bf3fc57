//! When the keychain is missing or locked, `signoff` says which and what to do, and writes the
//! token nowhere else.

use std::path::Path;

use signoff_tests::session::{Keyring, assert_not_in_files, run_in_session};

use crate::{json, signoff, signoff_bin, stderr};

const TOKENS: &str = r#"{"refresh_token":"rt-no-fallback-3141"}"#;

fn assert_nothing_kept(home: &Path) {
    assert_not_in_files(home, "rt-no-fallback-3141");
    let list = signoff(home, &["--json", "account", "list"], "");
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(
        json(&list)["accounts"].as_array().unwrap().len(),
        0,
        "no half-added account"
    );
}

#[test]
fn absent_keychain_is_named_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let no_bus = home.path().join("no-such-bus");
    let mut cmd = std::process::Command::new(signoff_bin());
    cmd.args(["--home"])
        .arg(home.path())
        .args(["account", "add", "matar", "--label", "M"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", no_bus.display()),
        )
        .env("NO_COLOR", "1");
    let out = signoff_tests::session::run_with_stdin(cmd, TOKENS);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("[keychain_unavailable]"), "{err}");
    assert!(err.contains("start a Secret Service"), "{err}");
    assert_nothing_kept(home.path());
}

#[test]
fn locked_keychain_is_named_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let out = run_in_session(
        Keyring::Locked,
        &signoff_bin(),
        &["--json", "account", "add", "matar", "--label", "M"],
        &[("SIGNOFF_HOME", home.path())],
        TOKENS,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["code"], "keychain_locked", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unlock your keyring")
    );
    assert_nothing_kept(home.path());
}

#[test]
fn unlocked_private_keychain_accepts_the_account() {
    // The same private-session set-up as the locked case, unlocked: proves the locked result
    // comes from the lock and not from the set-up.
    let home = tempfile::tempdir().unwrap();
    let out = run_in_session(
        Keyring::Unlocked,
        &signoff_bin(),
        &["--json", "account", "add", "matar", "--label", "M"],
        &[("SIGNOFF_HOME", home.path())],
        TOKENS,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["status"], "signed_in");
}
