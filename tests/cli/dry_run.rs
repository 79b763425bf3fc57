//! `signoff signout --dry-run`: per account, what would be called and what would end, with
//! nothing called, nothing deleted, and no token's value shown.

use signoff_tests::servers;

use crate::{json, signoff_async, stderr, stdout, write_providers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_each_accounts_calls_and_what_ends_and_calls_nothing() {
    let home = tempfile::tempdir().unwrap();
    // The built-in Slack, pointed at a server that would see any call.
    let watcher = servers::bystander().await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"slack\"\nbase_url = \"{}api\"\n",
            watcher.base
        ),
    );
    let add = |provider: &'static str, label: &'static str, tokens: &'static str| {
        let home = home.path().to_owned();
        async move {
            let out = signoff_async(
                &home,
                &["--json", "account", "add", provider, "--label", label],
                tokens,
            )
            .await;
            assert!(out.status.success(), "{}", stderr(&out));
            json(&out)["id"].as_str().unwrap().to_owned()
        }
    };
    let slack = add(
        "slack",
        "Team chat",
        r#"{"access_token":"xoxp-dry-run-secret-1"}"#,
    )
    .await;
    let spotify = add(
        "spotify",
        "Music",
        r#"{"refresh_token":"spotify-dry-run-secret-2"}"#,
    )
    .await;

    let out = signoff_async(
        home.path(),
        &["--json", "signout", "--all", "--dry-run"],
        "",
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for secret in ["xoxp-dry-run-secret-1", "spotify-dry-run-secret-2"] {
        assert!(!text.contains(secret), "no token value: {text}");
    }
    let doc = json(&out);
    assert_eq!(doc["accounts"], 2, "{doc}");
    let covered: Vec<&str> = doc["covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(covered.contains(&slack.as_str()) && covered.contains(&spotify.as_str()));
    let provider = |id: &str| {
        doc["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    let s = provider("slack");
    assert_eq!(s["ends"], "at_provider");
    assert_eq!(s["what_ends"], "token");
    assert_eq!(s["calls"][0]["method"], "POST");
    assert_eq!(
        s["calls"][0]["url"],
        format!("{}api/auth.revoke", watcher.base)
    );
    assert_eq!(s["calls"][0]["sends"], "Authorization: Bearer");
    let m = provider("spotify");
    assert_eq!(m["ends"], "only_here");
    assert_eq!(m["manage_url"], "https://www.spotify.com/account/apps/");

    // In words, for people.
    let human = signoff_async(home.path(), &["signout", "--all", "--dry-run"], "").await;
    let text = stdout(&human);
    assert!(text.contains("nothing was called"), "{text}");
    assert!(
        text.contains("Team chat") && text.contains("POST"),
        "{text}"
    );
    assert!(
        text.contains("only the copy here") && text.contains("spotify.com/account/apps"),
        "{text}"
    );

    // Nothing was called, nothing changed.
    assert!(watcher.seen().is_empty(), "the dry run called the provider");
    let list = json(&signoff_async(home.path(), &["--json", "account", "list"], "").await);
    let statuses: Vec<&str> = list["accounts"]
        .as_array()
        .or_else(|| list.as_array())
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["signed_in", "signed_in"], "{list}");

    // One account by id, and an unknown id is an error.
    let one =
        json(&signoff_async(home.path(), &["--json", "signout", "--dry-run", &slack], "").await);
    assert_eq!(one["accounts"], 1, "{one}");
    let unknown = signoff_async(
        home.path(),
        &[
            "signout",
            "--dry-run",
            "3f0c1d2e-0000-4000-8000-000000000000",
        ],
        "",
    )
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("[not_found]"),
        "{}",
        stderr(&unknown)
    );
}
