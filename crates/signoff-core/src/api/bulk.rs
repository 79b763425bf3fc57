//! Admin bulk revocation: tokens streamed in, results streamed out, a bounded number in flight,
//! one connection pool reused throughout. Memory does not grow with the number of tokens.
//!
//! The input is read as it is, not as it should be: every physical line counts (blank ones
//! too, so `line` is what an editor shows); a line that cannot be a token (not UTF-8, longer
//! than [`MAX_LINE`]) is a `failed` result of its own with reason `invalid_input` and an empty
//! fingerprint (nothing of its content is shown, hashed or sent), and the run goes on; a read
//! error stops the run, with the line it stopped at.

use std::io::{BufRead, ErrorKind};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::Receiver;
use zeroize::{Zeroize, Zeroizing};

use super::Signoff;
use crate::audit::{Action, Actor, AuditEntry};
use crate::engine::adaptive::AdaptiveLimit;
use crate::engine::{Engine, EngineConfig, Report};
use crate::error::{Error, Result};
use crate::outcome::{Outcome, Reason, ReasonKind};
use crate::profile::{Profile, Protocol, TokenKind};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// The result for one token, which is shown only as a fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    /// The physical line of the input (1-based, blank lines counted).
    pub line: u64,
    /// The first 12 hex digits of the token's SHA-256: enough to match it, useless to replay.
    /// Empty for a line that is not a token (`invalid_input`).
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
    /// Of the `failed`: lines that were not a token (`invalid_input`), nothing sent for them.
    pub invalid: u64,
    /// The adaptive limit on revocations in flight (`engine::adaptive`) when the run ended,
    /// the highest it reached, and its cap (`--concurrency`).
    pub final_limit: u64,
    pub peak_limit: u64,
    pub limit_cap: u64,
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
        let mut text = format!(
            "{} tokens: {} revoked, {} already revoked, {} local only, {} pending, {} failed",
            self.total,
            self.revoked,
            self.already_revoked,
            self.local_only,
            self.pending,
            self.failed
        );
        if self.invalid > 0 {
            text += &format!(" ({} invalid input lines)", self.invalid);
        }
        text
    }
}

/// A short, non-reversible name for a token.
pub fn fingerprint(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// How many input lines travel together from the reading thread to the revocations.
const BATCH: usize = 512;

/// How many connections to the provider are being opened at once (TCP and TLS handshakes) while
/// the adaptive limit grows: under the smallest accept queue in common use (Python's
/// socketserver listens with 5), so that a burst of ours does not overflow it and have its
/// SYNs dropped, each of which stalls a revocation for TCP's retry (1 s, then 2 s more). For
/// `https` a handshake ends only once the server accepted, so this bounds our part of its queue;
/// for plain `http` the kernel completes it before the server accepts, so it only spreads the
/// burst (the bench's Python server: 110–373 drops a pass before, 12 after). The cost: to a
/// provider far away, 64 connections take 16 handshakes' time instead of one.
const CONNECTING: usize = 4;

/// The longest line taken as a token (tokens are a few hundred bytes, JWTs a few KiB). The
/// reader keeps at most this much of one line, whatever the input.
pub const MAX_LINE: usize = 16 * 1024;

/// One line of the input, as the reading thread hands it over. `line` is the physical line
/// number (1-based); blank lines are counted but not handed over.
#[derive(Debug)]
pub enum InputLine {
    /// A token, trimmed.
    Token { line: u64, token: SecretString },
    /// A line that cannot be a token.
    Invalid { line: u64, why: Invalid },
    /// Reading failed at `line`: the last item, nothing after it was read.
    ReadFailed { line: u64, error: std::io::Error },
}

/// Why an input line is not a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    NotUtf8,
    TooLong,
}

impl Invalid {
    fn reason(self) -> Reason {
        let why = match self {
            Self::NotUtf8 => "this line is not UTF-8 text",
            Self::TooLong => "this line is longer than 16 KiB",
        };
        Reason::new(
            ReasonKind::InvalidInput,
            format!("{why}, so it is not a token; nothing was sent"),
        )
    }
}

/// Reads one line (without its `\n`) into `buf`, keeping at most [`MAX_LINE`] bytes of it:
/// `Ok(None)` at the end of the input, `Ok(Some(true))` for a line longer than that (its rest
/// is read and dropped, `buf` left empty).
fn read_line_capped(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let (mut any, mut too_long) = (false, false);
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        if !too_long {
            if buf.len() + part.len() > MAX_LINE {
                too_long = true;
                buf.zeroize();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Some(too_long));
        }
    }
}

/// Reads one token per line from `input` on a thread of its own and hands the lines over in
/// batches: a batch goes as soon as it is full or the input has nothing more buffered, so
/// tokens that trickle in are not held back, and a fast input costs one hand-over per [`BATCH`]
/// lines instead of one per line. The thread keeps at most [`MAX_LINE`] bytes of a line plus
/// its read buffer, and stops at the end of the input, after a read error (handed over as the
/// last item), or when the receiver is dropped.
pub fn read_tokens(input: impl std::io::Read + Send + 'static) -> Receiver<Vec<InputLine>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, input);
        let mut batch = Vec::with_capacity(BATCH);
        // Never grown past MAX_LINE, so never reallocated: no copy of a token is left behind.
        let mut buf = Zeroizing::new(Vec::with_capacity(MAX_LINE));
        let mut line = 0u64;
        loop {
            line += 1;
            match read_line_capped(&mut reader, &mut buf) {
                Ok(None) => break,
                Ok(Some(true)) => batch.push(InputLine::Invalid {
                    line,
                    why: Invalid::TooLong,
                }),
                Ok(Some(false)) => match std::str::from_utf8(&buf) {
                    Err(_) => batch.push(InputLine::Invalid {
                        line,
                        why: Invalid::NotUtf8,
                    }),
                    Ok(text) if text.trim().is_empty() => {}
                    Ok(text) => batch.push(InputLine::Token {
                        line,
                        token: SecretString::new(text.trim().to_owned()),
                    }),
                },
                Err(error) => {
                    batch.push(InputLine::ReadFailed { line, error });
                    break;
                }
            }
            if !batch.is_empty()
                && (batch.len() >= BATCH || reader.buffer().is_empty())
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
        tokens: Receiver<Vec<InputLine>>,
        actor: Actor,
        on_result: impl FnMut(&BulkResult),
    ) -> Result<BulkSummary> {
        let profile = self.providers().get(provider)?.clone();
        let secret = self.client_secret_blocking(&profile.id).await?;
        let (summary, stopped) = run(
            self.engine_config,
            profile,
            secret,
            hint,
            concurrency,
            tokens,
            on_result,
        )
        .await;
        let mut detail = summary.describe();
        if let Some((line, error)) = &stopped {
            detail += &format!("; reading the input failed at line {line}: {error}");
        }
        let entry = AuditEntry::new(actor, Action::BulkRevoke)
            .provider(provider)
            .detail(detail);
        self.blocking(move |core| core.store.append_audit(&entry))
            .await?;
        match stopped {
            None => Ok(summary),
            Some((line, source)) => Err(Error::Io {
                action: "stopped reading",
                path: format!("the tokens at line {line}").into(),
                source,
            }),
        }
    }
}

/// Revokes every token `tokens` delivers, at most `concurrency` at a time (fewer while the
/// adaptive limit says so: it follows the provider's latency, 429s and 503s, and pauses new
/// revocations while the provider asked to wait), and reports each invalid line as it comes;
/// with the line and error where reading failed, if it did (the revocations already under way
/// are finished first). The calls are driven from this one task (no task per token): with tens
/// of thousands of tokens, handing each one to another thread and back cost more than the
/// revocation itself.
async fn run(
    config: EngineConfig,
    mut profile: Profile,
    secret: Option<SecretString>,
    hint: TokenKind,
    concurrency: usize,
    mut tokens: Receiver<Vec<InputLine>>,
    mut on_result: impl FnMut(&BulkResult),
) -> (BulkSummary, Option<(u64, std::io::Error)>) {
    let concurrency = concurrency.max(1);
    let limit = std::sync::Arc::new(AdaptiveLimit::new(concurrency, config.retry.budget));
    // The host limiter keeps `concurrency` as the hard cap under the adaptive limit.
    let engine = Engine::new(EngineConfig {
        per_host: concurrency,
        connecting: Some(CONNECTING),
        ..config
    })
    .with_observer(limit.clone());
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
        bundle.set(kind, token);
        let report = engine.revoke(profile, &bundle, secret, false).await;
        BulkResult {
            line,
            fingerprint,
            report,
        }
    };
    let mut in_flight = FuturesUnordered::new();
    let mut waiting = Vec::<InputLine>::new().into_iter();
    let mut summary = BulkSummary::default();
    let mut stopped = None;
    let mut input_done = false;
    loop {
        let now = std::time::Instant::now();
        let paused = limit.paused_until(now);
        let allowed = limit.current(now);
        while paused.is_none() && in_flight.len() < allowed {
            match waiting.next() {
                None => break,
                Some(InputLine::Token { line, token }) => in_flight.push(revoke(line, token)),
                Some(InputLine::Invalid { line, why }) => {
                    let result = BulkResult {
                        line,
                        fingerprint: String::new(),
                        report: Report::failed(why.reason()),
                    };
                    summary.invalid += 1;
                    summary.count(result.report.outcome);
                    on_result(&result);
                }
                Some(InputLine::ReadFailed { line, error }) => {
                    stopped = Some((line, error));
                    input_done = true;
                }
            }
        }
        // A new batch only once this one is all under way (it would replace what is left).
        let want_input = !input_done && waiting.as_slice().is_empty() && in_flight.len() < allowed;
        let resume = paused.filter(|_| !waiting.as_slice().is_empty() || want_input);
        tokio::select! {
            biased;
            Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                summary.count(result.report.outcome);
                on_result(&result);
            }
            () = tokio::time::sleep_until(resume.unwrap_or(now).into()), if resume.is_some() => {}
            batch = tokens.recv(), if want_input => match batch {
                Some(batch) => waiting = batch.into_iter(),
                None => input_done = true,
            },
            else => break,
        }
    }
    summary.final_limit = limit.current(std::time::Instant::now()) as u64;
    summary.peak_limit = limit.peak() as u64;
    summary.limit_cap = limit.cap() as u64;
    (summary, stopped)
}

#[cfg(test)]
mod tests;
