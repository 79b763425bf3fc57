//! Claims: one process at a time may sign out an account. A claim is an exclusive OS file lock
//! on `<data dir>/claims/<account id>.lock`, so it dies with the process that holds it: after a
//! crash (even `kill -9`) the next run takes the account over at once, with no timeout.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::account::AccountId;
use crate::error::{Error, Result};

/// A held claim; dropping it releases the account.
#[derive(Debug)]
pub struct Claim {
    _file: File,
    path: PathBuf,
}

impl Claim {
    /// Tries to claim `id`. `Ok(None)` when another process (or another claim in this one)
    /// holds it.
    pub fn try_acquire(data_dir: &Path, id: &AccountId) -> Result<Option<Self>> {
        let dir = data_dir.join("claims");
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            action: "cannot create",
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{}.lock", id.as_str()));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Io {
                action: "cannot open",
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(source)) => Err(Error::Io {
                action: "cannot lock",
                path,
                source,
            }),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let id = AccountId::generate();
        let first = Claim::try_acquire(dir.path(), &id).unwrap().expect("free");
        assert!(
            Claim::try_acquire(dir.path(), &id).unwrap().is_none(),
            "held"
        );
        let other = AccountId::generate();
        assert!(
            Claim::try_acquire(dir.path(), &other).unwrap().is_some(),
            "per account"
        );
        drop(first);
        assert!(
            Claim::try_acquire(dir.path(), &id).unwrap().is_some(),
            "released on drop"
        );
    }
}
