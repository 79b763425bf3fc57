//! `signoff revoke`: admin bulk revocation from stdin.

use std::collections::HashSet;

use signoff_tests::servers;

use crate::database::hold_write_lock;
use crate::{json, signoff_async, stderr, stdout, write_providers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_streams_every_token_and_shows_only_fingerprints() {
    let home = tempfile::tempdir().unwrap();
    let meshy = servers::meshydb("pk_bulk").await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"pk_bulk\"\n\
             revocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    let tokens: Vec<String> = (0..500).map(|i| format!("bulk-token-{i:04}-xyz")).collect();
    for t in &tokens {
        meshy.issue(t);
    }
    let input = tokens.join("\n") + "\n\n";
    let out = signoff_async(
        home.path(),
        &["--json", "revoke", "meshydb", "--concurrency", "16"],
        &input,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 500);
    assert_eq!(doc["summary"]["revoked"], 500);
    let lines: HashSet<u64> = results
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines.len(), 500, "one result per input line");
    for r in results {
        let fp = r["fingerprint"].as_str().unwrap();
        assert_eq!(fp.len(), 12);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
    }
    assert!(tokens.iter().all(|t| meshy.is_ended(t)));
    let text = stdout(&out) + &stderr(&out);
    assert!(
        !tokens.iter().any(|t| text.contains(t.as_str())),
        "no token printed"
    );
    assert!(meshy.max_in_flight() <= 16);

    let human = signoff_async(
        home.path(),
        &["revoke", "meshydb", "--hint", "access_token"],
        "bulk-token-0000-xyz\n",
    )
    .await;
    assert_eq!(human.status.code(), Some(0));
    assert!(
        stdout(&human).contains("1 tokens: 1 revoked"),
        "{}",
        stdout(&human)
    );
    let audit = json(&signoff_async(home.path(), &["--json", "audit"], "").await);
    assert!(audit["audit"].as_array().unwrap().iter().any(|e| {
        e["action"] == "bulk_revoke"
            && e["detail"]
                .as_str()
                .unwrap()
                .starts_with("500 tokens: 500 revoked")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_with_bad_credentials_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let meshy = servers::meshydb("pk_right").await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"pk_wrong\"\n\
             revocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    let out = signoff_async(home.path(), &["--json", "revoke", "meshydb"], "t-1\nt-2\n").await;
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    assert_eq!(doc["summary"]["failed"], 2);
    assert_eq!(doc["results"][0]["error"]["code"], "invalid_client");
}

/// A late error: every token is revoked and its result already written to stdout, then the
/// run's audit entry cannot be stored because another process holds the account database's
/// write lock past the busy timeout (a real fault, the one database.rs holds; no mock). Stdout
/// is still one JSON document: the results so far and the error, and the exit status is 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_failing_after_its_results_still_prints_one_json_document() {
    let home = tempfile::tempdir().unwrap();
    let meshy = servers::meshydb("pk_bulk_late").await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"pk_bulk_late\"\n\
             revocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    let tokens = ["late-token-1", "late-token-2", "late-token-3"];
    for t in tokens {
        meshy.issue(t);
    }
    // The first command creates the database, so there is one to lock.
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert!(list.status.success(), "{}", stderr(&list));
    let lock = hold_write_lock(home.path());
    let out = signoff_async(
        home.path(),
        &["--json", "revoke", "meshydb"],
        &(tokens.join("\n") + "\n"),
    )
    .await;
    drop(lock);

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["code"], "store_error", "{doc}");
    assert!(doc["error"]["message"].is_string(), "{doc}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{doc}");
    assert!(results.iter().all(|r| r["outcome"] == "revoked"), "{doc}");
    assert!(
        doc.get("summary").is_none(),
        "no summary for a run that failed: {doc}"
    );
    assert!(tokens.iter().all(|t| meshy.is_ended(t)));
}

/// An error before the first result (no such provider profile) is the usual error document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_failing_before_any_result_prints_only_the_error_document() {
    let home = tempfile::tempdir().unwrap();
    let out = signoff_async(
        home.path(),
        &["--json", "revoke", "no-such-provider"],
        "t-1\n",
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["code"], "not_found", "{doc}");
    assert!(doc.get("results").is_none(), "{doc}");
}
