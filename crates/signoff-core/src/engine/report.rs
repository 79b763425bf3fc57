//! What one sign-out came to: the [`Report`] of the provider calls, and the [`Receipt`] that
//! names the account it belongs to.

use serde::Serialize;

use crate::account::AccountId;
use crate::outcome::{Outcome, Reason, Verdict};

/// What the provider said about one set of tokens, in our vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Report {
    pub outcome: Outcome,
    /// The last HTTP status seen, if any call got an answer.
    pub http_status: Option<u16>,
    /// The provider's error (or ours, e.g. `network`), never containing a token.
    pub error: Option<Reason>,
    /// HTTP attempts made.
    pub attempts: u32,
    /// After `--verify`: whether introspection now says every revoked token is inactive.
    pub verified: Option<bool>,
    /// For `pending`: how long the provider asked us to wait, if it said.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub retry_after_secs: Option<u64>,
    /// For `pending`: true when the provider asked us to wait (429 or 503, or a
    /// `Retry-After`), false when it could not be reached or failed.
    pub asked_to_wait: bool,
    /// A plain sentence for `local_only` and other outcomes that need one.
    pub note: Option<String>,
}

impl Report {
    /// `outcome` with nothing else said yet.
    pub fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            http_status: None,
            error: None,
            attempts: 0,
            verified: None,
            retry_after_secs: None,
            asked_to_wait: false,
            note: None,
        }
    }

    /// `failed` for `error`, reached without calling.
    pub fn failed(error: Reason) -> Self {
        Self {
            error: Some(error),
            ..Self::new(Outcome::Failed)
        }
    }

    /// `already_revoked`, with the sentence saying how we know.
    pub fn already_revoked(note: impl Into<String>) -> Self {
        Self::new(Outcome::AlreadyRevoked).with_note(note)
    }

    /// The same report with `note` as its sentence.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Ends the report with a verdict that is not "ended": `failed` or `pending`.
    pub fn concluded(mut self, verdict: Verdict) -> Self {
        match verdict {
            Verdict::Ended(o) => self.outcome = o,
            Verdict::Permanent(e) => {
                self.outcome = Outcome::Failed;
                self.error = Some(e);
            }
            Verdict::Retry { after, error } => {
                self.outcome = Outcome::Pending;
                self.retry_after_secs = after.map(|d| d.as_secs());
                self.asked_to_wait = after.is_some() || matches!(self.http_status, Some(429 | 503));
                self.error = Some(error);
            }
        }
        self
    }
}

/// The receipt for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Receipt {
    pub account: AccountId,
    pub provider: String,
    pub label: String,
    /// `signoff`, or the tool whose store the session was found in.
    pub origin: String,
    /// For a found session: each copy removed from its tool's store, and its backup.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<crate::found::Removed>,
    #[serde(flatten)]
    pub report: Report,
}
