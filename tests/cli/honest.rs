//! Outcomes that must not lie (issue 14): a token the keychain does not have, a keychain that
//! is locked, and a `--verify` that finds the token alive are never reported as signed out.

use signoff_tests::servers::{self, TestServer};
use signoff_tests::session::{Keyring, run_in_session};

use crate::{
    add, json, keychain_lookup, signoff_async, signoff_bin, stderr, stdout, write_providers,
};

const HYPER_ID: &str = "signoff-honest";
const HYPER_SECRET: &str = "honest-hyper-client-secret-8080";

fn matar_toml(matar: &TestServer) -> String {
    format!(
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"{}api/v1/logout\"\n",
        matar.base
    )
}

fn listed_status(home: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new(signoff_bin())
        .arg("--home")
        .arg(home)
        .args(["--json", "account", "list"])
        .output()
        .unwrap();
    json(&out)["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_keychain_does_not_have_is_failed_not_already_revoked() {
    let home = tempfile::tempdir().unwrap();
    let matar = servers::matar().await;
    write_providers(home.path(), &matar_toml(&matar));
    matar.issue("honest-missing-at");
    let id = add(
        home.path(),
        "matar",
        "Matar",
        r#"{"access_token":"honest-missing-at"}"#,
    )
    .await;
    // The entry disappears behind Signoff's back (another program, a keyring reset).
    let cleared = std::process::Command::new("secret-tool")
        .args(["clear", "service", "signoff", "username", &id])
        .status()
        .unwrap();
    assert!(cleared.success());

    let out = signoff_async(home.path(), &["--json", "signout", "--all"], "").await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "failed exits 2: {}",
        stdout(&out)
    );
    let r = &json(&out)["results"][0];
    assert_eq!(r["outcome"], "failed", "{r}");
    assert_eq!(r["error"]["kind"], "token_missing", "{r}");
    assert!(matar.seen().is_empty(), "nothing to send, so nothing sent");
    assert!(!matar.is_ended("honest-missing-at"), "the session lives on");
    assert_eq!(
        listed_status(home.path()),
        ["needs_attention"],
        "the row is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_that_finds_the_token_alive_is_failed_and_keeps_the_token() {
    let home = tempfile::tempdir().unwrap();
    // A Keycloak-like server that answers the logout and does not end the session.
    let hyper = servers::hyperid(HYPER_ID, HYPER_SECRET).await;
    hyper.keep_tokens();
    let base = format!(
        "{}auth/realms/{{realm}}/protocol/openid-connect",
        hyper.base
    );
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"hyperid\"\nclient_id = \"{HYPER_ID}\"\n\
             logout_endpoint = \"{base}/logout\"\n\
             introspection_endpoint = \"{base}/token/introspect\"\n"
        ),
    );
    let secret = signoff_async(
        home.path(),
        &["provider", "secret", "hyperid"],
        &format!("{HYPER_SECRET}\n"),
    )
    .await;
    assert!(secret.status.success(), "{}", stderr(&secret));
    hyper.issue("honest-alive-rt");
    let id = add(
        home.path(),
        "hyperid",
        "HyperID",
        r#"{"refresh_token":"honest-alive-rt"}"#,
    )
    .await;

    let out = signoff_async(home.path(), &["--json", "signout", &id, "--verify"], "").await;
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let r = &json(&out)["results"][0];
    assert_eq!(r["outcome"], "failed", "{r}");
    assert_eq!(r["verified"], false, "{r}");
    assert_eq!(r["error"]["kind"], "still_active", "{r}");
    assert!(
        keychain_lookup(&id).is_some(),
        "the token is the only way to try again: kept"
    );
    assert_eq!(listed_status(home.path()), ["needs_attention"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_on_a_locked_keychain_says_so_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let matar = servers::matar().await;
    write_providers(home.path(), &matar_toml(&matar));
    // Three accounts added while the private keyring is unlocked, then the keyring is locked
    // (as after a screen lock) and "sign out everywhere" runs. `timeout` turns a hang into 124.
    let script = "set -e\n\
        for i in 1 2 3; do\n\
          printf '{\"access_token\":\"honest-locked-at-%s\"}' $i | \"$SIGNOFF\" account add matar --label \"M$i\" >/dev/null\n\
        done\n\
        gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
          --method org.freedesktop.Secret.Service.Lock \"['/org/freedesktop/secrets/collection/login']\" >/dev/null\n\
        set +e\n\
        timeout 120 \"$SIGNOFF\" --json signout --all\n\
        echo \"exit=$?\" >&2\n";
    let out = tokio::task::spawn_blocking({
        let home = home.path().to_path_buf();
        move || {
            run_in_session(
                Keyring::Unlocked,
                std::path::Path::new("/bin/sh"),
                &["-c", script],
                &[("SIGNOFF_HOME", &home), ("SIGNOFF", &signoff_bin())],
                "",
            )
        }
    })
    .await
    .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("exit=1"),
        "keychain_locked exits 1, and does not hang: {err}"
    );
    assert_eq!(
        json(&out)["error"]["code"],
        "keychain_locked",
        "{}",
        stdout(&out)
    );
    assert!(matar.seen().is_empty(), "no provider was called");
    assert_eq!(
        listed_status(home.path()),
        ["signed_in", "signed_in", "signed_in"],
        "every account is still signed in"
    );
}
