//! The session keyring as the sign-out benchmark needs it: other apps' items (a person's
//! keyring is rarely empty), and the floor the keychain itself sets — deletes of items whose
//! paths are known, one after another, through the Secret Service, with no search.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use secret_service::EncryptionType;
use secret_service::blocking::SecretService;

/// How many items other apps keep in the keyring in the "full" case.
pub const FOREIGN: usize = 2_000;

fn connect() -> SecretService<'static> {
    SecretService::connect(EncryptionType::Dh).expect("the session's Secret Service")
}

/// Adds `n` items of another app (`service = other-app`, never Signoff's) to the default
/// collection.
pub fn add_foreign(n: usize) {
    let ss = connect();
    let collection = ss.get_default_collection().expect("default collection");
    for i in 0..n {
        let user = format!("user-{i:05}");
        collection
            .create_item(
                &format!("Other app {i}"),
                HashMap::from([("service", "other-app"), ("username", user.as_str())]),
                format!("other-app-secret-{i}").as_bytes(),
                true,
                "text/plain",
            )
            .expect("create another app's item");
    }
}

/// How many items of other apps the default collection holds.
pub fn foreign_count() -> usize {
    let ss = connect();
    let found = ss
        .search_items(HashMap::from([("service", "other-app")]))
        .expect("search");
    found.unlocked.len() + found.locked.len()
}

/// How many items the default collection holds, whoever wrote them.
pub fn total_count() -> usize {
    let ss = connect();
    let collection = ss.get_default_collection().expect("default collection");
    collection
        .get_all_items()
        .expect("list the collection")
        .len()
}

/// Removes the items [`add_foreign`] added, so that later benchmarks see the keyring as it was.
pub fn remove_foreign() {
    let ss = connect();
    let found = ss
        .search_items(HashMap::from([("service", "other-app")]))
        .expect("search");
    for item in found.unlocked.iter().chain(&found.locked) {
        item.delete().expect("delete another app's item");
    }
}

/// Makes `n` throwaway items, then times deleting them one after another at their paths: what
/// the keychain alone needs for a sign-out's `n` deletes.
pub fn bare_deletes(n: usize) -> Duration {
    let ss = connect();
    let collection = ss.get_default_collection().expect("default collection");
    let items: Vec<_> = (0..n)
        .map(|i| {
            let user = format!("floor-{i}");
            collection
                .create_item(
                    "Signoff bench floor",
                    HashMap::from([
                        ("service", "signoff-bench-floor"),
                        ("username", user.as_str()),
                    ]),
                    b"{\"refresh_token\":\"floor\"}",
                    true,
                    "text/plain",
                )
                .expect("create a throwaway item")
        })
        .collect();
    let started = Instant::now();
    for item in &items {
        item.delete().expect("delete at its path");
    }
    started.elapsed()
}
