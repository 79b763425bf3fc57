//! Other tools' Secret Service items (gh's `gh:<host>`, glab's `glab:<host>`, git's libsecret
//! helper, Docker's credential helper): searched by attributes in unlocked collections only —
//! an item in a locked collection is counted, never unlocked, so a scan never shows the
//! keyring's prompt — and deleted by matching the exact secret again.

use std::collections::{BTreeMap, HashMap};

use secret_service::EncryptionType;
use secret_service::blocking::SecretService;
use zeroize::Zeroizing;

use crate::secret::SecretString;

/// A connection to the session's Secret Service.
pub struct Keyring {
    ss: SecretService<'static>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring")
    }
}

/// One item another tool stored.
#[derive(Debug)]
pub struct ForeignItem {
    pub label: String,
    pub attributes: BTreeMap<String, String>,
    pub secret: SecretString,
}

/// What a search saw.
#[derive(Debug, Default)]
pub struct Found {
    pub items: Vec<ForeignItem>,
    /// Matching items in locked collections (not read: reading them would prompt).
    pub locked: usize,
    /// Items whose secret is not UTF-8 text (not a token any of the tools writes).
    pub unreadable: usize,
}

impl Keyring {
    /// Connects to the session bus's Secret Service.
    pub fn connect() -> Result<Self, String> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
            && std::env::var_os("XDG_RUNTIME_DIR").is_none()
        {
            return Err("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into());
        }
        SecretService::connect(EncryptionType::Dh)
            .map(|ss| Self { ss })
            .map_err(|e| format!("the Secret Service is not reachable: {e}"))
    }

    /// Items whose attributes include all of `attributes`, in unlocked collections.
    pub fn search(&self, attributes: &[(&str, &str)]) -> Result<Found, String> {
        let attrs: HashMap<&str, &str> = attributes.iter().copied().collect();
        let result = self
            .ss
            .search_items(attrs)
            .map_err(|e| format!("the keyring search failed: {e}"))?;
        let mut found = Found {
            locked: result.locked.len(),
            ..Found::default()
        };
        for item in result.unlocked {
            let (Ok(label), Ok(attributes), Ok(secret)) =
                (item.get_label(), item.get_attributes(), item.get_secret())
            else {
                found.unreadable += 1;
                continue;
            };
            let secret = Zeroizing::new(secret);
            match std::str::from_utf8(&secret) {
                Ok(text) => found.items.push(ForeignItem {
                    label,
                    attributes: attributes.into_iter().collect(),
                    secret: SecretString::new(text.to_owned()),
                }),
                Err(_) => found.unreadable += 1,
            }
        }
        Ok(found)
    }

    /// Deletes every unlocked item with exactly `attributes` whose secret is `secret` (or
    /// starts with it and a newline: git's libsecret helper keeps `key=value` lines after the
    /// password). Returns how many were deleted.
    pub fn delete_matching(
        &self,
        attributes: &BTreeMap<String, String>,
        secret: &SecretString,
    ) -> Result<usize, String> {
        // gnome-keyring matches no item on an empty value (gh's `username=""`): search by the
        // others, then keep only items with exactly these attributes (`xdg:schema` aside).
        let attrs: HashMap<&str, &str> = attributes
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let result = self
            .ss
            .search_items(attrs)
            .map_err(|e| format!("the keyring search failed: {e}"))?;
        let mut deleted = 0;
        let wanted = without_schema(attributes.clone());
        for item in result.unlocked {
            let same_attributes = item
                .get_attributes()
                .map(|a| without_schema(a.into_iter().collect()) == wanted)
                .unwrap_or(false);
            let Ok(value) = item.get_secret().map(Zeroizing::new) else {
                continue;
            };
            if same_attributes && holds(&value, secret) {
                item.delete()
                    .map_err(|e| format!("the keyring refused to delete the item: {e}"))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

/// The attributes without libsecret's `xdg:schema`, which gnome-keyring reports on some reads
/// of an item and not on others.
fn without_schema(mut a: BTreeMap<String, String>) -> BTreeMap<String, String> {
    a.remove("xdg:schema");
    a
}

/// True when an item's secret is `secret`, alone or as the first line.
fn holds(value: &[u8], secret: &SecretString) -> bool {
    let s = secret.expose_secret().as_bytes();
    value == s || (value.starts_with(s) && value.get(s.len()) == Some(&b'\n'))
}
