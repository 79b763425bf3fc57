//! Admin bulk revocation: tokens streamed in, results streamed out, a bounded number in flight,
//! one connection pool reused throughout. Memory does not grow with the number of tokens.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::Receiver;

use crate::engine::{Engine, EngineConfig, Report};
use crate::outcome::Outcome;
use crate::profile::{Profile, Protocol, TokenKind};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// The result for one token, which is shown only as a fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    /// 1-based position of the token in the input.
    pub line: u64,
    /// The first 12 hex digits of the token's SHA-256: enough to match it, useless to replay.
    pub fingerprint: String,
    #[serde(flatten)]
    pub report: Report,
}

/// Counts per outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BulkSummary {
    pub total: u64,
    pub revoked: u64,
    pub already_revoked: u64,
    pub local_only: u64,
    pub pending: u64,
    pub failed: u64,
}

impl BulkSummary {
    fn count(&mut self, outcome: Outcome) {
        self.total += 1;
        *match outcome {
            Outcome::Revoked => &mut self.revoked,
            Outcome::AlreadyRevoked => &mut self.already_revoked,
            Outcome::LocalOnly => &mut self.local_only,
            Outcome::Pending => &mut self.pending,
            Outcome::Failed => &mut self.failed,
        } += 1;
    }

    /// One line for the audit log.
    pub fn describe(&self) -> String {
        format!(
            "{} tokens: {} revoked, {} already revoked, {} local only, {} pending, {} failed",
            self.total,
            self.revoked,
            self.already_revoked,
            self.local_only,
            self.pending,
            self.failed
        )
    }
}

/// A short, non-reversible name for a token.
pub fn fingerprint(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

pub(super) async fn run(
    config: EngineConfig,
    mut profile: Profile,
    secret: Option<SecretString>,
    hint: TokenKind,
    concurrency: usize,
    mut tokens: Receiver<SecretString>,
    mut on_result: impl FnMut(&BulkResult),
) -> BulkSummary {
    let concurrency = concurrency.max(1);
    let engine = Arc::new(Engine::new(EngineConfig {
        per_host: concurrency,
        ..config
    }));
    // Bearer logout takes access tokens whatever the hint; the others revoke the hinted kind.
    let kind = if profile.protocol == Protocol::BearerLogout {
        TokenKind::AccessToken
    } else {
        hint
    };
    profile.token_type_hint = Some(kind);
    let profile = Arc::new(profile);
    let secret = Arc::new(secret);
    let mut set = tokio::task::JoinSet::new();
    let mut summary = BulkSummary::default();
    let mut line = 0u64;
    let mut input_done = false;
    loop {
        while !input_done && set.len() < concurrency {
            let Some(token) = tokens.recv().await else {
                input_done = true;
                break;
            };
            if token.is_blank() {
                continue;
            }
            line += 1;
            let (engine, profile, secret) = (
                Arc::clone(&engine),
                Arc::clone(&profile),
                Arc::clone(&secret),
            );
            set.spawn(async move {
                let fingerprint = fingerprint(&token);
                let mut bundle = TokenBundle::default();
                match kind {
                    TokenKind::RefreshToken => bundle.refresh_token = Some(token),
                    TokenKind::AccessToken => bundle.access_token = Some(token),
                }
                let report = engine
                    .revoke(&profile, &bundle, secret.as_ref().as_ref(), false)
                    .await;
                BulkResult {
                    line,
                    fingerprint,
                    report,
                }
            });
        }
        match set.join_next().await {
            Some(Ok(result)) => {
                summary.count(result.report.outcome);
                on_result(&result);
            }
            Some(Err(e)) => tracing::error!("a bulk revocation task failed: {e}"),
            None => break,
        }
    }
    summary
}
