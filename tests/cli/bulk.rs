//! `signoff revoke`: admin bulk revocation from stdin.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use signoff_tests::servers;

use crate::database::hold_write_lock;
use crate::{
    json, meshydb_with_profile, signoff_async, signoff_cmd, stderr, stdout, write_providers,
};

/// `signoff --home HOME args` with `stdin` as its standard input, run off the async workers.
async fn signoff_with_stdin(home: &Path, args: &[&str], stdin: Stdio) -> Output {
    let mut cmd = signoff_cmd(home, args);
    cmd.stdin(stdin);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The same with `bytes` piped in as they are (not necessarily UTF-8), written from a thread
/// of their own so a long input cannot block on a full pipe.
async fn signoff_with_bytes(home: &Path, args: &[&str], bytes: Vec<u8>) -> Output {
    let mut cmd = signoff_cmd(home, args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        out
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_streams_every_token_and_shows_only_fingerprints() {
    let home = tempfile::tempdir().unwrap();
    let meshy = meshydb_with_profile(home.path(), "pk_bulk").await;
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
    let meshy = meshydb_with_profile(home.path(), "pk_bulk_late").await;
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

/// Input as it comes from files and pipes: a line that is not UTF-8, a 20 KiB line, blank lines
/// (empty and spaces only), and a last line without a newline. Each bad line is its own
/// `invalid_input` result at its physical line number, never echoed, and the run goes on to the
/// end; any bad line makes the exit status 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_reports_each_bad_line_at_its_line_number_and_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let meshy = meshydb_with_profile(home.path(), "pk_bulk_lines").await;
    for t in ["lines-token-1", "lines-token-4", "lines-token-7"] {
        meshy.issue(t);
    }
    let long_line = "LONGLINE-".repeat(20 * 1024 / 9 + 1);
    assert!(long_line.len() > 20 * 1024);
    let mut input = Vec::new();
    input.extend_from_slice(b"lines-token-1\n"); // 1
    input.extend_from_slice(b"\n"); // 2: blank
    input.extend_from_slice(b"NOTUTF8-\xff\xfe-tail\n"); // 3
    input.extend_from_slice(b"lines-token-4\r\n"); // 4
    input.extend_from_slice(long_line.as_bytes()); // 5
    input.extend_from_slice(b"\n   \t \n"); // 6: blank
    input.extend_from_slice(b"lines-token-7"); // 7, no newline at the end

    let out =
        signoff_with_bytes(home.path(), &["--json", "revoke", "meshydb"], input.clone()).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc = json(&out);
    let mut results = doc["results"].as_array().unwrap().clone();
    results.sort_by_key(|r| r["line"].as_u64());
    let lines: Vec<u64> = results
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 3, 4, 5, 7], "{doc}");
    for r in &results {
        match r["line"].as_u64().unwrap() {
            3 | 5 => {
                assert_eq!(r["outcome"], "failed", "{r}");
                assert_eq!(r["error"]["kind"], "invalid_input", "{r}");
                assert_eq!(r["error"]["code"], "invalid_input", "{r}");
                assert_eq!(r["fingerprint"], "", "{r}");
                assert_eq!(r["attempts"], 0, "nothing sent for a bad line: {r}");
            }
            _ => assert_eq!(r["outcome"], "revoked", "{r}"),
        }
    }
    for (r, says) in [(&results[1], "UTF-8"), (&results[3], "16 KiB")] {
        let description = r["error"]["description"].as_str().unwrap();
        assert!(description.contains(says), "{r}");
    }
    assert_eq!(doc["summary"]["total"], 5, "{doc}");
    assert_eq!(doc["summary"]["revoked"], 3, "{doc}");
    assert_eq!(doc["summary"]["failed"], 2, "{doc}");
    assert_eq!(doc["summary"]["invalid"], 2, "{doc}");
    assert!(
        ["lines-token-1", "lines-token-4", "lines-token-7"]
            .iter()
            .all(|t| meshy.is_ended(t))
    );
    assert_eq!(meshy.seen().len(), 3, "only the three tokens were sent");

    let human = signoff_with_bytes(home.path(), &["revoke", "meshydb"], input).await;
    assert_eq!(human.status.code(), Some(2), "{}", stderr(&human));
    let text = stdout(&human) + &stderr(&human);
    assert!(text.contains("invalid_input"), "{text}");
    assert!(text.contains("2 invalid"), "{text}");
    for echoed in ["LONGLINE", "NOTUTF8", "tail"] {
        assert!(
            !text.contains(echoed),
            "a bad line's content is never shown: {text}"
        );
        assert!(
            !stdout(&out).contains(echoed),
            "a bad line's content is never shown: {}",
            stdout(&out)
        );
    }
}

/// A read error part-way through (the socket on stdin is reset after two lines) stops the run:
/// exit 1, the results so far and the error in one JSON document, saying at which line it
/// stopped; the tokens read before it are still revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_stops_at_a_read_error_and_says_at_which_line() {
    let home = tempfile::tempdir().unwrap();
    let meshy = meshydb_with_profile(home.path(), "pk_bulk_reset").await;
    for t in ["reset-token-1", "reset-token-2"] {
        meshy.issue(t);
    }
    let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    ours.write_all(b"reset-token-1\nreset-token-2\n").unwrap();
    // Closing our end while it holds data it never read resets the connection: once signoff has
    // read the two lines, its next read fails with ECONNRESET.
    theirs.write_all(b"x").unwrap();
    drop(ours);
    let out = signoff_with_stdin(
        home.path(),
        &["--json", "revoke", "meshydb"],
        Stdio::from(std::os::fd::OwnedFd::from(theirs)),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["code"], "io", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 3"), "{doc}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc}");
    assert!(results.iter().all(|r| r["outcome"] == "revoked"), "{doc}");
    assert!(doc.get("summary").is_none(), "{doc}");
    assert!(meshy.is_ended("reset-token-1") && meshy.is_ended("reset-token-2"));

    // Standard input that cannot be read at all (a directory): the error document, line 1.
    let dir = std::fs::File::open(home.path()).unwrap();
    let out = signoff_with_stdin(home.path(), &["revoke", "meshydb"], Stdio::from(dir)).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[io]") && stderr(&out).contains("line 1"),
        "{}",
        stderr(&out)
    );
}

/// A provider that sheds load (429 with `Retry-After: 1` to any request arriving while 8 others
/// are in the server, each answered after 5 ms) and a run of 200 tokens at the default `--concurrency` of 64: the
/// adaptive limit backs off to what the server takes, every token ends `revoked` (the 429s are
/// retried, none is left `pending`), and the summary's limit is near the server's 8, not 64.
/// With `--concurrency 3` the server never sees more than 3 at once and nothing is shed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_backs_off_to_a_server_that_sheds_load_and_still_revokes_every_token() {
    use signoff_tests::servers::capacity::sheds_over;
    let home = tempfile::tempdir().unwrap();
    let server = sheds_over(("c-bulk", None), 8, 1, Duration::from_millis(5)).await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"corp\"\nprotocol = \"rfc7009\"\nclient_id = \"c-bulk\"\n\
             revocation_endpoint = \"{}\"\n",
            server.revocation
        ),
    );
    let tokens: String = (0..200).map(|i| format!("shed-token-{i:04}\n")).collect();
    let out = signoff_async(home.path(), &["--json", "revoke", "corp"], &tokens).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = &json(&out)["summary"];
    assert_eq!(summary["revoked"], 200, "{summary}");
    assert_eq!(summary["pending"], 0, "{summary}");
    assert_eq!(server.revoked(), 200, "the server revoked each token");
    assert!(
        server.shed() > 0,
        "the server did shed load: {summary}, max in flight {}",
        server.max_in_flight()
    );
    assert_eq!(summary["limit_cap"], 64, "{summary}");
    let last = summary["final_limit"].as_u64().unwrap();
    let peak = summary["peak_limit"].as_u64().unwrap();
    assert!((1..=12).contains(&last), "ended at {last}: {summary}");
    assert!(
        peak <= 16,
        "went up to {peak}, the server takes 8: {summary}"
    );

    let capped = sheds_over(("c-bulk", None), 8, 1, Duration::from_millis(5)).await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"corp\"\nprotocol = \"rfc7009\"\nclient_id = \"c-bulk\"\n\
             revocation_endpoint = \"{}\"\n",
            capped.revocation
        ),
    );
    let out = signoff_async(
        home.path(),
        &["revoke", "corp", "--concurrency", "3"],
        &tokens,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(capped.revoked(), 200);
    assert_eq!(
        capped.shed(),
        0,
        "3 at a time is under what the server takes"
    );
    assert!(capped.max_in_flight() <= 3, "{}", capped.max_in_flight());
    let text = stdout(&out);
    assert!(
        text.contains("200 tokens: 200 revoked") && text.contains("(--concurrency 3)"),
        "{text}"
    );
}
