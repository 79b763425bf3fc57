//! Platforms without a wired-up keychain store yet: every operation says so.

use zeroize::Zeroizing;

use super::{Backend, Entry, Scope};
use crate::error::{Error, Result};

pub(super) enum Store {}

impl Store {
    pub(super) fn open(_: Scope) -> Result<Self> {
        Err(Error::KeychainUnavailable {
            detail: "this platform's keychain is not supported by this build of Signoff".into(),
        })
    }
}

impl Backend for Store {
    fn ensure_unlocked(&self, _: std::time::Duration) -> Result<()> {
        match *self {}
    }

    fn set(&self, _: &str, _: &str, _: &str, _: &[u8]) -> Result<()> {
        match *self {}
    }

    fn get(&self, _: &str, _: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match *self {}
    }

    fn delete(&self, _: &str, _: &str) -> Result<bool> {
        match *self {}
    }

    fn entries(&self, _: &str) -> Result<Vec<Entry>> {
        match *self {}
    }
}
