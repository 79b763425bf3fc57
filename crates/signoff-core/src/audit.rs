//! The audit log's vocabulary: who did what to which account, with what result. Never a token.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::outcome::Outcome;

/// Who started an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A person in the app window.
    User,
    /// The `signoff` command (admins and scripts).
    Admin,
    /// The tray menu.
    Tray,
    /// Signoff itself: retries of pending sign-outs and resumes after a crash.
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Tray => "tray",
            Self::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user" => Self::User,
            "admin" => Self::Admin,
            "tray" => Self::Tray,
            "system" => Self::System,
            _ => return None,
        })
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AddAccount,
    SignOut,
    RetrySignOut,
    Forget,
    SetClientSecret,
    BulkRevoke,
    CheckTokens,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AddAccount => "add_account",
            Self::SignOut => "sign_out",
            Self::RetrySignOut => "retry_sign_out",
            Self::Forget => "forget",
            Self::SetClientSecret => "set_client_secret",
            Self::BulkRevoke => "bulk_revoke",
            Self::CheckTokens => "check_tokens",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "add_account" => Self::AddAccount,
            "sign_out" => Self::SignOut,
            "retry_sign_out" => Self::RetrySignOut,
            "forget" => Self::Forget,
            "set_client_secret" => Self::SetClientSecret,
            "bulk_revoke" => Self::BulkRevoke,
            "check_tokens" => Self::CheckTokens,
            _ => return None,
        })
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Assigned by the store (ascending).
    #[serde(default)]
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub action: Action,
    pub account: Option<String>,
    pub provider: Option<String>,
    pub label: Option<String>,
    pub outcome: Option<Outcome>,
    pub http_status: Option<u16>,
    pub error_code: Option<String>,
    pub error_description: Option<String>,
    pub attempts: Option<u32>,
    pub verified: Option<bool>,
    /// A short free-text detail (counts for bulk revokes, notes).
    pub detail: Option<String>,
}

impl AuditEntry {
    /// An entry stamped now, with every optional field empty.
    pub fn new(actor: Actor, action: Action) -> Self {
        Self {
            seq: 0,
            at: OffsetDateTime::now_utc(),
            actor,
            action,
            account: None,
            provider: None,
            label: None,
            outcome: None,
            http_status: None,
            error_code: None,
            error_description: None,
            attempts: None,
            verified: None,
            detail: None,
        }
    }
}
