//! Linux: the freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over D-Bus.
//!
//! One connection per process and at most two encrypted (Diffie-Hellman) sessions, shared by
//! every thread without a lock: zbus sends calls from several threads down the one connection at
//! once, so the keychain work of a sign-out of 30 accounts overlaps instead of queueing behind
//! one mutex. Each entry's object path is remembered once found, so reading and then deleting
//! an entry searches the keyring once, not twice (gnome-keyring walks the whole collection on
//! every search). A remembered path that no longer exists is looked up again.
//!
//! A sign-out run of many accounts reads them all at once instead ([`Backend::read_all`]): one
//! search for Signoff's items, their attributes (all asked for at once, not one round trip
//! after another), and one `GetSecrets` for every secret over a session of the vault's own
//! (`get_secrets.rs`), then deletes each item at its path. The unlock check, the search, the
//! attribute reads and the deletes are called on the connection directly; the `secret-service`
//! crate's handle (its own encrypted session, for storing and reading one secret) is opened
//! only when one of those is needed, so a sign-out never waits for its key exchange.
//!
//! Entries carry the attributes `service` and `username`, as keyring-rs and `secret-tool`
//! use them (`secret-tool lookup service signoff username <account id>` finds an account), and
//! `home`, the data folder they belong to ([`Scope`]): every search names it.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use futures_util::StreamExt;
use secret_service::EncryptionType;
use secret_service::blocking::{Item, SecretService};
use zbus::zvariant::OwnedObjectPath;
use zeroize::Zeroizing;

use super::get_secrets::Secrets;
use super::{Backend, Entry, HOME_ATTRIBUTE, Held, Scope};
use crate::error::{Error, Result};

/// The content type of every entry (the bytes are JSON or a plain secret, both UTF-8).
const CONTENT_TYPE: &str = "text/plain";
/// The Secret Service's bus name, and the interfaces this file calls without the crate.
const SERVICE: &str = "org.freedesktop.secrets";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";
const ITEM_INTERFACE: &str = "org.freedesktop.Secret.Item";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE_INTERFACE: &str = "org.freedesktop.Secret.Service";
const COLLECTION_INTERFACE: &str = "org.freedesktop.Secret.Collection";
/// How many property reads are on the bus at once. Enough to hide the round trips of a
/// sign-out's 30; few enough that listing 1,000 entries never queues thousands of calls in the
/// keyring (which serves them one by one, and still would after this process left).
const IN_FLIGHT: usize = 16;

pub(super) struct Store {
    /// The crate's handle, with its own encrypted session for `set` and `get`, opened on first
    /// use: its Diffie-Hellman exchange takes ~5 ms of CPU here (the crate's modular
    /// exponentiation), and a sign-out needs none of it (the unlock check, the search, the reads
    /// and the deletes are called on the connection directly, the secrets read over our own
    /// session).
    ss: std::sync::OnceLock<SecretService<'static>>,
    /// The connection `ss` talks over, for the calls the crate does not offer.
    conn: zbus::blocking::Connection,
    /// The session for `GetSecrets`, opened on first use.
    secrets: std::sync::OnceLock<Secrets>,
    scope: Scope,
    /// `username` attribute → the item's object path, filled as entries are found or made.
    paths: Mutex<HashMap<String, OwnedObjectPath>>,
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
        let conn = zbus::blocking::Connection::session()
            .map_err(|e| unavailable(secret_service::Error::Zbus(e)))?;
        Ok(Self {
            ss: std::sync::OnceLock::new(),
            conn,
            secrets: std::sync::OnceLock::new(),
            scope,
            paths: Mutex::new(HashMap::new()),
        })
    }

    /// The crate's handle, opened the first time it is needed.
    fn ss(&self) -> Result<&SecretService<'static>> {
        if let Some(ss) = self.ss.get() {
            return Ok(ss);
        }
        let opened = SecretService::connect_with_existing(EncryptionType::Dh, self.conn.clone())
            .map_err(unavailable)?;
        Ok(self.ss.get_or_init(|| opened))
    }

    /// Deletes the item at `path`; `None` when it no longer exists.
    fn delete_at(&self, path: &OwnedObjectPath) -> Result<Option<()>> {
        let reply = self
            .conn
            .call_method(Some(SERVICE), path, Some(ITEM_INTERFACE), "Delete", &())
            .map_err(secret_service::Error::Zbus);
        let Some(reply) = unless_gone(reply)? else {
            return Ok(None);
        };
        let prompt: OwnedObjectPath = body(&reply)?;
        if prompt.as_str() == "/" {
            return Ok(Some(()));
        }
        // A keyring that asks before deleting (gnome-keyring and KeePassXC do not by default):
        // the crate shows its prompt and waits for the answer.
        unless_gone(self.item(path)?.delete())
    }

    /// Whether the default collection is locked, asked on the connection directly (two round
    /// trips, no session needed). No default collection is `NoResult`, as the crate says it.
    fn default_collection_locked(&self) -> Result<bool> {
        let reply = self.call(SERVICE_PATH, SERVICE_INTERFACE, "ReadAlias", &("default",))?;
        let path: OwnedObjectPath = body(&reply)?;
        if path.as_str() == "/" {
            return Err(map(secret_service::Error::NoResult));
        }
        let reply = self.call(
            path.as_str(),
            PROPERTIES,
            "Get",
            &(COLLECTION_INTERFACE, "Locked"),
        )?;
        let locked: zbus::zvariant::OwnedValue = body(&reply)?;
        bool::try_from(locked).map_err(|e| map(secret_service::Error::Zbus(e.into())))
    }

    /// An item by its path (no call on the bus).
    fn item(&self, path: &OwnedObjectPath) -> Result<Item<'_>> {
        self.ss()?.get_item_by_path(path.clone()).map_err(map)
    }

    /// A method of the Secret Service called on the connection directly (for what is needed
    /// before the crate's handle is open).
    fn call<B>(
        &self,
        path: &str,
        interface: &str,
        method: &str,
        body: &B,
    ) -> Result<zbus::message::Message>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .call_method(Some(SERVICE), path, Some(interface), method, body)
            .map_err(|e| map(secret_service::Error::Zbus(e)))
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
    fn search(&self, attributes: HashMap<&str, &str>) -> Result<Vec<OwnedObjectPath>> {
        let reply = self.call(
            SERVICE_PATH,
            SERVICE_INTERFACE,
            "SearchItems",
            &(attributes,),
        )?;
        let (unlocked, locked): (Vec<OwnedObjectPath>, Vec<OwnedObjectPath>) = body(&reply)?;
        if !locked.is_empty() {
            let items = locked
                .iter()
                .map(|p| self.item(p))
                .collect::<Result<Vec<_>>>()?;
            self.ss()?
                .unlock_all(&items.iter().collect::<Vec<_>>())
                .map_err(map)?;
        }
        Ok(unlocked.into_iter().chain(locked).collect())
    }

    /// This data folder's items under `service` (one user's, or every user's) and, when this
    /// folder adopts them, the ones written without a `home` attribute, all from one search:
    /// an item another process adopts meanwhile is seen once, as ours or as unscoped, never
    /// missed between two searches. An item deleted by another program between the search and
    /// the attribute read is not there.
    fn items(&self, service: &str, user: Option<&str>) -> Result<Sorted> {
        let mut attributes = HashMap::from([("service", service)]);
        if let Some(user) = user {
            attributes.insert("username", user);
        }
        if !self.scope.adopt_unscoped {
            attributes.insert(HOME_ATTRIBUTE, self.scope.home.as_str());
        }
        let mut sorted = Sorted::default();
        let paths = self.search(attributes)?;
        let attributes = self.properties::<HashMap<String, String>>(&paths, "Attributes");
        for (path, found) in paths.into_iter().zip(attributes) {
            let Some(found) = unless_gone(found)? else {
                continue;
            };
            let Some(user) = found.get("username") else {
                continue;
            };
            match found.get(HOME_ATTRIBUTE) {
                Some(home) if *home == self.scope.home => sorted.ours.push((user.clone(), path)),
                Some(_) => {}
                None => sorted.unscoped.push((user.clone(), path)),
            }
        }
        Ok(sorted)
    }

    /// The property `name` of each item, asked for all at once: the calls go down the
    /// connection together and the answers come back as the keyring serves them, instead of one
    /// round trip after another (30 items: one wait for the bus, not 30).
    fn properties<T>(
        &self,
        paths: &[OwnedObjectPath],
        name: &str,
    ) -> Vec<std::result::Result<T, secret_service::Error>>
    where
        T: TryFrom<zbus::zvariant::OwnedValue, Error = zbus::zvariant::Error>,
    {
        let conn = self.conn.inner();
        let calls = paths.iter().map(|path| async move {
            let reply = conn
                .call_method(
                    Some(SERVICE),
                    path,
                    Some(PROPERTIES),
                    "Get",
                    &(ITEM_INTERFACE, name),
                )
                .await?;
            let value: zbus::zvariant::OwnedValue = reply.body().deserialize()?;
            Ok(T::try_from(value)?)
        });
        let answers: Vec<zbus::Result<T>> = async_io::block_on(
            futures_util::stream::iter(calls)
                .buffered(IN_FLIGHT)
                .collect(),
        );
        answers
            .into_iter()
            .map(|r| r.map_err(secret_service::Error::Zbus))
            .collect()
    }

    /// Runs `op` on the entry's item: first at its remembered path, and if that item is gone,
    /// at the path a fresh search finds. `None` when the keyring has no such entry (`op` gives
    /// `None` for an item that is gone).
    fn with_item<T>(
        &self,
        service: &str,
        user: &str,
        op: impl Fn(&OwnedObjectPath) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        if let Some(path) = self.remembered(user) {
            match op(&path)? {
                Some(value) => return Ok(Some(value)),
                None => self.remember(user, None),
            }
        }
        let Some(path) = self.find(service, user)? else {
            return Ok(None);
        };
        op(&path)
    }

    /// Searches the keyring for the entry, unlocking it if needed (which may show the
    /// keyring's unlock prompt), and remembers its path.
    /// An entry written without a `home` attribute is scoped to this data folder as it is found.
    fn find(&self, service: &str, user: &str) -> Result<Option<OwnedObjectPath>> {
        let sorted = self.items(service, Some(user))?;
        let mut path = sorted.ours.into_iter().next().map(|(_, path)| path);
        if path.is_none() {
            path = sorted.unscoped.into_iter().next().map(|(_, path)| path);
            if let Some(old) = &path {
                self.item(old)?
                    .set_attributes(self.attributes(service, user))
                    .map_err(map)?;
            }
        }
        if let Some(path) = &path {
            self.remember(user, Some(path.clone()));
        }
        Ok(path)
    }

    /// The `GetSecrets` session, opened the first time it is needed.
    fn secrets(&self) -> Result<&Secrets> {
        if let Some(s) = self.secrets.get() {
            return Ok(s);
        }
        let opened = Secrets::open(&self.conn)?;
        Ok(self.secrets.get_or_init(|| opened))
    }

    fn remembered(&self, user: &str) -> Option<OwnedObjectPath> {
        self.paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(user)
            .cloned()
    }

    fn remember(&self, user: &str, path: Option<OwnedObjectPath>) {
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
        if !self.default_collection_locked()? {
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
        let collection = self.ss()?.get_default_collection().map_err(map)?;
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
            self.delete_at(&old)?;
        }
        Ok(())
    }

    /// The secret stored under (`service`, `user`); `None` when there is no such entry.
    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.with_item(service, user, |path| {
            unless_gone(self.item(path)?.get_secret().map(Zeroizing::new))
        })
    }

    /// Deletes the entry under (`service`, `user`); `false` when there was none.
    fn delete(&self, service: &str, user: &str) -> Result<bool> {
        let deleted = self
            .with_item(service, user, |path| self.delete_at(path))?
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
        let mut scoped: HashMap<String, OwnedObjectPath> = sorted.ours.into_iter().collect();
        for (user, path) in sorted.unscoped {
            if let std::collections::hash_map::Entry::Vacant(slot) = scoped.entry(user)
                && unless_gone(
                    self.item(&path)?
                        .set_attributes(self.attributes(service, slot.key())),
                )?
                .is_some()
            {
                slot.insert(path);
            }
        }
        let paths: Vec<_> = scoped.values().cloned().collect();
        let mut secrets = self.secrets()?.get(&paths)?;
        let mut held = Vec::with_capacity(scoped.len());
        for (user, path) in scoped {
            // An item deleted between the search and the read is simply not there.
            let Some(secret) = secrets.remove(&path) else {
                continue;
            };
            held.push(Held {
                user: user.clone(),
                at: path.to_string(),
                secret,
            });
            self.remember(&user, Some(path));
        }
        Ok(held)
    }

    /// Deletes the item at `held.at`; if another program removed it since, the entry is
    /// looked up afresh.
    fn delete_held(&self, service: &str, held: &Held) -> Result<bool> {
        let path = OwnedObjectPath::try_from(held.at.as_str()).map_err(|e| Error::Keychain {
            detail: format!("not an item path: {e}"),
        })?;
        let deleted = self.delete_at(&path)?;
        self.remember(&held.user, None);
        match deleted {
            Some(()) => Ok(true),
            None => self.delete(service, &held.user),
        }
    }

    /// Every item of this data folder whose `service` attribute is `service` (and the unscoped
    /// ones it adopts), unlocking locked ones: a locked item must not go unlisted.
    fn entries(&self, service: &str) -> Result<Vec<Entry>> {
        let sorted = self.items(service, None)?;
        let ours: HashSet<String> = sorted.ours.iter().map(|(user, _)| user.clone()).collect();
        let (users, paths): (Vec<String>, Vec<OwnedObjectPath>) = sorted
            .ours
            .into_iter()
            .chain(
                sorted
                    .unscoped
                    .into_iter()
                    .filter(|(user, _)| !ours.contains(user)),
            )
            .unzip();
        let mut entries = Vec::new();
        for (user, label) in users
            .into_iter()
            .zip(self.properties::<String>(&paths, "Label"))
        {
            let Some(label) = unless_gone(label)? else {
                continue;
            };
            entries.push(Entry { user, label });
        }
        Ok(entries)
    }
}

/// The body of a reply from the Secret Service, as `T`.
fn body<T>(reply: &zbus::message::Message) -> Result<T>
where
    T: serde::de::DeserializeOwned + zbus::zvariant::Type,
{
    reply
        .body()
        .deserialize()
        .map_err(|e| map(secret_service::Error::Zbus(e)))
}

/// Items found by one search, by whose they are; each with its `username`.
#[derive(Default)]
struct Sorted {
    /// This data folder's.
    ours: Vec<(String, OwnedObjectPath)>,
    /// Written without a `home` attribute (only when this folder adopts them).
    unscoped: Vec<(String, OwnedObjectPath)>,
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

/// An error opening the connection or the crate's session: the keychain is not there to use.
fn unavailable(e: secret_service::Error) -> Error {
    match map(e) {
        Error::Keychain { detail } => Error::KeychainUnavailable { detail },
        other => other,
    }
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
