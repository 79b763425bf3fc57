//! Linux: the freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over D-Bus.
//!
//! One connection and one encrypted (Diffie-Hellman) session per process, shared by every
//! thread without a lock: zbus sends calls from several threads down the one connection at
//! once, so the keychain work of a sign-out of 30 accounts overlaps instead of queueing behind
//! one mutex. Each entry's object path is remembered once found, so reading and then deleting
//! an entry searches the keyring once, not twice (gnome-keyring walks the whole collection on
//! every search). A remembered path that no longer exists is looked up again.
//!
//! A sign-out run of many accounts reads them all at once instead ([`Backend::read_all`]): one
//! search for Signoff's items, their attributes, and one `GetSecrets` for every secret over a
//! session of the vault's own (`get_secrets.rs`), then deletes each item at its path.
//!
//! Entries carry the attributes `service` and `username`, as keyring-rs and `secret-tool`
//! use them (`secret-tool lookup service signoff username <account id>` finds an account), and
//! `home`, the data folder they belong to ([`Scope`]): every search names it.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use secret_service::EncryptionType;
use secret_service::blocking::{Item, SecretService};
use zeroize::Zeroizing;

use super::get_secrets::Secrets;
use super::{Backend, Entry, HOME_ATTRIBUTE, Held, Scope};
use crate::error::{Error, Result};

/// The content type of every entry (the bytes are JSON or a plain secret, both UTF-8).
const CONTENT_TYPE: &str = "text/plain";

pub(super) struct Store {
    ss: SecretService<'static>,
    /// The connection `ss` talks over, for the calls the crate does not offer.
    conn: zbus::blocking::Connection,
    /// The session for `GetSecrets`, opened on first use.
    secrets: std::sync::OnceLock<Secrets>,
    scope: Scope,
    /// `username` attribute → the item's object path, filled as entries are found or made.
    paths: Mutex<HashMap<String, zbus::zvariant::OwnedObjectPath>>,
}

impl Store {
    pub(super) fn open(scope: Scope) -> Result<Self> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
            && std::env::var_os("XDG_RUNTIME_DIR").is_none()
        {
            return Err(Error::KeychainUnavailable {
                detail: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
            });
        }
        let unavailable = |e| match map(e) {
            Error::Keychain { detail } => Error::KeychainUnavailable { detail },
            other => other,
        };
        let conn = zbus::blocking::Connection::session()
            .map_err(|e| unavailable(secret_service::Error::Zbus(e)))?;
        let ss = SecretService::connect_with_existing(EncryptionType::Dh, conn.clone())
            .map_err(unavailable)?;
        Ok(Self {
            ss,
            conn,
            secrets: std::sync::OnceLock::new(),
            scope,
            paths: Mutex::new(HashMap::new()),
        })
    }

    /// The attributes of the entry (`service`, `user`) in this store's data folder.
    fn attributes<'a>(&'a self, service: &'a str, user: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("service", service),
            ("username", user),
            (HOME_ATTRIBUTE, self.scope.home.as_str()),
        ])
    }

    /// Items matching `attributes`, unlocking locked ones (which may show the keyring's prompt):
    /// a locked item must not go unseen.
    fn search(&self, attributes: HashMap<&str, &str>) -> Result<Vec<Item<'_>>> {
        let found = self.ss.search_items(attributes).map_err(map)?;
        if !found.locked.is_empty() {
            let locked: Vec<&Item<'_>> = found.locked.iter().collect();
            self.ss.unlock_all(&locked).map_err(map)?;
        }
        Ok(found.unlocked.into_iter().chain(found.locked).collect())
    }

    /// This data folder's items under `service` (one user's, or every user's) and, when this
    /// folder adopts them, the ones written without a `home` attribute, all from one search:
    /// an item another process adopts meanwhile is seen once, as ours or as unscoped, never
    /// missed between two searches. An item deleted by another program between the search and
    /// the attribute read is not there.
    fn items(&self, service: &str, user: Option<&str>) -> Result<Sorted<'_>> {
        let mut attributes = HashMap::from([("service", service)]);
        if let Some(user) = user {
            attributes.insert("username", user);
        }
        if !self.scope.adopt_unscoped {
            attributes.insert(HOME_ATTRIBUTE, self.scope.home.as_str());
        }
        let mut sorted = Sorted::default();
        for item in self.search(attributes)? {
            let Some(found) = unless_gone(item.get_attributes())? else {
                continue;
            };
            let Some(user) = found.get("username") else {
                continue;
            };
            match found.get(HOME_ATTRIBUTE) {
                Some(home) if *home == self.scope.home => sorted.ours.push((user.clone(), item)),
                Some(_) => {}
                None => sorted.unscoped.push((user.clone(), item)),
            }
        }
        Ok(sorted)
    }

    /// Runs `op` on the entry's item: first at its remembered path, and if that item is gone,
    /// at the path a fresh search finds. `None` when the keyring has no such entry.
    fn with_item<T>(
        &self,
        service: &str,
        user: &str,
        op: impl Fn(&Item<'_>) -> std::result::Result<T, secret_service::Error>,
    ) -> Result<Option<T>> {
        if let Some(path) = self.remembered(user) {
            let item = self.ss.get_item_by_path(path).map_err(map)?;
            match unless_gone(op(&item))? {
                Some(value) => return Ok(Some(value)),
                None => self.remember(user, None),
            }
        }
        let Some(item) = self.find(service, user)? else {
            return Ok(None);
        };
        op(&item).map(Some).map_err(map)
    }

    /// Searches the keyring for the entry, unlocking it if needed (which may show the
    /// keyring's unlock prompt), and remembers its path.
    /// An entry written without a `home` attribute is scoped to this data folder as it is found.
    fn find(&self, service: &str, user: &str) -> Result<Option<Item<'_>>> {
        let sorted = self.items(service, Some(user))?;
        let mut item = sorted.ours.into_iter().next().map(|(_, item)| item);
        if item.is_none() {
            item = sorted.unscoped.into_iter().next().map(|(_, item)| item);
            if let Some(old) = &item {
                old.set_attributes(self.attributes(service, user))
                    .map_err(map)?;
            }
        }
        if let Some(item) = &item {
            self.remember(user, Some(item.item_path.clone()));
        }
        Ok(item)
    }

    /// The `GetSecrets` session, opened the first time it is needed.
    fn secrets(&self) -> Result<&Secrets> {
        if let Some(s) = self.secrets.get() {
            return Ok(s);
        }
        let opened = Secrets::open(&self.conn)?;
        Ok(self.secrets.get_or_init(|| opened))
    }

    fn remembered(&self, user: &str) -> Option<zbus::zvariant::OwnedObjectPath> {
        self.paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(user)
            .cloned()
    }

    fn remember(&self, user: &str, path: Option<zbus::zvariant::OwnedObjectPath>) {
        let mut paths = self
            .paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match path {
            Some(path) => paths.insert(user.to_owned(), path),
            None => paths.remove(user),
        };
    }
}

impl Backend for Store {
    /// Unlocks the default collection if it is locked, within `timeout`. The unlock runs on a
    /// thread of its own with its own connection: a prompt nobody answers (or that the keyring
    /// never shows) must not hang the caller, and that thread is left to end with the process.
    fn ensure_unlocked(&self, timeout: Duration) -> Result<()> {
        let collection = self.ss.get_default_collection().map_err(map)?;
        if !collection.is_locked().map_err(map)? {
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let unlocked = (|| {
                let ss = SecretService::connect(EncryptionType::Plain)?;
                let collection = ss.get_default_collection()?;
                collection.unlock()?;
                Ok::<_, secret_service::Error>(!collection.is_locked()?)
            })();
            let _ = tx.send(unlocked);
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(Error::KeychainLocked {
                detail: "the keyring is still locked after asking to unlock it".into(),
            }),
            Ok(Err(e)) => Err(match map(e) {
                Error::Keychain { detail } => Error::KeychainLocked { detail },
                other => other,
            }),
            Err(_) => Err(Error::KeychainLocked {
                detail: format!(
                    "the keyring was not unlocked within {} s",
                    timeout.as_secs()
                ),
            }),
        }
    }

    /// Stores `secret` under (`service`, `user`), replacing this data folder's entry with the
    /// same attributes (and an unscoped one it would adopt).
    fn set(&self, service: &str, user: &str, label: &str, secret: &[u8]) -> Result<()> {
        let collection = self.ss.get_default_collection().map_err(map)?;
        if collection.is_locked().map_err(map)? {
            collection.unlock().map_err(map)?;
        }
        let item = collection
            .create_item(
                label,
                self.attributes(service, user),
                secret,
                true,
                CONTENT_TYPE,
            )
            .map_err(map)?;
        self.remember(user, Some(item.item_path.clone()));
        for (_, old) in self.items(service, Some(user))?.unscoped {
            old.delete().map_err(map)?;
        }
        Ok(())
    }

    /// The secret stored under (`service`, `user`); `None` when there is no such entry.
    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.with_item(service, user, |item| item.get_secret().map(Zeroizing::new))
    }

    /// Deletes the entry under (`service`, `user`); `false` when there was none.
    fn delete(&self, service: &str, user: &str) -> Result<bool> {
        let deleted = self
            .with_item(service, user, |item| item.delete())?
            .is_some();
        self.remember(user, None);
        Ok(deleted)
    }

    /// One search (for this data folder's items, or for all of `service`'s when unscoped ones
    /// are adopted, which are then scoped), one attribute read per item found, and one
    /// `GetSecrets`. Where a scoped and an unscoped entry share a user, the scoped one is read,
    /// as [`Self::find`] would.
    fn read_all(&self, service: &str) -> Result<Vec<Held>> {
        // The session's key exchange runs while the search and the attribute reads do.
        let (sorted, session) = std::thread::scope(|s| {
            let session = s.spawn(|| self.secrets().map(|_| ()));
            let sorted = self.items(service, None);
            (
                sorted,
                session.join().expect("the session opener does not panic"),
            )
        });
        let sorted = sorted?;
        session?;
        let mut scoped: HashMap<String, Item<'_>> = sorted.ours.into_iter().collect();
        for (user, item) in sorted.unscoped {
            if let std::collections::hash_map::Entry::Vacant(slot) = scoped.entry(user)
                && unless_gone(item.set_attributes(self.attributes(service, slot.key())))?.is_some()
            {
                slot.insert(item);
            }
        }
        let paths: Vec<_> = scoped.values().map(|i| i.item_path.clone()).collect();
        let mut secrets = self.secrets()?.get(&paths)?;
        let mut held = Vec::with_capacity(scoped.len());
        for (user, item) in scoped {
            // An item deleted between the search and the read is simply not there.
            let Some(secret) = secrets.remove(&item.item_path) else {
                continue;
            };
            self.remember(&user, Some(item.item_path.clone()));
            held.push(Held {
                user,
                at: item.item_path.to_string(),
                secret,
            });
        }
        Ok(held)
    }

    /// Deletes the item at `held.at`; if another program removed it since, the entry is
    /// looked up afresh.
    fn delete_held(&self, service: &str, held: &Held) -> Result<bool> {
        let path = zbus::zvariant::OwnedObjectPath::try_from(held.at.as_str()).map_err(|e| {
            Error::Keychain {
                detail: format!("not an item path: {e}"),
            }
        })?;
        let deleted = self.ss.get_item_by_path(path).map_err(map)?.delete();
        self.remember(&held.user, None);
        match unless_gone(deleted)? {
            Some(()) => Ok(true),
            None => self.delete(service, &held.user),
        }
    }

    /// Every item of this data folder whose `service` attribute is `service` (and the unscoped
    /// ones it adopts), unlocking locked ones: a locked item must not go unlisted.
    fn entries(&self, service: &str) -> Result<Vec<Entry>> {
        let sorted = self.items(service, None)?;
        let ours: HashSet<String> = sorted.ours.iter().map(|(user, _)| user.clone()).collect();
        let mut entries = Vec::new();
        for (user, item) in sorted.ours.iter().chain(
            sorted
                .unscoped
                .iter()
                .filter(|(user, _)| !ours.contains(user)),
        ) {
            let Some(label) = unless_gone(item.get_label())? else {
                continue;
            };
            entries.push(Entry {
                user: user.clone(),
                label,
            });
        }
        Ok(entries)
    }
}

/// Items found by one search, by whose they are; each with its `username`.
#[derive(Default)]
struct Sorted<'a> {
    /// This data folder's.
    ours: Vec<(String, Item<'a>)>,
    /// Written without a `home` attribute (only when this folder adopts them).
    unscoped: Vec<(String, Item<'a>)>,
}

/// What a call on one item gave, `None` when the item no longer exists (another program
/// deleted it).
fn unless_gone<T>(result: std::result::Result<T, secret_service::Error>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(map(e)),
    }
}

/// True when the item at a remembered path no longer exists (deleted by another program).
fn is_gone(e: &secret_service::Error) -> bool {
    let text = e.to_string();
    [
        "NoSuchObject",
        "UnknownObject",
        "UnknownMethod",
        "No such object",
        // gnome-keyring, for a property of an item deleted since the search found it.
        "object does not exist",
        "Object does not exist",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Turns a Secret Service error into one that says which problem it is and what to do.
pub(super) fn map(e: secret_service::Error) -> Error {
    use secret_service::Error as S;
    let detail = e.to_string();
    match e {
        S::Locked | S::NoResult | S::Prompt | S::PromptDisconnected => {
            Error::KeychainLocked { detail }
        }
        S::Unavailable => Error::KeychainUnavailable { detail },
        _ if is_gone_service(&detail) => Error::KeychainUnavailable { detail },
        _ if detail.contains("IsLocked") => Error::KeychainLocked { detail },
        _ => Error::Keychain { detail },
    }
}

/// Errors from D-Bus that mean "nobody provides the Secret Service" rather than a refusal.
fn is_gone_service(message: &str) -> bool {
    [
        "ServiceUnknown",
        "NameHasNoOwner",
        "No such file or directory",
        "Connection refused",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
