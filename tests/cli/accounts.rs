//! `signoff account add | list | forget` against the real keychain.

use signoff_tests::session::assert_not_in_files;

use crate::{json, signoff, stderr, stdout};

#[test]
fn add_list_forget_round_trip_keeps_tokens_in_the_keychain_only() {
    let home = tempfile::tempdir().unwrap();
    let tokens = r#"{"refresh_token":"rt-cli-9911","access_token":"at-cli-9911"}"#;
    let add = signoff(
        home.path(),
        &[
            "--json",
            "account",
            "add",
            "hyperid",
            "--label",
            "HyperID work",
            "--subject",
            "ada",
        ],
        tokens,
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let added = json(&add);
    let id = added["id"]
        .as_str()
        .expect("id in --json output")
        .to_owned();
    assert_eq!(added["status"], "signed_in");
    assert_eq!(added["label"], "HyperID work");

    let list = signoff(home.path(), &["account", "list", "--json"], "");
    assert!(list.status.success());
    let accounts = json(&list)["accounts"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["id"], id.as_str());
    assert_eq!(accounts[0]["subject"], "ada");

    let table = signoff(home.path(), &["account", "list"], "");
    let text = stdout(&table);
    assert!(
        text.contains("HyperID work") && text.contains(&id),
        "{text}"
    );

    for o in [&add, &list, &table] {
        for needle in ["rt-cli-9911", "at-cli-9911"] {
            assert!(!stdout(o).contains(needle) && !stderr(o).contains(needle));
        }
    }
    assert_not_in_files(home.path(), "rt-cli-9911");
    assert_not_in_files(home.path(), "at-cli-9911");

    let forget = signoff(home.path(), &["account", "forget", &id, "--yes"], "");
    assert!(forget.status.success(), "{}", stderr(&forget));
    let list = signoff(home.path(), &["--json", "account", "list"], "");
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 0);
}

#[test]
fn forget_without_yes_and_without_a_terminal_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let add = signoff(
        home.path(),
        &["--json", "account", "add", "matar", "--label", "M"],
        r#"{"access_token":"a"}"#,
    );
    let id = json(&add)["id"].as_str().unwrap().to_owned();
    let forget = signoff(home.path(), &["account", "forget", &id], "y\n");
    assert_eq!(forget.status.code(), Some(1));
    assert!(stderr(&forget).contains("--yes"), "{}", stderr(&forget));
    let list = signoff(home.path(), &["--json", "account", "list"], "");
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 1);
    signoff(home.path(), &["account", "forget", &id, "--yes"], "");
}

#[test]
fn bad_input_gives_exit_1_a_stable_code_and_never_echoes_the_token() {
    let home = tempfile::tempdir().unwrap();
    let bad_json = signoff(
        home.path(),
        &["--json", "account", "add", "matar", "--label", "M"],
        r#"{"access_token": leaked-secret-55}"#,
    );
    assert_eq!(bad_json.status.code(), Some(1));
    assert_eq!(json(&bad_json)["error"]["code"], "invalid_input");
    assert!(!stdout(&bad_json).contains("leaked-secret-55"));
    assert!(!stderr(&bad_json).contains("leaked-secret-55"));

    let bad_provider = signoff(
        home.path(),
        &["account", "add", "Bad Provider", "--label", "M"],
        r#"{"access_token":"a"}"#,
    );
    assert_eq!(bad_provider.status.code(), Some(1));
    assert!(
        stderr(&bad_provider).contains("invalid_input"),
        "{}",
        stderr(&bad_provider)
    );

    let unknown_id = signoff(
        home.path(),
        &["account", "forget", "not-an-id", "--yes"],
        "",
    );
    assert_eq!(unknown_id.status.code(), Some(1));

    let usage = signoff(home.path(), &["account", "frobnicate"], "");
    assert_eq!(usage.status.code(), Some(1), "usage errors exit 1");
    let list = signoff(home.path(), &["--json", "account", "list"], "");
    assert_eq!(
        json(&list)["accounts"].as_array().unwrap().len(),
        0,
        "nothing was added"
    );
}
