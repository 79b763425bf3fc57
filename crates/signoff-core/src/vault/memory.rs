//! Tests only: a keychain in memory that can be told to fail, for the faults a real
//! gnome-keyring cannot be made to show on cue (a put that fails after a rotating refresh, a
//! delete that fails after the provider confirmed).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use zeroize::Zeroizing;

use super::{Backend, Entry, Held};
use crate::error::{Error, Result};

/// An in-memory keychain; clones share their entries and faults.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (service, user) → (label, secret).
    entries: BTreeMap<(String, String), (String, Vec<u8>)>,
    /// How many of the next puts fail.
    failing_puts: u32,
    /// How many of the next deletes fail.
    failing_deletes: u32,
    /// How many of the next reads fail.
    failing_gets: u32,
    /// Puts tried, failed ones included.
    puts: u32,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next `n` puts fail with a keychain error.
    pub fn fail_puts(&self, n: u32) {
        self.inner().failing_puts = n;
    }

    /// The next `n` deletes fail with a keychain error.
    pub fn fail_deletes(&self, n: u32) {
        self.inner().failing_deletes = n;
    }

    /// The next `n` reads fail with a keychain error.
    pub fn fail_gets(&self, n: u32) {
        self.inner().failing_gets = n;
    }

    /// How many puts were tried so far.
    pub fn puts(&self) -> u32 {
        self.inner().puts
    }
}

/// Fails with an injected keychain error if `left` faults remain, counting one off.
fn take_fault(left: &mut u32, what: &str) -> Result<()> {
    if *left == 0 {
        return Ok(());
    }
    *left -= 1;
    Err(injected(what))
}

fn injected(what: &str) -> Error {
    Error::Keychain {
        detail: format!("injected fault: the keychain refused the {what}"),
    }
}

impl Backend for MemoryStore {
    fn ensure_unlocked(&self, _: std::time::Duration) -> Result<()> {
        Ok(())
    }

    fn set(&self, service: &str, user: &str, label: &str, secret: &[u8]) -> Result<()> {
        let mut inner = self.inner();
        inner.puts += 1;
        take_fault(&mut inner.failing_puts, "write")?;
        inner.entries.insert(
            (service.to_owned(), user.to_owned()),
            (label.to_owned(), secret.to_vec()),
        );
        Ok(())
    }

    fn get(&self, service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let mut inner = self.inner();
        take_fault(&mut inner.failing_gets, "read")?;
        Ok(inner
            .entries
            .get(&(service.to_owned(), user.to_owned()))
            .map(|(_, secret)| Zeroizing::new(secret.clone())))
    }

    fn delete(&self, service: &str, user: &str) -> Result<bool> {
        let mut inner = self.inner();
        take_fault(&mut inner.failing_deletes, "delete")?;
        Ok(inner
            .entries
            .remove(&(service.to_owned(), user.to_owned()))
            .is_some())
    }

    fn read_all(&self, service: &str) -> Result<Vec<Held>> {
        let mut inner = self.inner();
        take_fault(&mut inner.failing_gets, "read")?;
        Ok(inner
            .entries
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|((_, user), (_, secret))| Held {
                user: user.clone(),
                at: user.clone(),
                secret: Zeroizing::new(secret.clone()),
            })
            .collect())
    }

    fn delete_held(&self, service: &str, held: &Held) -> Result<bool> {
        self.delete(service, &held.user)
    }

    fn entries(&self, service: &str) -> Result<Vec<Entry>> {
        Ok(self
            .inner()
            .entries
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|((_, user), (label, _))| Entry {
                user: user.clone(),
                label: label.clone(),
            })
            .collect())
    }
}
