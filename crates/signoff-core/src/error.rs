//! The core's error type, with stable machine codes that the CLI and the app branch on.

use std::path::PathBuf;

use serde::Serialize;

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

named!(
    /// Stable, machine-readable error codes. Their `snake_case` names are part of Signoff's interface:
    /// the CLI prints them in `--json` output and the app turns them into sentences.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    #[non_exhaustive]
    pub enum ErrorCode {
        /// No Secret Service answers on the session bus (none running, no D-Bus session).
        KeychainUnavailable,
        /// The keychain is locked and was not unlocked.
        KeychainLocked,
        /// The keychain refused an operation for another reason.
        KeychainError,
        /// The account database failed (or could not be migrated).
        StoreError,
        /// An argument was refused (its field and why are in the message).
        InvalidInput,
        /// No account, provider or other thing with that id.
        NotFound,
        /// Reading or writing a file failed.
        Io,
        /// Signing in failed (the provider refused, or its answer was unusable).
        SignInFailed,
        /// The person cancelled the sign-in.
        SignInCancelled,
        /// The browser did not come back, or the code shown was not approved, within the
        /// sign-in's time.
        SignInTimedOut,
        /// The person (or the provider) refused the sign-in at the provider.
        SignInDenied,
        /// The provider refused a pasted token; nothing was stored.
        TokenRejected,
        /// A pasted token could not be checked with the provider; nothing was stored.
        CheckUnavailable,
        /// Another Signoff process is working on that account right now; try again shortly.
        Busy,
        /// A folder or file Signoff must trust belongs to another user or may be written by
        /// others.
        UnsafePermissions,
        /// Another tool's store could not be read; it was left as it was.
        ToolStoreUnreadable,
        /// Another tool's store is in a shape Signoff cannot edit safely; it was left as it was.
        ToolStoreUnsupported,
        /// Another tool's store kept changing during the edit; it was left as it was.
        ToolStoreChanged,
        /// Another tool's store could not be written; it was left as it was.
        ToolStoreUnwritable,
        /// Another tool's credential helper failed to remove its entry.
        ToolHelperFailed,
    }
);

/// Everything that can go wrong in the core. Messages say what happened and what to do; they
/// never contain a token or a client secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No Secret Service answers on the session bus.
    #[error(
        "the OS keychain is not available ({detail}). Signoff keeps tokens only in the keychain: \
         start a Secret Service (for example gnome-keyring or KeePassXC) in your desktop session \
         and try again"
    )]
    KeychainUnavailable { detail: String },

    /// The keychain is locked and was not unlocked.
    #[error(
        "the OS keychain is locked ({detail}). Unlock your keyring (log in to your desktop \
         session, or unlock it in your keyring manager) and try again"
    )]
    KeychainLocked { detail: String },

    /// The keychain refused an operation for another reason.
    #[error("the OS keychain refused the operation: {detail}")]
    Keychain { detail: String },

    /// A database operation failed (nothing was changed).
    #[error("the account database at {path} failed: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The database could not be brought to the current schema.
    #[error("the account database at {path} could not be migrated: {source}")]
    Migration {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },

    /// An argument was refused.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },

    /// No such account (or other thing).
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },

    /// Signing in failed.
    #[error("signing in failed: {reason}")]
    SignIn { reason: String },

    /// The person cancelled the sign-in.
    #[error("the sign-in was cancelled")]
    SignInCancelled,

    /// The browser did not come back in time.
    #[error("signing in failed: no answer from the browser within {secs} s")]
    SignInTimedOut { secs: u64 },

    /// A code shown for another device was not approved before it expired.
    #[error("signing in failed: the code was not approved within {secs} s{detail}")]
    SignInExpired { secs: u64, detail: String },

    /// The sign-in was refused at the provider (the person chose not to allow it).
    #[error("{provider} refused the sign-in ({detail}); nothing was stored")]
    SignInDenied { provider: String, detail: String },

    /// A folder or file Signoff must trust is not its person's own.
    #[error("refusing to use {detail}: Signoff's files must be yours alone")]
    UnsafePermissions { detail: String },

    /// Another Signoff process holds the account's claim.
    #[error("another Signoff process is {doing} right now; try again in a moment")]
    Busy { doing: &'static str },

    /// The provider refused a pasted token.
    #[error("{provider} does not accept this token ({detail}); nothing was stored")]
    TokenRejected { provider: String, detail: String },

    /// A pasted token could not be checked.
    #[error(
        "could not check the token with {provider} ({detail}); nothing was stored, try again \
         later"
    )]
    CheckUnavailable { provider: String, detail: String },

    /// A copy of a found session could not be removed from its tool's store.
    #[error(transparent)]
    ToolStore(#[from] crate::found::edit::EditError),

    /// A file could not be read or written.
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
            Self::SignInCancelled => ErrorCode::SignInCancelled,
            Self::SignInTimedOut { .. } | Self::SignInExpired { .. } => ErrorCode::SignInTimedOut,
            Self::SignInDenied { .. } => ErrorCode::SignInDenied,
            Self::Busy { .. } => ErrorCode::Busy,
            Self::UnsafePermissions { .. } => ErrorCode::UnsafePermissions,
            Self::TokenRejected { .. } => ErrorCode::TokenRejected,
            Self::CheckUnavailable { .. } => ErrorCode::CheckUnavailable,
            Self::ToolStore(e) => e.code(),
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
