//! The vault: an account's tokens in the OS keychain, and nowhere else.
//!
//! One keychain entry per account (service `signoff`, user = account id) holding the token bundle
//! as JSON. There is no plaintext fallback: when the keychain is missing or locked the operation
//! fails with [`Error::KeychainUnavailable`] or [`Error::KeychainLocked`].
//! The platform store is chosen in one file per platform (`secret_service.rs` on Linux).

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use crate::account::AccountId;
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(target_os = "linux")]
use secret_service as platform;

#[cfg(not(target_os = "linux"))]
mod unsupported;
#[cfg(not(target_os = "linux"))]
use unsupported as platform;

/// The keychain service name of every Signoff entry.
pub const SERVICE: &str = "signoff";

/// Access to Signoff's entries in the OS keychain.
pub struct Vault {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("service", &SERVICE)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Connects to the platform keychain (the Secret Service on Linux).
    pub fn open() -> Result<Self> {
        Ok(Self {
            store: platform::open_store()?,
        })
    }

    fn entry(&self, id: &AccountId, label: Option<&str>) -> Result<Entry> {
        self.entry_for(id.as_str(), label)
    }

    fn entry_for(&self, user: &str, label: Option<&str>) -> Result<Entry> {
        let mut mods = HashMap::new();
        if let Some(label) = label {
            mods.insert("label", label);
        }
        let mods = (!mods.is_empty()).then_some(&mods);
        self.store.build(SERVICE, user, mods).map_err(map_error)
    }

    /// Stores (or replaces) an account's tokens. `label` is what keychain managers show.
    pub fn put(&self, id: &AccountId, label: &str, tokens: &TokenBundle) -> Result<()> {
        let label = format!("Signoff: {label}");
        let entry = self.entry(id, Some(&label))?;
        entry
            .set_password(tokens.to_keychain_json().expose_secret())
            .map_err(map_error)
    }

    /// Reads an account's tokens; `None` when the keychain has no entry for it.
    pub fn get(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        let entry = self.entry(id, None)?;
        match entry.get_password() {
            Ok(json) => {
                let json = SecretString::new(json);
                TokenBundle::from_json(json.expose_secret())
                    .map(Some)
                    .map_err(|_| Error::Keychain {
                        detail: format!("the entry for account {id} is damaged"),
                    })
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Deletes an account's tokens. Idempotent: returns `false` when there was nothing to delete.
    pub fn delete(&self, id: &AccountId) -> Result<bool> {
        let entry = self.entry(id, None)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }
}

impl Vault {
    /// Stores (or replaces) a provider's client secret.
    pub fn put_client_secret(&self, provider_id: &str, secret: &SecretString) -> Result<()> {
        let label = format!("Signoff: client secret for {provider_id}");
        let entry = self.entry_for(&client_secret_user(provider_id), Some(&label))?;
        entry
            .set_password(secret.expose_secret())
            .map_err(map_error)
    }

    /// A provider's client secret, if one was stored.
    pub fn client_secret(&self, provider_id: &str) -> Result<Option<SecretString>> {
        let entry = self.entry_for(&client_secret_user(provider_id), None)?;
        match entry.get_password() {
            Ok(s) => Ok(Some(SecretString::new(s))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Deletes a provider's client secret. Idempotent.
    pub fn delete_client_secret(&self, provider_id: &str) -> Result<bool> {
        let entry = self.entry_for(&client_secret_user(provider_id), None)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }
}

/// Client secrets sit beside account entries; account ids are UUIDs, so names never collide.
fn client_secret_user(provider_id: &str) -> String {
    format!("client-secret:{provider_id}")
}

/// Turns a keyring error into one that says which problem it is and what to do.
fn map_error(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(inner) => Error::KeychainLocked {
            detail: inner.to_string(),
        },
        K::NoDefaultStore => Error::KeychainUnavailable {
            detail: "no keychain store".into(),
        },
        K::PlatformFailure(inner) if platform::means_unavailable(&inner.to_string()) => {
            Error::KeychainUnavailable {
                detail: inner.to_string(),
            }
        }
        other => Error::Keychain {
            detail: other.to_string(),
        },
    }
}
