//! Account changes as a stream the shells follow, so a window or a tray is never stale and no
//! command has to announce its own writes.
//!
//! Two feeds: the store's own writes (every write of this process's [`Store`](crate::store::Store)
//! tells [`Changes`] at once), and the writes of other processes (the CLI, a second app), which
//! SQLite gives no signal for: a [`ChangeStream`] looks for them every [`LOOK_ELSEWHERE_EVERY`]
//! through `PRAGMA data_version` on the store's connection, a number that changes when another
//! connection commits (and not for the connection's own commits, which the first feed covers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

/// How often a [`ChangeStream`] looks for other processes' writes.
pub const LOOK_ELSEWHERE_EVERY: Duration = Duration::from_secs(1);

/// Reads the store connection's `PRAGMA data_version` (`None` when it cannot be read now).
type Probe = dyn Fn() -> Option<i64> + Send + Sync;

/// The change feed of one store. Cheap to clone; every clone feeds the same subscribers.
#[derive(Clone)]
pub struct Changes {
    inner: Arc<Inner>,
}

struct Inner {
    /// How many changes were seen so far (the value itself means nothing).
    count: watch::Sender<u64>,
    probe: Box<Probe>,
    /// The `data_version` last read: a different one means another process wrote.
    version: Mutex<Option<i64>>,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("count", &*self.inner.count.borrow())
            .finish_non_exhaustive()
    }
}

impl Changes {
    /// A feed whose other-process look reads `probe` (called once now, for a starting point).
    pub(crate) fn new(probe: impl Fn() -> Option<i64> + Send + Sync + 'static) -> Self {
        let version = Mutex::new(probe());
        Self {
            inner: Arc::new(Inner {
                count: watch::Sender::new(0),
                probe: Box::new(probe),
                version,
            }),
        }
    }

    /// This process wrote: every subscriber wakes.
    pub(crate) fn wrote(&self) {
        self.inner.count.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Looks once for other processes' writes (a blocking SQLite call) and wakes every
    /// subscriber when there were some.
    fn look_elsewhere(&self) {
        let Some(now) = (self.inner.probe)() else {
            return;
        };
        let mut version = self
            .inner
            .version
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if version.replace(now) != Some(now) {
            drop(version);
            self.wrote();
        }
    }

    /// A new subscription; its first [`ChangeStream::changed`] waits for the next change.
    pub fn subscribe(&self) -> ChangeStream {
        ChangeStream {
            seen: self.inner.count.subscribe(),
            changes: self.clone(),
        }
    }
}

/// One subscriber's view of the feed.
#[derive(Debug)]
pub struct ChangeStream {
    seen: watch::Receiver<u64>,
    changes: Changes,
}

impl ChangeStream {
    /// Waits until accounts (or the audit log) changed since the last call: at once for this
    /// process's writes, within [`LOOK_ELSEWHERE_EVERY`] for another's. Changes that come
    /// while nobody waits are not lost; several of them wake the next call once.
    pub async fn changed(&mut self) {
        loop {
            tokio::select! {
                // Never an error: `self.changes` keeps the sender alive.
                _ = self.seen.changed() => break,
                () = tokio::time::sleep(LOOK_ELSEWHERE_EVERY) => {
                    let changes = self.changes.clone();
                    // A panicking probe is one missed look, not a stopped stream.
                    let _ = tokio::task::spawn_blocking(move || changes.look_elsewhere()).await;
                }
            }
        }
        self.mark_seen();
    }

    /// Takes every change so far as seen, without waiting: after a pause that let a burst of
    /// writes finish, the next [`Self::changed`] waits for a write after the pause.
    pub fn mark_seen(&mut self) {
        self.seen.borrow_and_update();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::account::{Account, AccountStatus};
    use crate::store::Store;

    fn sample() -> Account {
        Account::new("matar".into(), "Phone".into(), None)
    }

    async fn within(limit: std::time::Duration, stream: &mut super::ChangeStream) -> bool {
        tokio::time::timeout(limit, stream.changed()).await.is_ok()
    }

    #[tokio::test]
    async fn own_writes_wake_at_once_and_reads_do_not() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("s.db")).unwrap();
        let mut stream = store.changes().subscribe();
        store.insert_account(&sample()).unwrap();
        let started = Instant::now();
        assert!(within(super::LOOK_ELSEWHERE_EVERY / 2, &mut stream).await);
        assert!(started.elapsed() < super::LOOK_ELSEWHERE_EVERY / 2);
        store
            .accounts_with_status(&[AccountStatus::SignedIn])
            .unwrap();
        assert!(!within(super::LOOK_ELSEWHERE_EVERY * 3, &mut stream).await);
    }

    #[tokio::test]
    async fn another_connections_commit_wakes_within_a_look() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("s.db");
        let watched = Store::open(&db).unwrap();
        let other = Store::open(&db).unwrap();
        let mut stream = watched.changes().subscribe();
        other.insert_account(&sample()).unwrap();
        assert!(within(super::LOOK_ELSEWHERE_EVERY * 3, &mut stream).await);
        // Seen once: nothing more until the next write.
        assert!(!within(super::LOOK_ELSEWHERE_EVERY * 2, &mut stream).await);
    }
}
