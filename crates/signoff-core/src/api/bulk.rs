//! Admin bulk revocation: tokens streamed in, results streamed out, a bounded number in flight,
//! one connection pool reused throughout. Memory does not grow with the number of tokens.

use std::io::BufRead;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::Receiver;
use zeroize::Zeroizing;

use super::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::{Engine, EngineConfig, Report};
use crate::error::Result;
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

/// How many input tokens travel together from the reading thread to the revocations.
const BATCH: usize = 512;

/// Reads one token per line from `input` on a thread of its own and hands them over in batches:
/// a batch goes as soon as it is full or the input has nothing more buffered, so tokens that
/// trickle in are not held back, and a fast input costs one hand-over per [`BATCH`] tokens
/// instead of one per token. The thread stops at the end of the input, at the first read
/// error, or when the receiver is dropped.
pub fn read_tokens(input: impl std::io::Read + Send + 'static) -> Receiver<Vec<SecretString>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, input);
        let mut batch = Vec::with_capacity(BATCH);
        let mut line = Zeroizing::new(String::new());
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => batch.push(SecretString::new(line.trim().to_owned())),
            }
            if (batch.len() >= BATCH || reader.buffer().is_empty())
                && tx.blocking_send(std::mem::take(&mut batch)).is_err()
            {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });
    rx
}

impl Signoff {
    /// Revokes tokens read from `tokens` (batches, as [`read_tokens`] hands them over) at
    /// `provider`, `concurrency` at a time, without accounts. Memory stays flat however many
    /// tokens arrive.
    pub async fn revoke_bulk(
        self: &std::sync::Arc<Self>,
        provider: &str,
        hint: TokenKind,
        concurrency: usize,
        tokens: Receiver<Vec<SecretString>>,
        actor: Actor,
        on_result: impl FnMut(&BulkResult),
    ) -> Result<BulkSummary> {
        let profile = self.providers().get(provider)?.clone();
        let id = profile.id.clone();
        let secret = self
            .blocking(move |core| core.vault()?.client_secret(&id))
            .await?;
        let summary = run(
            self.engine_config,
            profile,
            secret,
            hint,
            concurrency,
            tokens,
            on_result,
        )
        .await;
        let entry = AuditEntry::new(actor, Action::BulkRevoke)
            .provider(provider)
            .detail(summary.describe());
        self.blocking(move |core| core.store.append_audit(&entry))
            .await?;
        Ok(summary)
    }
}

/// Revokes every token `tokens` delivers, `concurrency` at a time. The calls are driven from
/// this one task (no task per token): with tens of thousands of tokens, handing each one to
/// another thread and back cost more than the revocation itself.
async fn run(
    config: EngineConfig,
    mut profile: Profile,
    secret: Option<SecretString>,
    hint: TokenKind,
    concurrency: usize,
    mut tokens: Receiver<Vec<SecretString>>,
    mut on_result: impl FnMut(&BulkResult),
) -> BulkSummary {
    let concurrency = concurrency.max(1);
    let engine = Engine::new(EngineConfig {
        per_host: concurrency,
        ..config
    });
    // Bearer logout takes access tokens whatever the hint; the others revoke the hinted kind.
    let kind = if profile.protocol == Protocol::BearerLogout {
        TokenKind::AccessToken
    } else {
        hint
    };
    profile.token_type_hint = Some(kind);
    let (engine, profile, secret) = (&engine, &profile, secret.as_ref());
    let revoke = |line: u64, token: SecretString| async move {
        let fingerprint = fingerprint(&token);
        let mut bundle = TokenBundle::default();
        match kind {
            TokenKind::RefreshToken => bundle.refresh_token = Some(token),
            TokenKind::AccessToken => bundle.access_token = Some(token),
        }
        let report = engine.revoke(profile, &bundle, secret, false).await;
        BulkResult {
            line,
            fingerprint,
            report,
        }
    };
    let mut in_flight = FuturesUnordered::new();
    let mut waiting = Vec::<SecretString>::new().into_iter();
    let mut summary = BulkSummary::default();
    let mut line = 0u64;
    let mut input_done = false;
    loop {
        while in_flight.len() < concurrency {
            let Some(token) = waiting.next() else { break };
            if token.is_blank() {
                continue;
            }
            line += 1;
            in_flight.push(revoke(line, token));
        }
        let want_input = !input_done && in_flight.len() < concurrency;
        tokio::select! {
            biased;
            Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                summary.count(result.report.outcome);
                on_result(&result);
            }
            batch = tokens.recv(), if want_input => match batch {
                Some(batch) => waiting = batch.into_iter(),
                None => input_done = true,
            },
            else => break,
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use super::*;

    fn texts(batch: &[SecretString]) -> Vec<&str> {
        batch.iter().map(SecretString::expose_secret).collect()
    }

    #[tokio::test]
    async fn tokens_that_trickle_in_are_handed_over_without_waiting_for_a_full_batch() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let mut rx = read_tokens(reader);
        writer.write_all(b"first\n  second  \n").unwrap();
        // The writer stays open: the reader must not wait for more before handing these over.
        let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the two tokens were held back waiting for more input")
            .unwrap();
        assert_eq!(texts(&batch), ["first", "second"]);
        writer.write_all(b"third").unwrap();
        drop(writer);
        assert_eq!(texts(&rx.recv().await.unwrap()), ["third"]);
        assert!(
            rx.recv().await.is_none(),
            "the end of the input ends the stream"
        );
    }

    #[tokio::test]
    async fn a_long_input_arrives_whole_in_order_and_in_bounded_batches() {
        let input: String = (0..2_000).map(|n| format!("token-{n}\n")).collect();
        let mut rx = read_tokens(std::io::Cursor::new(input.into_bytes()));
        let mut seen = Vec::new();
        while let Some(batch) = rx.recv().await {
            assert!(!batch.is_empty() && batch.len() <= BATCH);
            seen.extend(batch.iter().map(|t| t.expose_secret().to_owned()));
        }
        let expected: Vec<String> = (0..2_000).map(|n| format!("token-{n}")).collect();
        assert_eq!(seen, expected);
    }
}
