//! The retry policy for one planned call: 429 and 503 honour `Retry-After` (seconds or HTTP
//! date); other 5xx, 408 and network errors back off exponentially with jitter; every wait must
//! fit in the sign-out's budget, else the call ends as `Retry` (the outcome `pending`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use backon::{ExponentialBuilder, Retryable};

use super::Engine;
use super::adaptive::{AttemptObserver, Sample, Signal, parse_rate_limit_reset};
use super::plan::PlannedCall;
use crate::http::{Answer, CallError};
use crate::outcome::{Reason, Seen, StepVerdict, Verdict, classify_answer, parse_retry_after};
use crate::profile::Profile;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// How hard one sign-out tries before it reports `pending`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: usize,
    /// Backoff bounds (jittered exponential between them).
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Total time one account's sign-out may spend waiting between attempts.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            budget: Duration::from_secs(30),
        }
    }
}

/// What the retries of one call ended with.
#[derive(Debug)]
pub struct Step {
    pub verdict: StepVerdict,
    /// The last HTTP status seen, if any attempt got an answer.
    pub status: Option<u16>,
    pub attempts: u32,
    /// The last answer's body (empty when none came).
    pub body: Vec<u8>,
}

/// An attempt worth repeating.
#[derive(Debug)]
struct Transient {
    /// How long the provider asked us to wait, if it said.
    after: Option<Duration>,
    error: Reason,
}

/// One revocation's inputs, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub profile: &'a Profile,
    pub tokens: &'a TokenBundle,
    pub client_secret: Option<&'a SecretString>,
    /// Everything that must never be echoed back in an error.
    pub secrets: &'a [&'a str],
}

impl Engine {
    /// Makes one call, retrying transient failures while the waits fit before `deadline`.
    /// `probe`: the call is a profile's probe (see [`classify_answer`]).
    pub(super) async fn call_with_retries(
        &self,
        inputs: Inputs<'_>,
        planned: &PlannedCall,
        deadline: Instant,
        probe: bool,
    ) -> Step {
        let policy = self.config.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_attempts.saturating_sub(1))
            .with_jitter();
        let attempts = AtomicU32::new(0);
        // The last status seen (0: none yet), kept across attempts.
        let status = AtomicU32::new(0);
        let body = std::sync::Mutex::new(Vec::new());
        let attempt = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            let result = {
                let _permit = self.limiter.permit(planned.url()).await;
                let observed = self.observer.as_deref().map(Observed::start);
                let result = planned
                    .to_http(inputs.profile, inputs.tokens, inputs.client_secret)
                    .send(&self.client)
                    .await;
                if let Some(o) = observed {
                    o.end(&result);
                }
                result
            };
            let verdict = match result {
                Ok(answer) => {
                    status.store(u32::from(answer.status), Ordering::Relaxed);
                    let verdict = classify_answer(
                        &planned.step.answers,
                        planned.step.rate_limit_reset.as_ref(),
                        Seen {
                            status: answer.status,
                            retry_after: answer.retry_after.as_deref(),
                            reset: answer.reset.as_deref(),
                            location: answer.location.as_deref(),
                            body: &answer.body,
                        },
                        inputs.secrets,
                        SystemTime::now(),
                        probe,
                    );
                    *body.lock().unwrap_or_else(|p| p.into_inner()) = answer.body;
                    verdict
                }
                Err(CallError::Refused(e)) => StepVerdict::Verdict(Verdict::Permanent(e)),
                Err(CallError::Network(error)) => {
                    StepVerdict::Verdict(Verdict::Retry { after: None, error })
                }
            };
            match verdict {
                StepVerdict::Verdict(Verdict::Retry { after, error }) => {
                    Err(Transient { after, error })
                }
                other => Ok(other),
            }
        };
        let result = attempt
            .retry(backoff)
            .adjust(|t: &Transient, next: Option<Duration>| {
                // A wait the provider asked for replaces the backoff's, while attempts remain;
                // a wait past the budget ends the retries.
                next.map(|d| t.after.unwrap_or(d)).filter(|w| {
                    Instant::now()
                        .checked_add(*w)
                        .is_some_and(|at| at <= deadline)
                })
            })
            .notify(|t: &Transient, wait: Duration| {
                tracing::debug!(provider = %inputs.profile.id, wait_ms = wait.as_millis() as u64, "retrying after {}", t.error.code());
            })
            .await;
        let verdict = result.unwrap_or_else(|t| {
            StepVerdict::Verdict(Verdict::Retry {
                after: t.after,
                error: t.error,
            })
        });
        Step {
            verdict,
            status: u16::try_from(status.into_inner()).ok().filter(|s| *s != 0),
            attempts: attempts.into_inner(),
            body: body.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

/// One attempt as its observer sees it: started when it goes out; ended with what came back,
/// or (dropped unfinished: the call was cancelled) as [`Signal::Ignored`], so that the
/// observer's count of attempts in flight stays right either way.
struct Observed<'a> {
    observer: &'a dyn AttemptObserver,
    inflight: usize,
    started: Instant,
    ended: bool,
}

impl<'a> Observed<'a> {
    fn start(observer: &'a dyn AttemptObserver) -> Self {
        Self {
            inflight: observer.started(),
            observer,
            started: Instant::now(),
            ended: false,
        }
    }

    fn end(mut self, result: &Result<Answer, CallError>) {
        self.ended = true;
        self.observer
            .ended(sample_of(result, self.started, self.inflight));
    }
}

impl Drop for Observed<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let now = Instant::now();
            self.observer.ended(Sample {
                started: self.started,
                ended: now,
                inflight: self.inflight,
                signal: Signal::Ignored,
                retry_after: None,
                remaining: None,
                reset: None,
            });
        }
    }
}

/// What an attempt tells the adaptive limit: 429 and 503 are the server shedding load (with the
/// wait it asked for), a network error a failed connection, an answer a latency sample; the
/// rate-limit headers of any answer.
fn sample_of(result: &Result<Answer, CallError>, started: Instant, inflight: usize) -> Sample {
    let ended = Instant::now();
    let mut sample = Sample {
        started,
        ended,
        inflight,
        signal: Signal::Ignored,
        retry_after: None,
        remaining: None,
        reset: None,
    };
    match result {
        Ok(answer) => {
            let now = SystemTime::now();
            sample.signal = if matches!(answer.status, 429 | 503) {
                Signal::Overloaded
            } else {
                Signal::Answered
            };
            sample.retry_after = answer
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now));
            sample.remaining = answer.rate_remaining;
            sample.reset = answer
                .rate_reset
                .as_deref()
                .and_then(|v| parse_rate_limit_reset(v, now));
        }
        Err(CallError::Network(_)) => sample.signal = Signal::ConnectionFailed,
        Err(CallError::Refused(_)) => {}
    }
    sample
}
