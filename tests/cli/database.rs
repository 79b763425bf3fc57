//! The account database locked by another process (a second Signoff, the app, a backup tool or
//! `sqlite3` in a shell holding a write transaction): `signoff` waits up to the store's busy
//! timeout, then either carries on or stops with `store_error`, and nothing is lost either way.

use std::path::Path;
use std::time::{Duration, Instant};

use signoff_core::store::BUSY_TIMEOUT;
use signoff_tests::servers::TestServer;

use crate::{add, json, keychain_lookup, meshydb_with_profile, signoff_async, stderr, stdout};

const KEY: &str = "pk_db_lock";

/// A MeshyDB test server with a profile for it in `home`, and one account whose refresh token
/// it issued.
async fn meshy_account(home: &Path, rt: &str) -> (TestServer, String) {
    let meshy = meshydb_with_profile(home, KEY).await;
    meshy.issue(rt);
    let id = add(
        home,
        "meshydb",
        "Locked DB",
        &format!(r#"{{"refresh_token":"{rt}"}}"#),
    )
    .await;
    (meshy, id)
}

/// Another process's open write transaction on the account database in `home` (the test
/// process is not the `signoff` process, so SQLite's file locks apply between them). Dropping
/// it rolls back and releases the lock.
pub(crate) fn hold_write_lock(home: &Path) -> rusqlite::Connection {
    let db = signoff_core::Paths::under(home).database();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET label = label;")
        .unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_lock_released_within_the_busy_timeout_only_delays_the_sign_out() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, id) = meshy_account(home.path(), "db-lock-brief-rt").await;
    let lock = hold_write_lock(home.path());
    let hold = Duration::from_secs(3);
    assert!(hold < BUSY_TIMEOUT);
    let release = std::thread::spawn(move || {
        std::thread::sleep(hold);
        drop(lock);
    });

    let started = Instant::now();
    let out = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    let took = started.elapsed();
    release.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        took >= hold - Duration::from_millis(500),
        "it waited for the lock ({took:?}), so the lock was really in its way"
    );
    let doc = json(&out);
    assert_eq!(doc["results"][0]["outcome"], "revoked", "{doc}");
    assert!(doc["skipped"].as_array().unwrap().is_empty(), "{doc}");
    assert!(meshy.is_ended("db-lock-brief-rt"));
    assert_eq!(keychain_lookup(&id), None, "keychain entry deleted");
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_past_the_busy_timeout_is_a_store_error_and_loses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (meshy, id) = meshy_account(home.path(), "db-lock-long-rt").await;
    let lock = hold_write_lock(home.path());

    // Reading is not blocked by another process's write (WAL): the list still shows the account.
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(json(&list)["accounts"][0]["status"], "signed_in");

    let started = Instant::now();
    let out = signoff_async(home.path(), &["signout", &id], "").await;
    let took = started.elapsed();
    drop(lock);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("signoff: error [store_error] for {id}"))
            && err.contains("database is locked"),
        "{err}"
    );
    assert!(
        took >= BUSY_TIMEOUT - Duration::from_millis(500),
        "gave up only after the busy timeout ({took:?})"
    );
    // Nothing happened: no request, the token is live and still in the keychain, the account
    // is still signed in (not stuck half-way), and a later sign-out works.
    assert_eq!(meshy.requests_with("db-lock-long-rt"), 0);
    assert!(!meshy.is_ended("db-lock-long-rt"));
    assert!(keychain_lookup(&id).is_some(), "the token is kept");
    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"][0]["status"], "signed_in");

    let again = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(json(&again)["results"][0]["outcome"], "revoked");
    assert!(meshy.is_ended("db-lock-long-rt"));
    assert_eq!(keychain_lookup(&id), None);
}
