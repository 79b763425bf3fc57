//! Linux: the freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over D-Bus.

use std::sync::Arc;

use keyring_core::CredentialStore;

use crate::error::{Error, Result};

pub(super) fn open_store() -> Result<Arc<CredentialStore>> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
        && std::env::var_os("XDG_RUNTIME_DIR").is_none()
    {
        return Err(Error::KeychainUnavailable {
            detail: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
        });
    }
    let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| {
        Error::KeychainUnavailable {
            detail: e.to_string(),
        }
    })?;
    Ok(store)
}

/// Errors from D-Bus that mean "nobody provides the Secret Service" rather than a refusal.
pub(super) fn means_unavailable(message: &str) -> bool {
    [
        "ServiceUnknown",
        "NameHasNoOwner",
        "No such file or directory",
        "Connection refused",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
