//! Platforms without a wired-up keychain store yet: every operation says so.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub(super) enum Store {}

impl Store {
    pub(super) fn open() -> Result<Self> {
        Err(Error::KeychainUnavailable {
            detail: "this platform's keychain is not supported by this build of Signoff".into(),
        })
    }

    pub(super) fn ensure_unlocked(&self, _: std::time::Duration) -> Result<()> {
        match *self {}
    }

    pub(super) fn set(&self, _: &str, _: &str, _: &str, _: &[u8]) -> Result<()> {
        match *self {}
    }

    pub(super) fn get(&self, _: &str, _: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match *self {}
    }

    pub(super) fn delete(&self, _: &str, _: &str) -> Result<bool> {
        match *self {}
    }
}
