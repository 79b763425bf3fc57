//! Platforms without a wired-up keychain store yet: every operation says so.

use std::sync::Arc;

use keyring_core::CredentialStore;

use crate::error::{Error, Result};

pub(super) fn open_store() -> Result<Arc<CredentialStore>> {
    Err(Error::KeychainUnavailable {
        detail: "this platform's keychain is not supported by this build of Signoff".into(),
    })
}

pub(super) fn means_unavailable(_message: &str) -> bool {
    true
}
