//! The vault: an account's tokens in the OS keychain, and nowhere else.
//!
//! One keychain entry per account (service `signoff`, user = account id) holding the token bundle
//! as JSON. Every entry also carries `home`, the data folder it belongs to
//! ([`Paths::keychain_scope`]): a side data folder (`--home`, the demo, a test) can neither read,
//! list, overwrite nor delete the entries of the real one, client secrets included. Entries
//! written before that attribute existed are adopted by the platform's default data folder only. There is no plaintext fallback: when the keychain is missing or locked the operation
//! fails with [`Error::KeychainUnavailable`] or [`Error::KeychainLocked`].
//! The platform store is chosen in one file per platform (`secret_service.rs` on Linux); each
//! is a [`Backend`], as is the in-memory store the tests use to inject keychain faults that a
//! real keyring cannot be made to show (`memory.rs`, test builds only).

use crate::account::AccountId;
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

#[cfg(target_os = "linux")]
mod get_secrets;
#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(target_os = "linux")]
use secret_service as platform;

#[cfg(not(target_os = "linux"))]
mod unsupported;
#[cfg(not(target_os = "linux"))]
use unsupported as platform;

#[cfg(any(test, feature = "test-support"))]
mod memory;
#[cfg(any(test, feature = "test-support"))]
pub use memory::MemoryStore;

/// One keychain entry of Signoff's, as a search finds it: its `username` attribute and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub user: String,
    pub label: String,
}

/// One entry of Signoff's with its secret, as [`Backend::read_all`] read it, and where it was
/// (`at`: the item's object path on the Secret Service), so it can be deleted without a search.
pub struct Held {
    pub user: String,
    pub at: String,
    pub secret: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("user", &self.user)
            .field("at", &self.at)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// What a keychain store does for the vault: the platform's keychain, or (in tests) memory.
pub trait Backend: Send + Sync {
    /// Unlocks the collection if it is locked, waiting at most `timeout`.
    fn ensure_unlocked(&self, timeout: std::time::Duration) -> Result<()>;
    /// Stores `secret` under (`service`, `user`), replacing an entry with the same attributes.
    fn set(&self, service: &str, user: &str, label: &str, secret: &[u8]) -> Result<()>;
    /// The secret stored under (`service`, `user`); `None` when there is no such entry.
    fn get(&self, service: &str, user: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>>;
    /// Deletes the entry under (`service`, `user`); `false` when there was none.
    fn delete(&self, service: &str, user: &str) -> Result<bool>;
    /// Every entry under `service`, whatever its user.
    fn entries(&self, service: &str) -> Result<Vec<Entry>>;
    /// Every entry under `service` with its secret, read at once (on the Secret Service: one
    /// search and one `GetSecrets`, however many entries), unlocking locked ones.
    fn read_all(&self, service: &str) -> Result<Vec<Held>>;
    /// Deletes the entry `held` was read from, where it was; when it is no longer there, the
    /// entry under (`service`, `held.user`) wherever it is now. `false` when there is none.
    fn delete_held(&self, service: &str, held: &Held) -> Result<bool>;
}

/// Which of Signoff's keychain entries a vault sees: those whose `home` attribute is `home`, and,
/// when `adopt_unscoped`, those without one (written by a version before the attribute), which
/// it then scopes to `home` as it finds them.
#[derive(Debug, Clone)]
pub struct Scope {
    pub home: String,
    pub adopt_unscoped: bool,
}

/// The keychain attribute that names the data folder an entry belongs to.
pub const HOME_ATTRIBUTE: &str = "home";

/// The keychain service name of every Signoff entry.
pub const SERVICE: &str = "signoff";

/// How long a sign-out waits for the keychain's unlock prompt to be answered.
pub const UNLOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Access to Signoff's entries in the OS keychain. Shared by all threads of a process: calls
/// from several threads go to the keychain at once.
pub struct Vault {
    store: Box<dyn Backend>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("service", &SERVICE)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Connects to the platform keychain (the Secret Service on Linux), scoped to the data
    /// folder of `paths`.
    pub fn open(paths: &Paths) -> Result<Self> {
        let scope = Scope {
            home: paths.keychain_scope(),
            adopt_unscoped: paths.is_platform_default(),
        };
        Ok(Self {
            store: Box::new(platform::Store::open(scope)?),
        })
    }

    /// A vault on another store (tests: [`MemoryStore`]).
    #[cfg(any(test, feature = "test-support"))]
    pub fn with_backend(store: impl Backend + 'static) -> Self {
        Self {
            store: Box::new(store),
        }
    }

    /// Every entry Signoff has in the keychain (accounts and client secrets), unlocking the
    /// collection first if needed.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.store.entries(SERVICE)
    }

    /// Makes sure the collection Signoff's entries live in is unlocked, asking the keychain to
    /// unlock it (which may show its prompt) and waiting at most `timeout`. A locked keychain
    /// cannot be searched, and an empty search must never be taken for "no token": so a
    /// sign-out unlocks once, up front, and stops with [`Error::KeychainLocked`] if it cannot.
    pub fn ensure_unlocked(&self, timeout: std::time::Duration) -> Result<()> {
        self.store.ensure_unlocked(timeout)
    }

    /// Stores (or replaces) an account's tokens. `label` is what keychain managers show.
    pub fn put(&self, id: &AccountId, label: &str, tokens: &TokenBundle) -> Result<()> {
        let label = format!("Signoff: {label}");
        let json = tokens.to_keychain_json();
        self.store.set(
            SERVICE,
            id.as_str(),
            &label,
            json.expose_secret().as_bytes(),
        )
    }

    /// Reads an account's tokens; `None` when the keychain has no entry for it.
    pub fn get(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        self.read(id.as_str())?
            .map(|s| tokens_of(id, &s))
            .transpose()
    }

    /// Deletes an account's tokens. Idempotent: returns `false` when there was nothing to delete.
    pub fn delete(&self, id: &AccountId) -> Result<bool> {
        self.store.delete(SERVICE, id.as_str())
    }

    /// An entry's secret as text.
    fn read(&self, user: &str) -> Result<Option<SecretString>> {
        self.store
            .get(SERVICE, user)?
            .map(|bytes| text_of(user, &bytes))
            .transpose()
    }
}

impl Vault {
    /// Stores (or replaces) a provider's client secret.
    pub fn put_client_secret(&self, provider_id: &str, secret: &SecretString) -> Result<()> {
        let label = format!("Signoff: client secret for {provider_id}");
        self.store.set(
            SERVICE,
            &client_secret_user(provider_id),
            &label,
            secret.expose_secret().as_bytes(),
        )
    }

    /// A provider's client secret, if one was stored.
    pub fn client_secret(&self, provider_id: &str) -> Result<Option<SecretString>> {
        self.read(&client_secret_user(provider_id))
    }

    /// Deletes a provider's client secret. Idempotent.
    pub fn delete_client_secret(&self, provider_id: &str) -> Result<bool> {
        self.store.delete(SERVICE, &client_secret_user(provider_id))
    }
}

/// Signoff's entries of this data folder with their secrets, as one read saw them. A sign-out
/// run of many accounts reads the keychain once, up front, instead of searching it once per
/// account (the Secret Service walks the whole collection, other apps' items included, on every
/// search), and deletes what it read where it was. It lives as long as the run and is not kept
/// after it: the run holds the claim of every account it reads, so no other Signoff writes
/// those entries meanwhile.
pub struct Snapshot {
    held: std::collections::HashMap<String, Held>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("entries", &self.held.len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// An account's tokens as read; `None` when the keychain had no entry for it.
    pub fn tokens(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        self.text(id.as_str())?
            .map(|s| tokens_of(id, &s))
            .transpose()
    }

    /// A client secret as read (`provider_id` as [`Vault::client_secret`] takes it).
    pub fn client_secret(&self, provider_id: &str) -> Result<Option<SecretString>> {
        self.text(&client_secret_user(provider_id))
    }

    fn text(&self, user: &str) -> Result<Option<SecretString>> {
        self.held
            .get(user)
            .map(|held| text_of(user, &held.secret))
            .transpose()
    }
}

impl Vault {
    /// Reads every entry of this data folder, secrets included, at once.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let held = self
            .store
            .read_all(SERVICE)?
            .into_iter()
            .map(|h| (h.user.clone(), h))
            .collect();
        Ok(Snapshot { held })
    }

    /// Deletes an account's tokens where `snapshot` found them (with a search when it did not
    /// see them). Idempotent: `false` when there was nothing to delete.
    pub fn delete_seen(&self, snapshot: &Snapshot, id: &AccountId) -> Result<bool> {
        self.delete_user_seen(snapshot, id.as_str())
    }

    /// Deletes a client secret where `snapshot` found it. Idempotent.
    pub fn delete_client_secret_seen(
        &self,
        snapshot: &Snapshot,
        provider_id: &str,
    ) -> Result<bool> {
        self.delete_user_seen(snapshot, &client_secret_user(provider_id))
    }

    /// The entry under `user`, deleted where `snapshot` found it, else wherever a search finds it.
    fn delete_user_seen(&self, snapshot: &Snapshot, user: &str) -> Result<bool> {
        match snapshot.held.get(user) {
            Some(held) => self.store.delete_held(SERVICE, held),
            None => self.store.delete(SERVICE, user),
        }
    }
}

/// An entry's bytes as text, or the entry is damaged.
fn text_of(user: &str, bytes: &[u8]) -> Result<SecretString> {
    std::str::from_utf8(bytes)
        .map(|text| SecretString::new(text.to_owned()))
        .map_err(|_| damaged(user))
}

/// An account entry's text as its token bundle, or the entry is damaged.
fn tokens_of(id: &AccountId, secret: &SecretString) -> Result<TokenBundle> {
    TokenBundle::from_json(secret.expose_secret()).map_err(|_| damaged(&format!("account {id}")))
}

fn damaged(what: &str) -> Error {
    Error::Keychain {
        detail: format!("the keychain entry for {what} is damaged"),
    }
}

/// True when an entry's user names a client secret rather than an account.
pub fn is_client_secret(user: &str) -> bool {
    user.starts_with("client-secret:")
}

/// Client secrets sit beside account entries; account ids are UUIDs, so names never collide.
fn client_secret_user(provider_id: &str) -> String {
    format!("client-secret:{provider_id}")
}
