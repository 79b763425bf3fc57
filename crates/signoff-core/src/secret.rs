//! The secret type: a string that never prints, never serialises, and is zeroed on drop.

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

/// A token or client secret held in memory. `Debug` prints `[redacted]`; there is deliberately no
/// `Display` (a secret cannot be formatted into a message by accident) and no `Serialize`, so a secret cannot end up in JSON, IPC payloads or the database by
/// accident. Use [`SecretString::expose_secret`] at the one place a secret must leave (the keychain
/// or an HTTP request body).
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself. Call only where it must be sent or stored in the keychain.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// True when the secret is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = SecretString::new("hunter2-refresh".into());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        assert_eq!(s.expose_secret(), "hunter2-refresh");
    }

    #[test]
    fn blank_detection() {
        assert!(SecretString::new("  \n".into()).is_blank());
        assert!(!SecretString::new("x".into()).is_blank());
    }
}
