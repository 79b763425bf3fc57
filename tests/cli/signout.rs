//! `signoff signout`, `pending`, `audit` and `providers` against the seed test servers.

use std::path::Path;
use std::time::Duration;

use signoff_tests::servers::{self, Fault, TestServer};
use signoff_tests::session::assert_not_in_files;

use crate::{
    add, json, keychain_lookup, signoff_async, signoff_cmd, stderr, stdout, write_providers,
};

const MESHY_KEY: &str = "pk_cli_public";
const HYPER_ID: &str = "signoff-cli";
const HYPER_SECRET: &str = "cli-hyper-client-secret-5150";

fn providers_toml(meshy: &str, hyper: &TestServer, matar: &TestServer) -> String {
    let hyper_base = format!(
        "{}auth/realms/{{realm}}/protocol/openid-connect",
        hyper.base
    );
    format!(
        "[[provider]]\nid = \"meshydb\"\nclient_id = \"{MESHY_KEY}\"\n\
         revocation_endpoint = \"{meshy}{{account}}/connect/revocation\"\n\
         params = {{ account = \"{}\" }}\n\n\
         [[provider]]\nid = \"hyperid\"\nclient_id = \"{HYPER_ID}\"\n\
         logout_endpoint = \"{hyper_base}/logout\"\n\
         introspection_endpoint = \"{hyper_base}/token/introspect\"\n\n\
         [[provider]]\nid = \"matar\"\nlogout_endpoint = \"{}api/v1/logout\"\n",
        servers::MESHYDB_ACCOUNT,
        matar.base
    )
}

/// The three seed servers, with profiles for them in `home`.
async fn seed_servers(home: &Path) -> (TestServer, TestServer, TestServer) {
    let (meshy, hyper, matar) = (
        servers::meshydb(MESHY_KEY).await,
        servers::hyperid(HYPER_ID, HYPER_SECRET).await,
        servers::matar().await,
    );
    write_providers(home, &providers_toml(meshy.base.as_str(), &hyper, &matar));
    (meshy, hyper, matar)
}

async fn set_hyper_secret(home: &Path, secret: &str) {
    let out = signoff_async(
        home,
        &["provider", "secret", "hyperid"],
        &format!("{secret}\n"),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_revokes_at_each_provider_and_leaves_no_secret_behind() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, hyper, matar) = seed_servers(home.path()).await;
    set_hyper_secret(home.path(), HYPER_SECRET).await;
    assert_eq!(
        keychain_lookup("client-secret:hyperid").as_deref(),
        Some(HYPER_SECRET)
    );

    for (server, token) in [
        (&meshy, "cli-meshy-rt-1"),
        (&hyper, "cli-hyper-rt-1"),
        (&matar, "cli-matar-at-1"),
    ] {
        server.issue(token);
    }
    let m = add(
        home.path(),
        "meshydb",
        "Meshy",
        r#"{"refresh_token":"cli-meshy-rt-1"}"#,
    )
    .await;
    let h = add(
        home.path(),
        "hyperid",
        "Hyper",
        r#"{"refresh_token":"cli-hyper-rt-1","access_token":"cli-hyper-at-1"}"#,
    )
    .await;
    let t = add(
        home.path(),
        "matar",
        "Matar",
        r#"{"access_token":"cli-matar-at-1"}"#,
    )
    .await;

    let out = signoff_async(home.path(), &["signout", "--all", "--verify", "--json"], "").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        assert_eq!(r["outcome"], "revoked", "{r}");
        for key in [
            "account",
            "provider",
            "label",
            "http_status",
            "error",
            "attempts",
            "verified",
        ] {
            assert!(r.get(key).is_some(), "result has {key}: {r}");
        }
    }
    let hyper_result = results.iter().find(|r| r["account"] == h.as_str()).unwrap();
    assert_eq!(
        hyper_result["verified"], true,
        "HyperID introspection confirms"
    );
    for token in ["cli-meshy-rt-1", "cli-hyper-rt-1", "cli-matar-at-1"] {
        assert!(
            meshy.is_ended(token) || hyper.is_ended(token) || matar.is_ended(token),
            "{token}"
        );
    }
    for id in [&m, &h, &t] {
        assert_eq!(keychain_lookup(id), None, "keychain entry of {id} deleted");
    }
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 0);

    let audit = signoff_async(home.path(), &["--json", "audit"], "").await;
    let entries = json(&audit)["audit"].as_array().unwrap().clone();
    let sign_outs: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "sign_out")
        .collect();
    assert_eq!(sign_outs.len(), 3);
    assert!(
        sign_outs
            .iter()
            .all(|e| e["actor"] == "admin" && e["outcome"] == "revoked")
    );
    assert!(entries.iter().any(|e| e["action"] == "set_client_secret"));

    let table = signoff_async(home.path(), &["audit"], "").await;
    assert!(stdout(&table).contains("sign_out"));

    // Trace-level logs, the database and every output: no token, no client secret.
    for secret in [
        "cli-meshy-rt-1",
        "cli-hyper-rt-1",
        "cli-hyper-at-1",
        "cli-matar-at-1",
        HYPER_SECRET,
    ] {
        assert_not_in_files(home.path(), secret);
        for o in [&out, &list, &audit, &table] {
            assert!(
                !stdout(o).contains(secret) && !stderr(o).contains(secret),
                "{secret} printed"
            );
        }
    }
    let logs = std::fs::read_dir(home.path().join("logs")).unwrap().count();
    assert!(logs > 0, "trace logs were written (and scanned)");
}

/// Profiles in `home` whose MeshyDB is down (a port nothing listens on, held until the
/// returned [`signoff_tests::DownPort`] is dropped), and a MeshyDB account `label` holding
/// refresh token `rt`; also the other seed servers the profiles name.
async fn account_on_a_down_meshydb(
    home: &Path,
    label: &str,
    rt: &str,
) -> (signoff_tests::DownPort, String, (TestServer, TestServer)) {
    let down = signoff_tests::DownPort::new();
    let (hyper, matar) = (
        servers::hyperid(HYPER_ID, HYPER_SECRET).await,
        servers::matar().await,
    );
    let meshy = format!("http://127.0.0.1:{}/", down.port);
    write_providers(home, &providers_toml(&meshy, &hyper, &matar));
    let tokens = format!(r#"{{"refresh_token":"{rt}"}}"#);
    let id = add(home, "meshydb", label, &tokens).await;
    (down, id, (hyper, matar))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_on_a_down_server_then_retry_once_it_is_back() {
    let home = tempfile::tempdir().unwrap();
    let (down, id, _others) =
        account_on_a_down_meshydb(home.path(), "Meshy down", "cli-down-rt").await;
    let port = down.port;

    let out = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "pending exits 3: {}",
        stdout(&out)
    );
    let r = &json(&out)["results"][0];
    assert_eq!(r["outcome"], "pending");
    assert_eq!(r["error"]["code"], "network");
    assert!(
        keychain_lookup(&id).is_some(),
        "the token stays in the keychain"
    );

    let pending = signoff_async(home.path(), &["--json", "pending"], "").await;
    let p = json(&pending)["pending"].as_array().unwrap().clone();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["status"], "pending");
    assert!(p[0]["next_attempt_at"].is_string());
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(
        json(&list)["accounts"][0]["status"],
        "pending",
        "listed as revocation pending"
    );

    let not_due = signoff_async(home.path(), &["--json", "pending", "retry", "--due"], "").await;
    assert_eq!(not_due.status.code(), Some(0));
    assert_eq!(
        json(&not_due)["results"].as_array().unwrap().len(),
        0,
        "not due yet"
    );

    drop(down);
    let meshy = servers::meshydb_on(MESHY_KEY, port).await;
    meshy.issue("cli-down-rt");
    let retry = signoff_async(home.path(), &["--json", "pending", "retry"], "").await;
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    assert_eq!(json(&retry)["results"][0]["outcome"], "revoked");
    assert!(meshy.is_ended("cli-down-rt"));
    assert_eq!(keychain_lookup(&id), None);
    let audit = signoff_async(home.path(), &["--json", "audit"], "").await;
    assert!(
        json(&audit)["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "retry_sign_out" && e["outcome"] == "revoked")
    );
}

/// `pending retry` right after the provider came back: a person asking means now, not at the
/// next scheduled try (a minute away). `--due` keeps the scheduler's behaviour, and when it has
/// nothing to do it says what is pending and when its next try is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_retry_right_after_the_provider_is_back_retries_now_and_due_says_what_waits() {
    let home = tempfile::tempdir().unwrap();
    let (down, id, _others) =
        account_on_a_down_meshydb(home.path(), "Meshy back soon", "cli-back-rt").await;
    let port = down.port;
    let out = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));

    drop(down);
    let meshy = servers::meshydb_on(MESHY_KEY, port).await;
    meshy.issue("cli-back-rt");

    // The scheduler's spelling: not due yet, so nothing is sent, and the output says what waits.
    let due = signoff_async(home.path(), &["--json", "pending", "retry", "--due"], "").await;
    assert_eq!(due.status.code(), Some(0), "{}", stderr(&due));
    let doc = json(&due);
    assert_eq!(doc["results"].as_array().unwrap().len(), 0, "{doc}");
    let waiting = doc["pending"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{doc}");
    assert_eq!(waiting[0]["id"], id.as_str());
    assert_eq!(waiting[0]["label"], "Meshy back soon");
    assert_eq!(waiting[0]["provider_id"], "meshydb");
    assert!(waiting[0]["next_attempt_at"].is_string(), "{doc}");
    let human = signoff_async(home.path(), &["pending", "retry", "--due"], "").await;
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(!text.contains("Nothing to sign out"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("Meshy back soon"))
        .unwrap_or_else(|| panic!("a line for the pending account: {text}"));
    assert!(
        line.contains("meshydb") && line.contains("next try"),
        "{text}"
    );
    assert!(
        meshy.seen().is_empty(),
        "--due sent nothing before the time"
    );

    // A person's `pending retry`: now.
    let retry = signoff_async(home.path(), &["--json", "pending", "retry"], "").await;
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    let doc = json(&retry);
    assert_eq!(doc["results"][0]["outcome"], "revoked", "{doc}");
    assert_eq!(doc["pending"].as_array().unwrap().len(), 0, "{doc}");
    assert!(meshy.is_ended("cli-back-rt"));
    assert_eq!(keychain_lookup(&id), None);

    let none = signoff_async(home.path(), &["pending", "retry"], "").await;
    assert_eq!(none.status.code(), Some(0));
    assert!(
        stdout(&none).contains("No revocation is pending."),
        "{}",
        stdout(&none)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_leaves_accounts_pending_until_the_time_the_provider_asked() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, _hyper, _matar) = seed_servers(home.path()).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let rt = format!("cli-storm-rt-{i}");
        meshy.issue(&rt);
        ids.push(
            add(
                home.path(),
                "meshydb",
                &format!("Storm {i}"),
                &format!(r#"{{"refresh_token":"{rt}"}}"#),
            )
            .await,
        );
    }
    // Every request gets 429 with "Retry-After: 120".
    meshy.fail_always(Some(Fault::RateLimited {
        retry_after: Some("120".into()),
    }));

    let out = signoff_async(home.path(), &["signout", "--all"], "").await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "pending exits 3: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert_eq!(text.matches("pending").count(), 3, "{text}");
    assert!(
        text.contains("429") && text.contains("provider asked to wait 120 s; kept for retry"),
        "{text}"
    );
    assert_eq!(
        meshy.seen().len(),
        3,
        "one request per account: asked to wait, Signoff does not hammer the provider"
    );
    for id in &ids {
        assert!(
            keychain_lookup(id).is_some(),
            "the token stays in the keychain"
        );
    }

    let pending = json(&signoff_async(home.path(), &["--json", "pending"], "").await);
    let pending = pending["pending"].as_array().unwrap().clone();
    assert_eq!(pending.len(), 3);
    for p in &pending {
        let next = time::OffsetDateTime::parse(
            p["next_attempt_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let wait = next - time::OffsetDateTime::now_utc();
        assert!(
            wait > time::Duration::seconds(100) && wait <= time::Duration::seconds(120),
            "next try when the provider asked (Retry-After: 120), not sooner: {wait}"
        );
    }
    let early = signoff_async(home.path(), &["--json", "pending", "retry", "--due"], "").await;
    assert_eq!(early.status.code(), Some(0));
    assert_eq!(json(&early)["results"].as_array().unwrap().len(), 0);
    assert_eq!(meshy.seen().len(), 3, "no retry before the time asked");

    // The storm ends: a retry revokes them all (`--now`, the old spelling of the default).
    meshy.fail_always(None);
    let retry = signoff_async(home.path(), &["--json", "pending", "retry", "--now"], "").await;
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    let results = json(&retry)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert!(
        results.iter().all(|r| r["outcome"] == "revoked"),
        "{results:?}"
    );
    for (i, id) in ids.iter().enumerate() {
        assert!(meshy.is_ended(&format!("cli-storm-rt-{i}")));
        assert_eq!(keychain_lookup(id), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_on_bad_client_credentials_needs_attention_then_forget() {
    let home = tempfile::tempdir().unwrap();
    let (_meshy, hyper, _matar) = seed_servers(home.path()).await;
    set_hyper_secret(home.path(), "the-wrong-secret").await;
    hyper.issue("cli-hyper-rt-bad");
    let id = add(
        home.path(),
        "hyperid",
        "Hyper",
        r#"{"refresh_token":"cli-hyper-rt-bad"}"#,
    )
    .await;

    let out = signoff_async(home.path(), &["signout", &id], "").await;
    assert_eq!(out.status.code(), Some(2), "failed exits 2");
    let text = stdout(&out);
    assert!(
        text.contains("failed") && text.contains("invalid_client"),
        "{text}"
    );
    assert!(!hyper.is_ended("cli-hyper-rt-bad"));
    assert!(
        keychain_lookup(&id).is_some(),
        "a failed sign-out keeps the token"
    );
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    let acct = &json(&list)["accounts"][0];
    assert_eq!(acct["status"], "needs_attention");
    assert_eq!(acct["last_error"]["code"], "invalid_client");

    let forget = signoff_async(home.path(), &["account", "forget", &id, "--yes"], "").await;
    assert!(forget.status.success());
    assert!(stdout(&forget).contains("nothing was revoked"));
    assert_eq!(keychain_lookup(&id), None);
    let audit = signoff_async(home.path(), &["--json", "audit"], "").await;
    let entries = json(&audit)["audit"].as_array().unwrap().clone();
    let failed = entries.iter().find(|e| e["action"] == "sign_out").unwrap();
    assert_eq!(
        (
            failed["outcome"].as_str(),
            failed["error_code"].as_str(),
            failed["http_status"].as_u64()
        ),
        (Some("failed"), Some("invalid_client"), Some(401))
    );
    assert!(entries.iter().any(|e| e["action"] == "forget"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_sign_out_loses_nothing_and_the_next_run_finishes() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, _hyper, _matar) = seed_servers(home.path()).await;
    let mut ids = Vec::new();
    for i in 0..16 {
        let rt = format!("crash-rt-{i}");
        meshy.issue(&rt);
        ids.push(
            add(
                home.path(),
                "meshydb",
                &format!("Crash {i}"),
                &format!(r#"{{"refresh_token":"{rt}"}}"#),
            )
            .await,
        );
    }
    // The first four answers come quickly and the rest slowly, so the run is surely mid-way
    // when it is killed, whatever the per-host bound.
    meshy.fail_always(Some(Fault::Slow(Duration::from_millis(3000))));
    meshy.fail_next(4, Fault::Slow(Duration::from_millis(100)));
    let mut child = signoff_cmd(home.path(), &["signout", "--all"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the server has answered some but not all.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while (0..16)
        .filter(|i| meshy.is_ended(&format!("crash-rt-{i}")))
        .count()
        < 4
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the sign-out never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let ended_at_kill = (0..16)
        .filter(|i| meshy.is_ended(&format!("crash-rt-{i}")))
        .count();
    assert!(
        ended_at_kill < 16,
        "killed mid-way ({ended_at_kill} of 16 done)"
    );
    let still_held = ids
        .iter()
        .filter(|id| keychain_lookup(id).is_some())
        .count();
    assert!(
        still_held >= 16 - ended_at_kill,
        "no token lost: every live token is still in the keychain"
    );

    meshy.fail_always(None);
    let out = signoff_async(home.path(), &["--json", "signout", "--all"], "").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for i in 0..16 {
        assert!(
            meshy.is_ended(&format!("crash-rt-{i}")),
            "token {i} revoked at the server"
        );
    }
    for id in &ids {
        assert_eq!(keychain_lookup(id), None, "nothing left in the keychain");
    }
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_at_once_never_sign_an_account_out_twice() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, _hyper, _matar) = seed_servers(home.path()).await;
    for i in 0..12 {
        let rt = format!("race-rt-{i}");
        meshy.issue(&rt);
        add(
            home.path(),
            "meshydb",
            &format!("Race {i}"),
            &format!(r#"{{"refresh_token":"{rt}"}}"#),
        )
        .await;
    }
    meshy.fail_always(Some(Fault::Slow(Duration::from_millis(200))));
    let (a, b) = tokio::join!(
        signoff_async(home.path(), &["--json", "signout", "--all"], ""),
        signoff_async(home.path(), &["--json", "signout", "--all"], "")
    );
    for o in [&a, &b] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    let done: usize = [&a, &b]
        .iter()
        .map(|o| json(o)["results"].as_array().unwrap().len())
        .sum();
    assert_eq!(done, 12, "each account signed out by exactly one process");
    for i in 0..12 {
        assert_eq!(
            meshy.requests_with(&format!("race-rt-{i}")),
            1,
            "token {i} sent once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_lists_profiles_and_names_problems_with_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        "[[provider]]\nid = \"corp\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"http://auth.corp.example/revoke\"\n",
    );
    let out = signoff_async(home.path(), &["providers"], "").await;
    assert!(out.status.success());
    let text = stdout(&out);
    for id in ["meshydb", "hyperid", "matar"] {
        assert!(text.contains(id), "{text}");
    }
    assert!(text.contains("incomplete: set params.account"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains("providers.toml:5:") && err.contains("http:// off loopback"),
        "{err}"
    );
    let doc = json(&signoff_async(home.path(), &["--json", "providers"], "").await);
    assert_eq!(doc["problems"][0]["line"], 5);
    let ids: Vec<&str> = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"corp"),
        "the rejected profile is not listed: {ids:?}"
    );
    for id in [
        "meshydb", "hyperid", "matar", "github", "google", "slack", "spotify",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    // Sign-out and sign-in readiness, each with what to set.
    assert!(text.contains("local only"), "Spotify has no revoke: {text}");
    assert!(
        text.contains("to sign in"),
        "Google signs out without a client id: {text}"
    );

    let unknown = signoff_async(home.path(), &["provider", "secret", "nope"], "s3cret\n").await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("[not_found]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_1_and_completions_print() {
    let home = tempfile::tempdir().unwrap();
    let bad_since = signoff_async(home.path(), &["audit", "--since", "yesterday"], "").await;
    assert_eq!(bad_since.status.code(), Some(1));
    assert!(stderr(&bad_since).contains("RFC 3339"));
    let both = signoff_async(
        home.path(),
        &["signout", "--all", "3f0c1d2e-0000-4000-8000-000000000000"],
        "",
    )
    .await;
    assert_eq!(both.status.code(), Some(1));
    let neither = signoff_async(home.path(), &["signout"], "").await;
    assert_eq!(neither.status.code(), Some(1));
    let unknown = signoff_async(
        home.path(),
        &["signout", "3f0c1d2e-0000-4000-8000-000000000000"],
        "",
    )
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("[not_found]"));
    let nothing = signoff_async(home.path(), &["signout", "--all"], "").await;
    assert_eq!(nothing.status.code(), Some(0));
    assert!(stdout(&nothing).contains("Nothing to sign out"));
    let completions = signoff_async(home.path(), &["completions", "bash"], "").await;
    assert!(completions.status.success());
    assert!(stdout(&completions).contains("signoff"));
}
