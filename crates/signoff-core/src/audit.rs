//! The audit log's vocabulary: who did what to which account, with what result. Never a token.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::account::Account;
use crate::engine::Report;
use crate::outcome::{Outcome, Reason};

named!(
    /// Who started an action.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
);

named!(
    /// What was done.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum Action {
        AddAccount,
        SignOut,
        RetrySignOut,
        Forget,
        SetClientSecret,
        BulkRevoke,
        CheckTokens,
        /// An admin stored the credential of a provider's admin API.
        SetAdminSecret,
        /// An admin signed a person out at the provider.
        AdminSignOut,
    }
);

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEntry {
    /// Assigned by the store (ascending).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
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

    /// Names the account: its id, provider and label.
    pub fn account(mut self, account: &Account) -> Self {
        self.account = Some(account.id.to_string());
        self.provider = Some(account.provider_id.clone());
        self.label = Some(account.label.clone());
        self
    }

    /// Names the provider (for entries about a provider rather than an account).
    pub fn provider(mut self, provider_id: &str) -> Self {
        self.provider = Some(provider_id.to_owned());
        self
    }

    /// A short free-text detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The reason something did not end as hoped: its code and description.
    pub fn error(mut self, error: Option<&Reason>) -> Self {
        self.error_code = error.map(|e| e.code().to_owned());
        self.error_description = error.and_then(|e| e.description().map(str::to_owned));
        self
    }

    /// What a sign-out's provider calls came to: outcome, last status, error, attempts,
    /// verification and note.
    pub fn report(mut self, report: &Report) -> Self {
        self.outcome = Some(report.outcome);
        self.http_status = report.http_status;
        self.attempts = Some(report.attempts);
        self.verified = report.verified;
        self.detail = report.note.clone();
        self.error(report.error.as_ref())
    }
}
