//! Accounts: the metadata Signoff keeps about a signed-in session (never its tokens).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// An account's id: a UUID, also the keychain entry's user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// Parses an id given by a person or the page; only UUIDs are accepted.
    pub fn parse(s: &str) -> Result<Self> {
        let u = uuid::Uuid::parse_str(s.trim())
            .map_err(|_| Error::invalid("account id", "expected an account id (a UUID)"))?;
        Ok(Self(u.hyphenated().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

named!(
    /// Where an account stands, as a person sees it.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AccountStatus {
        /// Being added: the row exists, the token may not be in the keychain yet.
        Adding,
        /// Signed in: the token is in the keychain.
        SignedIn,
        /// A sign-out has started and not finished.
        SigningOut,
        /// Signed out locally; the server has not confirmed the revocation yet.
        Pending,
        /// The provider refused with a permanent error; a person must decide.
        NeedsAttention,
        /// Signed out: the provider confirmed (or has no revocation) and the token is gone.
        SignedOut,
    }
);

impl AccountStatus {
    /// What a person may do to an account in this status, in the order the window offers it.
    pub fn actions(self) -> &'static [AccountAction] {
        match self {
            Self::SignedIn => &[AccountAction::SignOut],
            Self::Pending | Self::NeedsAttention => {
                &[AccountAction::RetryNow, AccountAction::Forget]
            }
            Self::Adding | Self::SigningOut | Self::SignedOut => &[],
        }
    }
}

named!(
    /// An action on one account, as the window's buttons and the tray offer them.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AccountAction {
        /// End the session at the provider, then delete the tokens here.
        SignOut,
        /// Try a pending or failed sign-out again now.
        RetryNow,
        /// Delete the tokens here without revoking (the session may live on).
        Forget,
    }
);

/// An account as listed to people: who, where, since when, and a plain status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Account {
    pub id: AccountId,
    pub provider_id: String,
    pub label: String,
    pub subject: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: OffsetDateTime,
    pub status: AccountStatus,
    /// For `pending`: when the next revocation attempt is due.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// For `pending` and `needs_attention`: the provider's last error (never a token).
    #[serde(default)]
    pub last_error: Option<crate::outcome::Reason>,
    /// When the access token expires, where known.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub access_expires_at: Option<OffsetDateTime>,
    /// Where the account came from: `signoff` (signed in or added here) or the id of the tool
    /// whose store it was found in (`gh`, `npm`, …).
    #[serde(default = "own_origin")]
    pub origin: String,
}

/// The origin of accounts signed in or added in Signoff itself.
pub const OWN_ORIGIN: &str = "signoff";

fn own_origin() -> String {
    OWN_ORIGIN.to_owned()
}

impl Account {
    /// True for a session found in another tool's store.
    pub fn is_found(&self) -> bool {
        self.origin != OWN_ORIGIN
    }
}

impl Account {
    /// A new account row, not yet stored.
    pub fn new(provider_id: String, label: String, subject: Option<String>) -> Self {
        Self {
            id: AccountId::generate(),
            provider_id,
            label,
            subject,
            created_at: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            status: AccountStatus::Adding,
            next_attempt_at: None,
            last_error: None,
            access_expires_at: None,
            origin: own_origin(),
        }
    }
}

/// What a person gives to add an account (the tokens travel separately, as secrets).
#[derive(Debug, Clone, Deserialize)]
pub struct NewAccount {
    pub provider_id: String,
    pub label: String,
    #[serde(default)]
    pub subject: Option<String>,
}

impl NewAccount {
    /// Checks every field; input from the page or the command line is untrusted.
    pub fn validate(&self) -> Result<()> {
        validate_provider_id(&self.provider_id)?;
        validate_text("label", &self.label, 200)?;
        if let Some(s) = &self.subject {
            validate_text("subject", s, 320)?;
        }
        Ok(())
    }
}

/// A provider id: 1 to 64 characters of `[a-z0-9-]`.
pub fn validate_provider_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::invalid("provider id", "must be 1 to 64 characters"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::invalid(
            "provider id",
            "only a-z, 0-9 and '-' are allowed",
        ));
    }
    Ok(())
}

fn validate_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_uuids() {
        let id = AccountId::generate();
        assert_eq!(AccountId::parse(id.as_str()).unwrap(), id);
        assert!(AccountId::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn new_account_validation() {
        let ok = NewAccount {
            provider_id: "meshydb".into(),
            label: "Work".into(),
            subject: None,
        };
        assert!(ok.validate().is_ok());
        let bad_provider = NewAccount {
            provider_id: "Mesh DB".into(),
            ..ok.clone()
        };
        assert_eq!(
            bad_provider.validate().unwrap_err().code(),
            crate::ErrorCode::InvalidInput
        );
        let blank = NewAccount {
            label: "  ".into(),
            ..ok.clone()
        };
        assert!(blank.validate().is_err());
        let ctrl = NewAccount {
            label: "a\u{7}b".into(),
            ..ok.clone()
        };
        assert!(ctrl.validate().is_err());
        let long = NewAccount {
            label: "x".repeat(201),
            ..ok
        };
        assert!(long.validate().is_err());
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            AccountStatus::Adding,
            AccountStatus::SignedIn,
            AccountStatus::SigningOut,
            AccountStatus::Pending,
            AccountStatus::NeedsAttention,
            AccountStatus::SignedOut,
        ] {
            assert_eq!(s.as_str().parse::<AccountStatus>().ok(), Some(s));
        }
    }
}
