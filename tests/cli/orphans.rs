//! Nothing half-added stays hidden: an `adding` row left by a crash between the keychain write
//! and the row update is resumed (signed in when its tokens are in the keychain, dropped when
//! not), and keychain entries of Signoff that no row knows are listed and can be forgotten.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use signoff_core::AccountId;
use signoff_core::claim::Claim;

use crate::{json, keychain_lookup, signoff, stderr};

/// Stores `secret` under service `signoff`, user `user`, in the data folder `home`, with
/// libsecret's own `secret-tool`.
fn secret_tool_store(home: &Path, user: &str, label: &str, secret: &str) {
    let home = std::fs::canonicalize(home).unwrap();
    let mut child = Command::new("secret-tool")
        .args([
            "store", "--label", label, "service", "signoff", "username", user,
        ])
        .arg("home")
        .arg(&home)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store");
}

fn secret_tool_clear(user: &str) {
    let _ = Command::new("secret-tool")
        .args(["clear", "service", "signoff", "username", user])
        .status();
}

/// Writes an `adding` row straight into the database in `home`, as a crashed add leaves it,
/// created `age` ago.
fn adding_row(home: &Path, label: &str, age: time::Duration) -> AccountId {
    let id = AccountId::generate();
    let created = (time::OffsetDateTime::now_utc() - age)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let db = signoff_core::Paths::under(home).database();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "INSERT INTO accounts (id, provider_id, label, created_at, updated_at, status)
         VALUES (?1, 'matar', ?2, ?3, ?3, 'adding')",
        rusqlite::params![id.as_str(), label, created],
    )
    .unwrap();
    id
}

fn statuses(home: &Path) -> Vec<(String, String)> {
    let list = signoff(home, &["--json", "account", "list"], "");
    assert!(list.status.success(), "{}", stderr(&list));
    json(&list)["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn an_interrupted_add_is_resumed_signed_in_or_dropped() {
    let home = tempfile::tempdir().unwrap();
    // Creates and migrates the database.
    assert!(statuses(home.path()).is_empty());
    let hour = time::Duration::hours(1);
    let stored = adding_row(home.path(), "Crashed after the keychain", hour);
    secret_tool_store(
        home.path(),
        stored.as_str(),
        "Signoff: Crashed after the keychain",
        r#"{"refresh_token":"rt-resume-orphan-1"}"#,
    );
    let lost = adding_row(home.path(), "Crashed before the keychain", hour);
    // Another process is still adding these: left alone.
    let fresh = adding_row(home.path(), "Just now", time::Duration::ZERO);
    let claimed = adding_row(home.path(), "Claimed", hour);
    let data_dir = signoff_core::Paths::under(home.path()).data_dir;
    let claim = Claim::try_acquire(&data_dir, &claimed).unwrap().unwrap();

    let listed = statuses(home.path());
    assert_eq!(
        listed,
        vec![(stored.to_string(), "signed_in".to_owned())],
        "only the add whose token reached the keychain is listed, signed in"
    );
    let db = signoff_core::Paths::under(home.path()).database();
    let conn = rusqlite::Connection::open(db).unwrap();
    let status = |id: &AccountId| -> Option<String> {
        conn.query_row(
            "SELECT status FROM accounts WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .ok()
    };
    assert_eq!(status(&lost), None, "the row without a token is dropped");
    assert_eq!(
        status(&fresh).as_deref(),
        Some("adding"),
        "within the grace period"
    );
    assert_eq!(
        status(&claimed).as_deref(),
        Some("adding"),
        "claimed elsewhere"
    );
    let audit = signoff(home.path(), &["--json", "audit"], "");
    let text = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(
        text.contains(lost.as_str()) && text.contains("dropped"),
        "{text}"
    );
    assert!(
        text.contains(stored.as_str()) && text.contains("resumed"),
        "{text}"
    );

    // Once its claim is free (and the grace is over) the claimed one is resumed too: no token, dropped.
    drop(claim);
    statuses(home.path());
    assert_eq!(status(&claimed), None);

    // The resumed account can be forgotten like any other (its keychain entry goes too).
    let out = signoff(
        home.path(),
        &["--json", "account", "forget", "--yes", stored.as_str()],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keychain_lookup(stored.as_str()), None);
}

#[test]
fn keychain_entries_no_row_knows_are_listed_and_forgotten() {
    let home = tempfile::tempdir().unwrap();
    let orphan = AccountId::generate();
    secret_tool_store(
        home.path(),
        orphan.as_str(),
        "Signoff: Orphaned by a crash",
        r#"{"refresh_token":"rt-orphan-entry-1"}"#,
    );
    let secret_user = format!("client-secret:orphans-test-{}", AccountId::generate());
    secret_tool_store(
        home.path(),
        &secret_user,
        "Signoff: client secret",
        "cs-orphans-test",
    );

    // An entry of another data folder is that folder's business, not an orphan of this one.
    let elsewhere = tempfile::tempdir().unwrap();
    let foreign = AccountId::generate();
    secret_tool_store(
        elsewhere.path(),
        foreign.as_str(),
        "Signoff: another folder's account",
        r#"{"refresh_token":"rt-foreign-folder-1"}"#,
    );

    let out = signoff(home.path(), &["--json", "account", "orphans"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    assert!(!doc.to_string().contains(foreign.as_str()), "{doc}");
    secret_tool_clear(foreign.as_str());
    let orphans = doc["orphans"].as_array().unwrap();
    let mine: Vec<_> = orphans
        .iter()
        .filter(|o| o["id"] == orphan.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{doc}");
    assert_eq!(mine[0]["label"], "Signoff: Orphaned by a crash", "{doc}");
    assert!(
        !doc.to_string().contains("client-secret:"),
        "client secrets are not orphans: {doc}"
    );
    let human = signoff(home.path(), &["account", "orphans"], "");
    let text = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(
        text.contains(orphan.as_str()) && text.contains("cannot sign these out"),
        "{text}"
    );

    // Without --yes a "no" changes nothing.
    let no = signoff(
        home.path(),
        &["account", "orphans", "--forget", orphan.as_str()],
        "n\n",
    );
    assert_eq!(no.status.code(), Some(1), "{}", stderr(&no));
    assert!(keychain_lookup(orphan.as_str()).is_some());

    let out = signoff(
        home.path(),
        &[
            "--json",
            "account",
            "orphans",
            "--forget",
            "--yes",
            orphan.as_str(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["forgotten"][0], orphan.as_str());
    assert_eq!(keychain_lookup(orphan.as_str()), None, "deleted");
    assert!(
        keychain_lookup(&secret_user).is_some(),
        "client secret kept"
    );
    let audit = signoff(home.path(), &["--json", "audit"], "");
    let text = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(
        text.contains(orphan.as_str()) && text.contains("orphaned"),
        "{text}"
    );

    // An entry a row knows is no orphan.
    let row = adding_row(home.path(), "Known", time::Duration::ZERO);
    secret_tool_store(
        home.path(),
        row.as_str(),
        "Signoff: Known",
        r#"{"refresh_token":"rt-known-1"}"#,
    );
    let out = signoff(home.path(), &["--json", "account", "orphans"], "");
    assert!(!json(&out).to_string().contains(row.as_str()));
    secret_tool_clear(row.as_str());
    secret_tool_clear(&secret_user);
}
