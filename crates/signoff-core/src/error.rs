//! The core's error type, with stable machine codes that the CLI and the app branch on.

use std::path::PathBuf;

use serde::Serialize;

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable, machine-readable error codes. Their `snake_case` names are part of Signoff's interface:
/// the CLI prints them in `--json` output and the app turns them into sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    KeychainUnavailable,
    KeychainLocked,
    KeychainError,
    StoreError,
    InvalidInput,
    NotFound,
    Io,
    SignInFailed,
    TokenRejected,
    CheckUnavailable,
}

impl ErrorCode {
    /// The code as it appears in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeychainUnavailable => "keychain_unavailable",
            Self::KeychainLocked => "keychain_locked",
            Self::KeychainError => "keychain_error",
            Self::StoreError => "store_error",
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::Io => "io",
            Self::SignInFailed => "sign_in_failed",
            Self::TokenRejected => "token_rejected",
            Self::CheckUnavailable => "check_unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in the core. Messages say what happened and what to do; they
/// never contain a token or a client secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the OS keychain is not available ({detail}). Signoff keeps tokens only in the keychain: \
         start a Secret Service (for example gnome-keyring or KeePassXC) in your desktop session \
         and try again"
    )]
    KeychainUnavailable { detail: String },

    #[error(
        "the OS keychain is locked ({detail}). Unlock your keyring (log in to your desktop \
         session, or unlock it in your keyring manager) and try again"
    )]
    KeychainLocked { detail: String },

    #[error("the OS keychain refused the operation: {detail}")]
    Keychain { detail: String },

    #[error("the account database at {path} failed: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("the account database at {path} could not be migrated: {source}")]
    Migration {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },

    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },

    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },

    #[error("signing in failed: {reason}")]
    SignIn { reason: String },

    #[error("{provider} does not accept this token ({detail}); nothing was stored")]
    TokenRejected { provider: String, detail: String },

    #[error(
        "could not check the token with {provider} ({detail}); nothing was stored, try again \
         later"
    )]
    CheckUnavailable { provider: String, detail: String },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::KeychainUnavailable { .. } => ErrorCode::KeychainUnavailable,
            Self::KeychainLocked { .. } => ErrorCode::KeychainLocked,
            Self::Keychain { .. } => ErrorCode::KeychainError,
            Self::Store { .. } | Self::Migration { .. } => ErrorCode::StoreError,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Io { .. } => ErrorCode::Io,
            Self::SignIn { .. } => ErrorCode::SignInFailed,
            Self::TokenRejected { .. } => ErrorCode::TokenRejected,
            Self::CheckUnavailable { .. } => ErrorCode::CheckUnavailable,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

/// A serialisable view of an error for IPC and `--json` output: code plus human message.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub code: ErrorCode,
    pub message: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}
