//! `signoff revoke`: admin bulk revocation from stdin.

use std::collections::HashSet;

use signoff_tests::servers;

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
